"""Plugin calls on the event loop's own thread (plugins.inline_call_ms, plugins.inline_first):
which plugins get them, that they keep every call semantic, that an inline-first call which
overruns its inline deadline is run again on a worker thread as if the attempt never
happened, and that a guest spinning to its deadline cannot hold the loop past the
documented bound (2 x inline_call_ms + about one epoch tick)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest
from runtime_support import LoadPlugins, MakePlugin, Recorder

from loop_gaps import LoopGaps
from zeroclaw.config import Config
from zeroclaw.hooks import Event, HookRunner, SessionStart, ToolCallRequest
from zeroclaw.hooks.runner import DispatchResult
from zeroclaw.observability import PluginCall, PluginTrap
from zeroclaw.observability.events import ObserverEvent
from zeroclaw.plugins.adapters.tools import plugin_tools
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.plugins.wasm import conversion
from zeroclaw.plugins.wasm.calls import PluginCalls
from zeroclaw.plugins.wasm.inline import LOOP_BUDGET, InlineMode, inline_mode, runs_inline

CONVERSATION = ("hooks.conversation", "hooks.modify")


class ThreadRecorder(Recorder):
    """Also notes the thread each PluginCall was recorded on: the thread the call ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def record(self, event: ObserverEvent) -> None:
        super().record(event)
        if isinstance(event, PluginCall):
            self.threads.append(threading.get_ident())


@pytest.fixture
def recorder() -> Recorder:
    return ThreadRecorder()


def shell_call() -> ToolCallRequest:
    return ToolCallRequest("s1", "shell", {"command": "rm -rf /"})


def test_only_short_plugins_whose_host_imports_end_by_the_deadline_run_inline() -> None:
    log = ("zeroclaw:host/log@1.0.0", "zeroclaw:host/http@1.0.0")
    assert runs_inline(20, (), 20)
    assert runs_inline(5, log, 20)
    assert not runs_inline(21, (), 20)  # a longer time limit: worker threads
    assert not runs_inline(5, ("zeroclaw:host/kv@1.0.0",), 20)  # waits on SQLite
    assert not runs_inline(5, ("zeroclaw:host/memory@1.0.0",), 20)  # waits on storage
    assert not runs_inline(5, ("wasi:filesystem/types@0.2.0",), 20)
    assert not runs_inline(1, (), 0)  # 0 turns inline calls off


def test_only_guests_that_may_run_again_are_tried_inline_first() -> None:
    console = ("zeroclaw:host/console@1.0.0", "zeroclaw:host/log@1.0.0")
    config = ("zeroclaw:host/config@1.0.0",)

    def mode(timeout_ms: int, imports: tuple[str, ...], first: bool = True) -> InlineMode:
        return inline_mode(timeout_ms, imports, 20, inline_first=first)

    assert mode(20, ()) is InlineMode.INLINE
    assert mode(1000, ()) is InlineMode.FIRST
    assert mode(1000, console + config) is InlineMode.FIRST
    # Effects outside the instance: a request sent, a key or a file written; never twice.
    for effect in ("zeroclaw:host/http@1.0.0", "zeroclaw:host/kv@1.0.0", "wasi:cli/environment"):
        assert mode(1000, (*console, effect)) is InlineMode.WORKERS
    assert mode(20, ("zeroclaw:host/http@1.0.0",)) is InlineMode.INLINE  # deadline-bound
    assert mode(1000, (), first=False) is InlineMode.WORKERS  # plugins.inline_first = false
    assert inline_mode(1000, (), 0, inline_first=True) is InlineMode.WORKERS  # inline off


async def test_a_short_hook_runs_on_the_loop_thread_and_a_long_one_on_a_worker(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: ThreadRecorder
) -> None:
    make_plugin("short", "hook_guard", capabilities=CONVERSATION, limits={"timeout_ms": 20})
    make_plugin("long", "hook_guard", capabilities=CONVERSATION, limits={"timeout_ms": 21})
    snapshot = load()
    loop_thread = threading.get_ident()

    for name in ("short", "long"):
        runner = HookRunner().layered(
            [h for h in snapshot.hook_handlers() if h.plugin.name == name]
        )
        result = await runner.run(Event.BEFORE_TOOL_CALL, shell_call())
        assert result.cancelled  # the same semantics either way
        assert result.cancelled_by == name
    short, long = recorder.threads[-2:]
    assert short == loop_thread
    assert long != loop_thread
    assert snapshot.plugins["short"].calls.stats().ok == 1


