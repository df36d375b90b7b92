"""Deterministic order and Cancel, as properties over arbitrary handler sets."""

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from zeroclaw.hooks import Cancel, Event, FunctionHandler, HookRunner, OutboundMessage, hook

PAYLOAD = OutboundMessage("cli", "s1", "user", "")

# Few distinct names and priorities so ties on both happen often.
specs = st.lists(
    st.tuples(st.integers(-3, 3), st.sampled_from(["a", "b", "c", "d"])), min_size=1, max_size=8
)


def _handlers(pairs: list[tuple[int, str]], calls: list[int]) -> list[FunctionHandler]:
    """Handler i appends i to `calls` when it runs."""

    def make(index: int, priority: int, name: str) -> FunctionHandler:
        def record(payload: OutboundMessage) -> None:
            calls.append(index)

        return hook(Event.ON_MESSAGE_SENDING, name=name, priority=priority)(record)

    return [make(i, p, n) for i, (p, n) in enumerate(pairs)]


def _dispatch_order(pairs: list[tuple[int, str]], registration: list[int]) -> list[int]:
    calls: list[int] = []
    handlers = _handlers(pairs, calls)
    runner = HookRunner()
    for index in registration:
        runner.register(handlers[index])
    asyncio.run(runner.run(Event.ON_MESSAGE_SENDING, PAYLOAD))
    return calls


@settings(max_examples=150, deadline=None)
@given(data=st.data(), pairs=specs)
def test_order_is_priority_then_name_then_registration(
    data: st.DataObject, pairs: list[tuple[int, str]]
) -> None:
    first = data.draw(st.permutations(range(len(pairs))))
    second = data.draw(st.permutations(range(len(pairs))))
    order_a = _dispatch_order(pairs, first)
    order_b = _dispatch_order(pairs, second)

    # Whatever the registration order, the (priority, name) sequence is the same...
    assert [pairs[i] for i in order_a] == [pairs[i] for i in order_b]
    # ...and it is priority descending, then name ascending.
    keys = [(-pairs[i][0], pairs[i][1]) for i in order_a]
    assert keys == sorted(keys)
    assert sorted(order_a) == list(range(len(pairs)))
    # Handlers equal in priority and name run in the order they were registered.
    for registration, order in ((first, order_a), (second, order_b)):
        for key in set(pairs):
            tied_run = [i for i in order if pairs[i] == key]
            tied_registered = [i for i in registration if pairs[i] == key]
            assert tied_run == tied_registered


@settings(max_examples=150, deadline=None)
@given(data=st.data(), pairs=specs)
def test_cancel_at_position_k_runs_exactly_handlers_up_to_k(
    data: st.DataObject, pairs: list[tuple[int, str]]
) -> None:
    # Registered in index order, so the documented order is this sort.
    order = sorted(range(len(pairs)), key=lambda i: (-pairs[i][0], pairs[i][1], i))
    k = data.draw(st.integers(0, len(pairs) - 1))
    target = order[k]
    calls: list[int] = []

    def make(index: int, priority: int, name: str) -> FunctionHandler:
        def step(payload: OutboundMessage) -> Cancel | None:
            calls.append(index)
            return Cancel(f"stop at {k}") if index == target else None

        return hook(Event.ON_MESSAGE_SENDING, name=name, priority=priority)(step)

    runner = HookRunner()
    runner.register(*[make(i, p, n) for i, (p, n) in enumerate(pairs)])

    result = asyncio.run(runner.run(Event.ON_MESSAGE_SENDING, PAYLOAD))

    assert calls == order[: k + 1]
    assert result.cancelled
    assert result.reason == f"stop at {k}"
    assert result.cancelled_by == pairs[target][1]
    stats = runner.handlers(Event.ON_MESSAGE_SENDING)
    assert [s.stats.calls for s in stats] == [1] * (k + 1) + [0] * (len(pairs) - k - 1)
    assert stats[k].stats.cancels == 1
