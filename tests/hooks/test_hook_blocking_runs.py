"""Runs of blocking handlers (`blocking_calls`, handler.py) in one hop to a worker thread:
the runner's semantics kept handler by handler (order, Continue/Cancel, failure policy,
each handler's timeout, stats, HookSkipped, explain), the hops counted, the loop never
waiting for a thread, and a dispatch cancelled mid-chain. Handlers here block with
time.sleep and threading events on real worker threads (PluginWorkers); tests/plugins/
runtime/test_hook_chains.py runs WAT plugins the same way."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from zeroclaw.hooks import (
    Cancel,
    Continue,
    Event,
    HandlerSpec,
    HookOutcome,
    HookRunner,
    ModifyingPayload,
    SessionStart,
    ToolCallRequest,
    VoidPayload,
    hook,
)
from zeroclaw.hooks.handler import BlockingCalls, FailurePolicy
from zeroclaw.observability import HookSkipped
from zeroclaw.observability.events import ObserverEvent
from zeroclaw.plugins.wasm.workers import PluginWorkers

T = TypeVar("T")
TOOL = Event.BEFORE_TOOL_CALL
Act = Callable[[ToolCallRequest], Any]


class CountedThreads:
    """Real worker threads that count the hops handed to them."""

    def __init__(self, workers: PluginWorkers) -> None:
        self.workers = workers
        self.hops = 0

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        self.hops += 1
        return self.workers.submit(fn, *args)


class Recorder:
    def __init__(self) -> None:
        self.events: list[ObserverEvent] = []

    def record(self, event: ObserverEvent) -> None:
        self.events.append(event)


def seen_by(name: str) -> Act:
    """Continue with `name` added to the arguments' "seen" list."""

    def act(call: ToolCallRequest) -> Continue[ToolCallRequest]:
        seen = [*call.arguments.get("seen", []), name]
        return Continue(dataclasses.replace(call, arguments={**call.arguments, "seen": seen}))

    return act


class Blocking:
    """A handler whose calls block the thread they run on, offered as blocking calls."""

    def __init__(
        self,
        name: str,
        threads: CountedThreads,
        act: Act | None = None,
        *,
        priority: int = 0,
        timeout_s: float | None = None,
        policy: FailurePolicy = "fail_open",
    ) -> None:
        self.spec = HandlerSpec(
            name,
            frozenset({TOOL, Event.ON_SESSION_START}),
            priority=priority,
            timeout_s=timeout_s,
            failure_policy=policy,
        )
        self.act = act or seen_by(name)
        self.threads: list[int] = []
        self.blocking_calls = BlockingCalls(threads, self.handle_blocking, self.observe_blocking)

    def handle_blocking(self, event: Event, payload: ModifyingPayload) -> Any:
        self.threads.append(threading.get_ident())
        assert isinstance(payload, ToolCallRequest)
        return self.act(payload)

    def observe_blocking(self, event: Event, payload: VoidPayload) -> None:
        self.threads.append(threading.get_ident())

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        raise AssertionError("a blocking handler is called through its blocking_calls")

    async def observe(self, event: Event, payload: VoidPayload) -> None:
        raise AssertionError("a blocking handler is called through its blocking_calls")


@pytest.fixture
def threads() -> Iterator[CountedThreads]:
    workers = PluginWorkers("hooks", 8)
    yield CountedThreads(workers)
    workers.close()


def chain(threads: CountedThreads, *acts: Act | None, **options: Any) -> list[Blocking]:
    """Blocking handlers h0, h1, ... in that dispatch order (priorities descending)."""
    return [
        Blocking(f"h{index}", threads, act, priority=100 - index, **options)
        for index, act in enumerate(acts)
    ]


def call() -> ToolCallRequest:
    return ToolCallRequest("s1", "file_list", {})