async def test_inline_calls_can_be_turned_off(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: ThreadRecorder
) -> None:
    config.plugins.inline_call_ms = 0
    make_plugin("short", "hook_guard", capabilities=CONVERSATION, limits={"timeout_ms": 5})
    runner = HookRunner().layered(load().hook_handlers())

    outcome = await runner.run(Event.BEFORE_TOOL_CALL, shell_call())

    assert outcome.cancelled
    assert recorder.threads[-1] != threading.get_ident()


async def test_spinning_guests_cannot_hold_the_loop_past_the_bound(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: ThreadRecorder
) -> None:
    # Eight guests that loop until their 20 ms deadline, in one modifying chain: run back
    # to back without yielding they would hold the loop for ~170 ms.
    config.plugins.inline_call_ms = 20
    for index in range(8):
        make_plugin(
            f"spin{index}", "hook_spin", capabilities=CONVERSATION, limits={"timeout_ms": 20}
        )
    runner = HookRunner().layered(load().hook_handlers())
    gaps = LoopGaps()
    result = await gaps.watch(runner.run(Event.BEFORE_TOOL_CALL, shell_call()))

    assert not result.cancelled  # every guest timed out and was skipped (fail_open)
    assert len(recorder.threads) == 8
    assert set(recorder.threads) == {threading.get_ident()}  # all of them inline
    # The guests did hold the loop, at most two calls at a time: a yield lets the loop run
    # what is ready, and the ticker's 1 ms timer may come due only after the next call.
    assert sum(g > 0.015 for g in gaps.wall) >= 2
    # Bound: 2 x 20 ms + a tick of the loop thread's CPU, plus Python's own work around
    # the calls (timeouts classified and logged: up to ~20 ms more on a loaded machine);
    # under the ~160 ms the eight guests would hold it without the budget.
    assert max(gaps.cpu) < 0.1


# -- inline first --------------------------------------------------------------------------


SLOW = 400  # bytes of arguments: the hook_linger guest spins ~20-110 ms


def linger_call(spin_bytes: int = 0) -> ToolCallRequest:
    """A call of the hook_linger guest: it spins 100,000 rounds per byte of the arguments
    (2 bytes: well under a millisecond; `SLOW`: 20 ms on an idle reference machine, ~110 ms
    under load). The tests of overruns set `plugins.inline_call_ms` to 5, so a slow call
    always overruns it and a fast one never does."""
    return ToolCallRequest("s1", "shell", {"pad": "x" * spin_bytes} if spin_bytes else {})


def single(snapshot: PluginSnapshot, name: str) -> HookRunner:
    return HookRunner().layered([h for h in snapshot.hook_handlers() if h.plugin.name == name])


async def test_a_fast_call_of_a_default_plugin_runs_inline_once_an_instance_is_warm(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: ThreadRecorder
) -> None:
    make_plugin("guard", "hook_guard", capabilities=CONVERSATION)  # timeout_ms 1000
    snapshot = load()
    calls = snapshot.plugins["guard"].calls
    runner = single(snapshot, "guard")
    loop_thread = threading.get_ident()
    assert calls.inline is InlineMode.FIRST

    results = [await runner.run(Event.BEFORE_TOOL_CALL, shell_call()) for _ in range(3)]

    assert all(r.cancelled and r.reason == "blocked by wasm guard" for r in results)
    # No warm instance at first (the load's was dropped): instantiated on a worker, never
    # on the loop; then every call inline.
    assert recorder.threads[0] != loop_thread
    assert recorder.threads[1:] == [loop_thread, loop_thread]
    stats = calls.stats()
    assert (stats.calls, stats.ok, stats.inline_overruns, stats.instances_created) == (3, 3, 0, 1)