def runner_of(*handlers: object) -> tuple[HookRunner, Recorder]:
    runner = HookRunner()
    recorder = Recorder()
    runner.observe_with(recorder)  # type: ignore[arg-type]
    runner.register(*handlers)  # type: ignore[arg-type]
    return runner, recorder


async def test_a_run_of_blocking_handlers_is_one_hop_to_one_thread(
    threads: CountedThreads,
) -> None:
    handlers = chain(threads, *[None] * 10)
    runner, _ = runner_of(*handlers)

    result = await runner.run(TOOL, call())

    assert result.payload.arguments["seen"] == [f"h{i}" for i in range(10)]  # chained, in order
    assert threads.hops == 1
    ran_on = {thread for handler in handlers for thread in handler.threads}
    assert len(ran_on) == 1
    assert ran_on != {threading.get_ident()}  # never on the loop's thread
    assert [r.stats.calls for r in runner.handlers(TOOL)] == [1] * 10


async def test_a_native_handler_splits_the_run_and_sees_what_the_run_passed_on(
    threads: CountedThreads,
) -> None:
    first, second, third, fourth = chain(threads, None, None, None, None)

    @hook(TOOL, name="native", priority=99)  # after h1 (by name), before h2
    def native(request: ToolCallRequest) -> ToolCallRequest:
        return seen_by("native")(request).payload

    runner, _ = runner_of(first, second, native, third, fourth)
    result = await runner.run(TOOL, call())

    assert result.payload.arguments["seen"] == ["h0", "h1", "native", "h2", "h3"]
    assert threads.hops == 2


async def test_a_cancel_stops_the_chain_on_the_thread(threads: CountedThreads) -> None:
    handlers = chain(threads, None, lambda c: Cancel("no"), None)
    runner, _ = runner_of(*handlers)

    result = await runner.run(TOOL, call())

    assert (result.cancelled, result.cancelled_by, result.reason) == (True, "h1", "no")
    assert result.payload.arguments["seen"] == ["h0"]  # what the cancelling handler received
    assert handlers[2].threads == []  # never called
    stats = [r.stats for r in runner.handlers(TOOL)]
    assert [s.calls for s in stats] == [1, 1, 0]
    assert stats[1].cancels == 1


def boom(call: ToolCallRequest) -> Any:
    raise LookupError("broken")


async def test_a_fail_open_failure_is_skipped_and_the_chain_goes_on_in_the_same_hop(
    threads: CountedThreads,
) -> None:
    handlers = chain(threads, None, boom, lambda c: "not an outcome", None)
    runner, recorder = runner_of(*handlers)

    result = await runner.run(TOOL, call())

    assert not result.cancelled
    assert result.payload.arguments["seen"] == ["h0", "h3"]  # both failures skipped
    assert threads.hops == 1
    stats = [r.stats for r in runner.handlers(TOOL)]
    assert [(s.calls, s.failures, s.skips) for s in stats] == [
        (1, 0, 0),
        (1, 1, 1),
        (1, 1, 1),
        (1, 0, 0),
    ]
    skipped = [e for e in recorder.events if isinstance(e, HookSkipped)]
    assert [(e.handler, e.event) for e in skipped] == [
        ("h1", "before_tool_call"),
        ("h2", "before_tool_call"),
    ]
    assert "raised LookupError: broken" in skipped[0].cause
    assert "returned str, expected Continue(ToolCallRequest)" in skipped[1].cause


async def test_a_fail_closed_failure_cancels_the_chain(threads: CountedThreads) -> None:
    first = Blocking("h0", threads, priority=3)
    guard = Blocking("guard", threads, boom, priority=2, policy="fail_closed")
    last = Blocking("h2", threads, priority=1)
    runner, recorder = runner_of(first, guard, last)

    result = await runner.run(TOOL, call())

    assert result.cancelled
    assert result.cancelled_by == "guard"
    assert result.reason == "hook 'guard' failed (raised LookupError: broken) and is fail_closed"
    assert last.threads == []
    assert not [e for e in recorder.events if isinstance(e, HookSkipped)]  # not a skip