async def test_inline_first_can_be_turned_off(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: ThreadRecorder
) -> None:
    config.plugins.inline_first = False
    make_plugin("guard", "hook_guard", capabilities=CONVERSATION)
    snapshot = load()
    runner = single(snapshot, "guard")

    for _ in range(3):
        assert (await runner.run(Event.BEFORE_TOOL_CALL, shell_call())).cancelled

    assert snapshot.plugins["guard"].calls.inline is InlineMode.WORKERS
    assert threading.get_ident() not in recorder.threads


async def warm(runner: HookRunner, n: int = 2) -> None:
    """Calls that end at once: the first instantiates on a worker, the rest run inline."""
    for _ in range(n):
        result = await runner.run(Event.BEFORE_TOOL_CALL, linger_call())
        assert result.reason == "lingered"


async def test_an_inline_call_keeps_the_gil_while_its_guest_runs_with_a_native_ticker(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: ThreadRecorder
) -> None:
    """With the native ticker, a guest called on the loop's thread runs with the GIL held:
    no other Python thread runs meanwhile, so there is nothing to hand over and take back.
    (That the native ticker still stops such a guest at its deadline:
    test_spinning_guests_cannot_hold_the_loop_past_the_bound, on whichever ticker is built.)"""
    config.plugins.inline_call_ms = 1000
    make_plugin(
        "linger",
        "hook_linger",
        capabilities=(*CONVERSATION, "log"),
        limits={"timeout_ms": 1000},  # inline, every call
    )
    snapshot = load()
    if not snapshot.plugins["linger"].calls.factory.engine.gil_free:
        pytest.skip(
            "the native epoch ticker is not in use: not built (scripts/install needs cc), "
            "or ZEROCLAW_PYTHON_TICKER is set"
        )
    runner = single(snapshot, "linger")
    await warm(runner)
    counted, stop = [0], threading.Event()

    def count() -> None:  # a Python thread that runs whenever it gets the GIL
        while not stop.is_set():
            counted[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        await asyncio.sleep(0.02)
        before, started = counted[0], time.monotonic()
        await asyncio.sleep(0.03)  # the loop idle: the counter runs freely
        idle_rate = (counted[0] - before) / (time.monotonic() - started)
        before, started = counted[0], time.monotonic()
        result = await runner.run(Event.BEFORE_TOOL_CALL, linger_call(4 * SLOW))
        took = time.monotonic() - started
        during_rate = (counted[0] - before) / took
    finally:
        stop.set()
        counter.join()

    assert (result.cancelled_by, result.reason) == ("linger", "lingered")
    assert set(recorder.threads) == {threading.get_ident()}  # inline, every call
    assert took > 0.04  # the guest ran a while (~80 ms idle)...
    # ...and the counter, free to run when the loop was idle, hardly ran: in the Python
    # around the call, and for one switch interval (5 ms) after it, when the loop's
    # thread gives the GIL to the thread that asked for it. A call that gives the GIL up
    # (on a worker, or with the Python ticker) lets it run all along, on the other core.
    assert during_rate < idle_rate / 3, (during_rate, idle_rate, took)


async def warm_linger(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config
) -> tuple[PluginCalls, HookRunner]:
    """A warm hook_linger plugin (log granted) under a 5 ms inline slice, so that a slow
    call always overruns it: its calls and a runner of it alone."""
    config.plugins.inline_call_ms = 5
    make_plugin("linger", "hook_linger", capabilities=(*CONVERSATION, "log"))
    snapshot = load()
    runner = single(snapshot, "linger")
    await warm(runner)
    return snapshot.plugins["linger"].calls, runner


async def test_a_call_that_overruns_the_inline_deadline_completes_on_a_worker(
    make_plugin: MakePlugin,
    load: LoadPlugins,
    config: Config,
    recorder: ThreadRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls, runner = await warm_linger(make_plugin, load, config)
    loop_thread = threading.get_ident()
    assert recorder.threads[-1] == loop_thread
    caplog.clear()
    caplog.set_level(logging.INFO, logger="zeroclaw.plugin.linger")
    events_before = len(recorder.events)

    started = time.monotonic()
    result: DispatchResult[ToolCallRequest] = await runner.run(
        Event.BEFORE_TOOL_CALL, linger_call(SLOW)
    )
    took = time.monotonic() - started

    assert result.cancelled
    assert (result.cancelled_by, result.reason) == ("linger", "lingered")
    assert took > 0.005  # it did spin past the inline deadline
    # The abandoned attempt left nothing: one PluginCall (ok, on a worker, timed from the
    # call's start), no PluginTrap, no failure, the breaker untouched.
    new = recorder.events[events_before:]
    assert [(e.outcome, e.function) for e in new if isinstance(e, PluginCall)] == [
        ("ok", "before-tool-call")
    ]
    assert not [e for e in new if isinstance(e, PluginTrap)]
    assert recorder.threads[-1] != loop_thread
    stats = calls.stats()
    assert (stats.calls, stats.ok, stats.failures, stats.inline_overruns) == (3, 3, 0, 1)
    assert calls.breaker_status().consecutive_failures == 0
    # Its log lines: once each, from the worker's run only (the attempt's were dropped).
    lines = [(r.getMessage(), r.thread) for r in caplog.records if r.name.endswith("linger")]
    assert [text for text, _ in lines] == ["start", "done"]
    assert all(thread != loop_thread for _, thread in lines)


async def test_log_lines_of_a_call_kept_inline_appear_once_in_order(
    make_plugin: MakePlugin,
    load: LoadPlugins,
    recorder: ThreadRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_plugin("linger", "hook_linger", capabilities=(*CONVERSATION, "log"))
    runner = single(load(), "linger")
    await warm(runner, 1)
    caplog.set_level(logging.INFO, logger="zeroclaw.plugin.linger")
    caplog.clear()

    await runner.run(Event.BEFORE_TOOL_CALL, linger_call())

    assert recorder.threads[-1] == threading.get_ident()
    lines = [(r.getMessage(), r.thread) for r in caplog.records if r.name.endswith("linger")]
    assert lines == [("start", threading.get_ident()), ("done", threading.get_ident())]


async def test_after_an_overrun_calls_go_to_workers_for_a_backoff_that_doubles(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: ThreadRecorder
) -> None:
    calls, runner = await warm_linger(make_plugin, load, config)
    loop_thread = threading.get_ident()

    async def where(spin_bytes: int = 0) -> str:
        result = await runner.run(Event.BEFORE_TOOL_CALL, linger_call(spin_bytes))
        assert result.reason == "lingered"
        return "loop" if recorder.threads[-1] == loop_thread else "worker"

    assert await where(SLOW) == "worker"  # overran (1 in a row): the next call skips inline
    assert await where() == "worker"
    assert await where() == "loop"  # tried inline again, and it ended in time: reset
    assert await where(SLOW) == "worker"  # overran (1 in a row after the reset): skip 1
    assert await where(SLOW) == "worker"  # skipped: straight to a worker, no attempt
    assert await where(SLOW) == "worker"  # tried, overran again (2 in a row): skip 2
    assert [await where() for _ in range(3)] == ["worker", "worker", "loop"]
    stats = calls.stats()
    assert (stats.inline_overruns, stats.failures, stats.ok) == (3, 0, stats.calls)


async def test_a_guest_spinning_forever_ends_at_its_own_timeout_and_never_holds_the_loop(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: ThreadRecorder
) -> None:
    # Two guests that never return, with the default 1000 ms limit, in one chain: each is
    # tried inline (warm), overruns the inline deadline, runs again on a worker and times
    # out there at its own timeout, counted from the call's start, with today's error.
    config.plugins.inline_call_ms = 20
    for index in range(2):
        make_plugin(f"spin{index}", "hook_spin", capabilities=CONVERSATION)
    snapshot = load()
    for index in range(2):  # a warm idle instance each, so that the call is tried inline
        calls = snapshot.plugins[f"spin{index}"].calls
        calls.pool.release(calls.pool.acquire())
    runner = HookRunner().layered(snapshot.hook_handlers())
    gaps = LoopGaps()
    result = await gaps.watch(runner.run(Event.BEFORE_TOOL_CALL, shell_call()))

    assert not result.cancelled  # both timed out and were skipped (fail_open)
    ends = [e for e in recorder.events if isinstance(e, PluginCall)]
    assert [e.outcome for e in ends] == ["timeout", "timeout"]
    # Timed from the call's start (the inline attempt included): the whole call ended by
    # its own limit, plus a tick and a loaded machine's slack.
    assert all(0.95 * 1000 <= e.duration_ms < 1000 + 150 for e in ends)
    traps = recorder.of(PluginTrap)
    assert len(traps) == 2
    assert all("1000 ms" in t.reason for t in traps)
    for index in range(2):
        stats = snapshot.plugins[f"spin{index}"].calls.stats()
        assert (stats.calls, stats.timeouts, stats.failures, stats.inline_overruns) == (1, 1, 1, 1)
    assert threading.get_ident() not in recorder.threads  # the timeouts were on workers
    # The loop was held by each attempt (20 ms at most), never more: the documented bound
    # is 2 x 20 ms + a tick of the loop thread's CPU (+ Python's work around the calls),
    # far under the 1 s calls.
    assert max(gaps.cpu) < 0.1


async def test_a_plugin_importing_http_is_never_run_twice(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: ThreadRecorder
) -> None:
    config.plugins.capabilities.allow.append("http:api.example.com")
    make_plugin("sender", "hook_http", capabilities=(*CONVERSATION, "http:api.example.com"))
    snapshot = load()
    runner = single(snapshot, "sender")

    for _ in range(3):
        result = await runner.run(Event.BEFORE_TOOL_CALL, shell_call())
        assert result.reason == "blocked by http guard"

    calls = snapshot.plugins["sender"].calls
    assert calls.inline is InlineMode.WORKERS
    assert threading.get_ident() not in recorder.threads
    # Offered to the runner's one-hop chains, as before.
    assert snapshot.hook_handlers()[0].blocking_calls is not None


async def test_a_tool_plugin_without_effects_runs_inline_first(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: ThreadRecorder
) -> None:
    make_plugin("echo", "tool_echo", package="zeroclaw:tools@1.0.0")
    snapshot = load()
    (tool,) = plugin_tools(snapshot.plugins).tools

    outputs = [await tool.run({"text": "hi"}) for _ in range(3)]

    assert all(output.success for output in outputs)
    assert len({output.output for output in outputs}) == 1
    assert snapshot.plugins["echo"].calls.inline is InlineMode.FIRST
    assert recorder.threads[1:] == [threading.get_ident()] * 2


# -- the loop budget, a warm call's failure, void calls in place -------------------------


async def test_the_loop_budget_counts_one_slice_of_the_loop(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: ThreadRecorder
) -> None:
    # What inline calls held before the loop last ran its other work does not count: the
    # budget would otherwise build up from turn to turn, so that calls yield more often
    # than needed and inline-first attempts get less than the slice.
    make_plugin("guard", "hook_guard", capabilities=CONVERSATION)
    runner = single(load(), "guard")
    await runner.run(Event.BEFORE_TOOL_CALL, shell_call())  # warms an instance
    await asyncio.sleep(0)
    assert LOOP_BUDGET.held() == 0.0

    await runner.run(Event.BEFORE_TOOL_CALL, shell_call())
    await runner.run(Event.BEFORE_TOOL_CALL, shell_call())
    held = LOOP_BUDGET.held()
    assert held > 0.0  # two inline calls in this slice, counted together
    await asyncio.sleep(0)  # the loop comes back: a new slice
    assert LOOP_BUDGET.held() == 0.0
    await runner.run(Event.BEFORE_TOOL_CALL, shell_call())
    assert 0.0 < LOOP_BUDGET.held() < held + 0.005


@pytest.mark.parametrize("path", ["python", "native"])
async def test_a_pause_of_the_host_before_the_guest_runs_is_not_the_guests_time(
    make_plugin: MakePlugin, load: LoadPlugins, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    # The store's deadline is set once the arguments are lowered, right before the guest
    # runs. A pause of the host in the lowering (here: the tool arguments' JSON takes 60
    # ms once; in a process with plugins loaded, a full garbage collection takes 50-100
    # ms) used to eat an inline call's 20 ms, and the guest was stopped as it began.
    if path == "native" and conversion.NATIVE is None:
        pytest.skip("the native calls extension is not built here (scripts/install builds it)")
    paused: list[float] = []

    class SlowItems(dict[str, Any]):
        """Arguments whose JSON `json` makes (orjson refuses a 70-bit integer), asking
        `items()`: the first time, 60 ms late."""

        def items(self) -> Any:
            if not paused:
                paused.append(0.06)
                time.sleep(0.06)
            return super().items()

    # Codecs are built once per signature and shared: this test's, on its own path.
    monkeypatch.setattr(conversion, "_CODECS", {})
    if path == "python":
        monkeypatch.setattr(conversion, "NATIVE", None)
    make_plugin("guard", "hook_guard", capabilities=CONVERSATION, limits={"timeout_ms": 20})
    snapshot = load()
    runner = single(snapshot, "guard")
    payload = ToolCallRequest("s1", "shell", SlowItems({"command": "rm -rf /", "n": 2**70}))

    result = await runner.run(Event.BEFORE_TOOL_CALL, payload)

    assert paused  # the host did pause inside the call
    assert result.cancelled_by == "guard"  # the guest ran and answered
    stats = snapshot.plugins["guard"].calls.stats()
    assert (stats.ok, stats.timeouts, stats.failures) == (1, 0, 0)


async def test_a_warm_inline_call_that_traps_is_counted_and_its_instance_dropped(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: ThreadRecorder
) -> None:
    make_plugin("counter", "hook_counter", capabilities=CONVERSATION)
    snapshot = load()
    calls = snapshot.plugins["counter"].calls
    runner = single(snapshot, "counter")
    loop_thread = threading.get_ident()
    boom = ToolCallRequest("s1", "boom", {})

    first = await runner.run(Event.BEFORE_TOOL_CALL, shell_call())  # instantiated on a worker
    second = await runner.run(Event.BEFORE_TOOL_CALL, shell_call())  # warm, inline
    held = LOOP_BUDGET.held()
    trapped = await runner.run(Event.BEFORE_TOOL_CALL, boom)  # warm, inline: traps
    held_after_trap = LOOP_BUDGET.held()
    after = await runner.run(Event.BEFORE_TOOL_CALL, shell_call())  # a fresh instance

    assert (first.reason, second.reason) == ("1", "2")
    assert not trapped.cancelled  # fail_open: skipped
    assert after.reason == "1"  # the trapped instance was dropped
    assert recorder.threads[1:3] == [loop_thread, loop_thread]
    assert held_after_trap > held  # the trapped call's time counted too
    stats = calls.stats()
    assert (stats.calls, stats.ok, stats.traps, stats.failures, stats.skipped) == (4, 3, 1, 1, 1)
    assert (stats.instances_created, stats.instances_discarded) == (2, 1)
    assert calls.breaker_status().consecutive_failures == 0  # the next call succeeded
    assert calls._slots.running == 0


async def test_a_void_call_inline_runs_in_place_without_a_task(
    make_plugin: MakePlugin,
    load: LoadPlugins,
    recorder: ThreadRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_plugin("watcher", "hook_observer", capabilities=("log",))
    caplog.set_level(logging.INFO, logger="zeroclaw.plugin.watcher")
    snapshot = load()
    calls = snapshot.plugins["watcher"].calls
    runner = single(snapshot, "watcher")
    loop_thread = threading.get_ident()
    assert calls.inline is InlineMode.FIRST

    # No warm instance yet: the call goes to a worker thread, in a task.
    runner.emit(Event.ON_SESSION_START, SessionStart("s1", "terminal", None))
    assert runner.pending == 1
    await runner.drain()
    # Warm: in place, done when emit returns.
    runner.emit(Event.ON_SESSION_START, SessionStart("s2", "terminal", None))
    assert runner.pending == 0
    assert calls.stats().ok == 2
    assert recorder.threads == [recorder.threads[0], loop_thread]
    assert recorder.threads[0] != loop_thread
    lines = [r.getMessage() for r in caplog.records if r.name == "zeroclaw.plugin.watcher"]
    assert lines == ["s1", "s2"]
    assert [h.stats.calls for h in runner.handlers(Event.ON_SESSION_START)] == [2]