def sleeps(seconds: float, then: Act | None = None) -> Act:
    def act(call: ToolCallRequest) -> Any:
        time.sleep(seconds)
        return (then or seen_by("sleeper"))(call)

    return act


async def test_a_handler_past_its_timeout_is_cut_and_the_rest_runs_in_a_new_hop(
    threads: CountedThreads,
) -> None:
    first = Blocking("h0", threads, priority=5)
    slow = Blocking("slow", threads, sleeps(1.5), priority=4, timeout_s=0.1)
    rest = [Blocking(f"h{i}", threads, priority=3 - i) for i in range(2, 5)]
    runner, recorder = runner_of(first, slow, *rest)

    started = time.monotonic()
    result = await runner.run(TOOL, call())
    waited = time.monotonic() - started

    assert result.payload.arguments["seen"] == ["h0", "h2", "h3", "h4"]  # slow: skipped
    assert waited < 1.0  # cut at its timeout, not waited for (it sleeps 1.5 s)
    assert threads.hops == 2  # the rest went on without the thread still in `slow`
    (skip,) = [e for e in recorder.events if isinstance(e, HookSkipped)]
    assert (skip.handler, skip.cause) == ("slow", "timed out after 0.1s")
    stats = {r.spec.name: r.stats for r in runner.handlers(TOOL)}
    assert (stats["slow"].calls, stats["slow"].timeouts, stats["slow"].failures) == (1, 1, 0)
    assert stats["slow"].skips == 1
    await asyncio.sleep(1.6)  # the thread is done with `slow`: it starts nothing after it
    assert [len(handler.threads) for handler in (first, slow, *rest)] == [1] * 5
    assert all(r.stats.calls == 1 for r in runner.handlers(TOOL))


async def test_each_handler_has_its_own_timeout_from_its_own_start(
    threads: CountedThreads,
) -> None:
    # Four handlers of 0.15 s each, each with a timeout of 0.3 s: the run takes 0.6 s,
    # longer than any one timeout, and none of them is late.
    handlers = chain(threads, *[sleeps(0.15, seen_by(f"h{i}")) for i in range(4)], timeout_s=0.3)
    runner, _ = runner_of(*handlers)

    result = await runner.run(TOOL, call())

    assert result.payload.arguments["seen"] == ["h0", "h1", "h2", "h3"]
    assert threads.hops == 1
    assert all(r.stats.timeouts == 0 for r in runner.handlers(TOOL))


async def test_a_fail_closed_handler_that_times_out_cancels(threads: CountedThreads) -> None:
    guard = Blocking(
        "guard", threads, sleeps(1.0), priority=2, timeout_s=0.05, policy="fail_closed"
    )
    after = Blocking("after", threads, priority=1)
    runner, _ = runner_of(guard, after)

    result = await runner.run(TOOL, call())

    assert result.cancelled
    assert result.reason == "hook 'guard' failed (timed out after 0.05s) and is fail_closed"
    await asyncio.sleep(1.1)
    assert after.threads == []


async def test_explain_shows_each_step_of_a_run(threads: CountedThreads) -> None:
    handlers = chain(threads, sleeps(0.02, seen_by("h0")), boom, lambda c: Cancel("stop"))
    runner, _ = runner_of(*handlers)

    explanation = await runner.explain(TOOL, call())

    steps = explanation.steps
    assert [(s.handler, s.outcome) for s in steps] == [
        ("h0", "continue"),
        ("h1", "error"),
        ("h2", "cancel"),
    ]
    assert steps[0].changes == {"arguments": ({}, {"seen": ["h0"]})}
    assert steps[0].duration_ms >= 20  # its own time on the thread
    assert steps[1].changes == {}
    assert explanation.stopped_by == "h2"


async def test_cancelling_the_dispatch_mid_chain_starts_no_further_handler(
    threads: CountedThreads,
) -> None:
    entered, release = threading.Event(), threading.Event()

    def hold(call: ToolCallRequest) -> Any:
        entered.set()
        release.wait(5)
        return Continue(call)

    handlers = chain(threads, None, hold, None)
    runner, _ = runner_of(*handlers)

    task = asyncio.ensure_future(runner.run(TOOL, call()))
    assert await asyncio.to_thread(entered.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    await asyncio.sleep(0.1)

    assert [len(h.threads) for h in handlers] == [1, 1, 0]  # h2 never started


async def test_the_loop_runs_while_a_run_of_slow_handlers_does(threads: CountedThreads) -> None:
    handlers = chain(threads, *[sleeps(0.03, seen_by(f"h{i}")) for i in range(10)])
    runner, _ = runner_of(*handlers)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    result = await runner.run(TOOL, call())
    ticker.cancel()

    assert len(result.payload.arguments["seen"]) == 10
    assert ticks >= 10  # ~0.3 s of handlers: the loop went on ticking all along


async def test_consecutive_blocking_handlers_on_different_threads_hop_separately() -> None:
    one, other = PluginWorkers("one", 1), PluginWorkers("other", 1)
    try:
        a, b = CountedThreads(one), CountedThreads(other)
        runner, _ = runner_of(Blocking("a", a, priority=2), Blocking("b", b, priority=1))
        result = await runner.run(TOOL, call())
        assert result.payload.arguments["seen"] == ["a", "b"]
        assert (a.hops, b.hops) == (1, 1)
    finally:
        one.close()
        other.close()


def session_start() -> SessionStart:
    return SessionStart("s1", "cli", "user")


async def test_a_void_event_runs_its_blocking_handlers_in_one_hop(
    threads: CountedThreads, caplog: pytest.LogCaptureFixture
) -> None:
    handlers = chain(threads, None, None, None)
    failing = Blocking("failing", threads, priority=98)  # after h1, before h2 (by name)
    failing.observe_blocking = lambda event, payload: boom(call())  # type: ignore[method-assign]
    failing.blocking_calls = BlockingCalls(
        threads, failing.handle_blocking, failing.observe_blocking
    )
    runner, _ = runner_of(*handlers, failing)

    runner.emit(Event.ON_SESSION_START, session_start())
    assert runner.pending == 1  # one task for the run
    await runner.drain()

    assert threads.hops == 1
    assert [len(h.threads) for h in handlers] == [1, 1, 1]  # the failure isolated
    assert len({t for h in handlers for t in h.threads}) == 1
    stats = {r.spec.name: r.stats for r in runner.handlers(Event.ON_SESSION_START)}
    assert (stats["failing"].calls, stats["failing"].failures) == (1, 1)
    assert "hook 'failing' (native) failed on on_session_start: raised LookupError" in caplog.text


async def test_a_void_handler_past_its_timeout_is_cut_and_the_rest_run_in_a_new_hop(
    threads: CountedThreads,
) -> None:
    first = Blocking("h0", threads, priority=3)
    slow = Blocking("slow", threads, priority=2, timeout_s=0.1)
    slow.observe_blocking = lambda event, payload: time.sleep(1.0)  # type: ignore[method-assign]
    slow.blocking_calls = BlockingCalls(threads, slow.handle_blocking, slow.observe_blocking)
    last = Blocking("h2", threads, priority=1)
    runner, _ = runner_of(first, slow, last)

    started = time.monotonic()
    runner.emit(Event.ON_SESSION_START, session_start())
    await runner.drain()

    assert time.monotonic() - started < 0.9  # not waited for
    assert threads.hops == 2
    assert (len(first.threads), len(last.threads)) == (1, 1)
    stats = {r.spec.name: r.stats for r in runner.handlers(Event.ON_SESSION_START)}
    assert (stats["slow"].calls, stats["slow"].timeouts) == (1, 1)
