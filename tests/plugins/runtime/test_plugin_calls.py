"""Calls into real WAT plugins: time and memory limits, traps, warm instances, the
concurrency cap and the circuit breaker. Hook payloads go in as the agent sends them."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from runtime_support import LoadPlugins, MakePlugin, Recorder

from zeroclaw.config import Config
from zeroclaw.config.models import PluginOverride
from zeroclaw.hooks import Cancel, Continue, Event, HookRunner, ToolCallRequest
from zeroclaw.observability import Error, PluginCall, PluginTrap
from zeroclaw.plugins.adapters.hooks import PluginHookHandler
from zeroclaw.plugins.errors import (
    PluginBusy,
    PluginMemoryExceeded,
    PluginQuarantined,
    PluginTimeout,
)
from zeroclaw.plugins.errors import (
    PluginTrap as PluginTrapError,
)
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.plugins.wasm.breaker import BreakerSettings, BreakerState
from zeroclaw.plugins.wasm.calls import RuntimeSettings

CONVERSATION = ("hooks.conversation", "hooks.modify")


def tool_call(tool: str = "ls") -> ToolCallRequest:
    return ToolCallRequest("s1", tool, {"path": "."})


def handler(snapshot: PluginSnapshot, name: str) -> PluginHookHandler:
    return next(h for h in snapshot.hook_handlers() if h.plugin.name == name)


async def test_an_infinite_loop_is_stopped_near_its_timeout(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: Recorder
) -> None:
    make_plugin("spin", "hook_spin", capabilities=CONVERSATION, limits={"timeout_ms": 100})
    spin = handler(load(), "spin")

    started = time.monotonic()
    with pytest.raises(PluginTimeout) as raised:
        await spin.handle(Event.BEFORE_TOOL_CALL, tool_call())
    elapsed = time.monotonic() - started

    assert 0.1 <= elapsed < 0.5  # stopped by the epoch deadline, not left spinning
    assert "100 ms" in raised.value.message
    assert "plugins.overrides.spin.limits.timeout_ms" in (raised.value.hint or "")
    assert recorder.of(PluginTrap)[-1].plugin == "spin"
    assert recorder.of(PluginCall)[-1].outcome == "timeout"


async def test_a_memory_bomb_stops_at_the_cap(make_plugin: MakePlugin, load: LoadPlugins) -> None:
    make_plugin("bomb", "hook_bomb", capabilities=CONVERSATION, limits={"memory_mb": 4})
    bomb = handler(load(), "bomb")

    with pytest.raises(PluginMemoryExceeded) as raised:
        await bomb.handle(Event.BEFORE_TOOL_CALL, tool_call())

    assert "4 MiB" in raised.value.message
    assert bomb.plugin.calls.stats().memory == 1


async def test_a_trap_leaves_other_plugins_and_the_next_call_working(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("counter", "hook_counter", capabilities=CONVERSATION)
    make_plugin("guard", "hook_guard", capabilities=CONVERSATION)
    snapshot = load()
    counter, guard = handler(snapshot, "counter"), handler(snapshot, "guard")

    first = await counter.handle(Event.BEFORE_TOOL_CALL, tool_call())
    second = await counter.handle(Event.BEFORE_TOOL_CALL, tool_call())
    with pytest.raises(PluginTrapError, match="unreachable"):
        await counter.handle(Event.BEFORE_TOOL_CALL, tool_call("boom"))
    after = await counter.handle(Event.BEFORE_TOOL_CALL, tool_call())
    other = await guard.handle(Event.BEFORE_TOOL_CALL, tool_call("boom"))

    # the counter lives in the guest: a warm instance keeps it, the trap's store is gone
    assert (first, second, after) == (Cancel("1"), Cancel("2"), Cancel("1"))
    assert other == Cancel("blocked by wasm guard")
    stats = counter.plugin.calls.stats()
    assert (stats.instances_created, stats.instances_discarded, stats.traps) == (2, 1, 1)


async def test_warm_instances_are_recycled_after_their_calls(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("counter", "hook_counter", capabilities=CONVERSATION)
    counter = handler(load(RuntimeSettings(recycle_after_calls=2)), "counter")

    reasons = [
        outcome.reason
        for outcome in [await counter.handle(Event.BEFORE_TOOL_CALL, tool_call()) for _ in range(5)]
        if isinstance(outcome, Cancel)
    ]

    assert reasons == ["1", "2", "1", "2", "1"]
    assert counter.plugin.calls.stats().instances_recycled == 2


async def test_the_concurrency_cap_holds(
    make_plugin: MakePlugin, load: LoadPlugins, caplog: pytest.LogCaptureFixture
) -> None:
    make_plugin(
        "slow",
        "hook_slow",
        capabilities=(*CONVERSATION, "log"),
        # Six calls two at a time wait three spins for their slot, each spin far longer on
        # a loaded machine: the time limit is only an upper bound here.
        limits={"max_concurrency": 2, "timeout_ms": 60_000},
    )
    slow = handler(load(), "slow")
    caplog.set_level(logging.INFO, logger="zeroclaw.plugin.slow")
    inside = InsideCounter(calls=6)
    logging.getLogger("zeroclaw.plugin.slow").addHandler(inside)
    try:
        outcomes = await asyncio.gather(
            *(slow.handle(Event.BEFORE_TOOL_CALL, tool_call()) for _ in range(6))
        )
    finally:
        logging.getLogger("zeroclaw.plugin.slow").removeHandler(inside)

    assert all(isinstance(outcome, Continue) for outcome in outcomes)
    assert inside.entered == 6
    assert inside.peak == 2  # calls were in the guest two at a time, never more
    assert slow.plugin.calls.stats().peak_concurrency == 2


class InsideCounter(logging.Handler):
    """Counts the slow guest's calls between its "enter" and "exit" log lines.

    A call that enters alone waits (in its log call) until another call is inside too, or
    every call has entered: two calls overlap because the cap lets them, not because the
    scheduler happened to run both threads at once. The spin that follows keeps them
    inside long enough for a third to show if the cap let it in."""

    def __init__(self, calls: int) -> None:
        super().__init__(logging.INFO)
        self._calls = calls
        self._changed = threading.Condition()
        self.inside = self.peak = self.entered = 0

    def handle(self, record: logging.LogRecord) -> bool:
        # Without the handler's own lock, which would hold the other calls' lines back
        # while one waits.
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            if record.getMessage() == "enter":
                self.entered += 1
                self.inside += 1
                self.peak = max(self.peak, self.inside)
                self._changed.notify_all()
                self._changed.wait_for(
                    lambda: self.inside > 1 or self.entered == self._calls, timeout=10
                )
            elif record.getMessage() == "exit":
                self.inside -= 1


async def test_a_call_waiting_past_its_timeout_for_a_slot_is_refused(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin(
        "slow",
        "hook_slow",
        capabilities=(*CONVERSATION, "log"),
        limits={"max_concurrency": 1, "timeout_ms": 1000},
    )
    calls = handler(load(), "slow").plugin.calls
    holding = threading.Event()
    release = threading.Event()

    def hold(_: object) -> None:
        holding.set()
        release.wait(5)

    holder = threading.Thread(
        target=calls.call, args=("before-tool-call", (tool_call(),), hold), daemon=True
    )
    holder.start()
    assert holding.wait(5)
    try:
        # queued as if it had already waited 990 ms of its 1000 ms for the only slot
        with pytest.raises(PluginBusy, match="1 call slots"):
            calls.call("before-tool-call", (tool_call(),), lambda r: r, time.monotonic() - 0.99)
    finally:
        release.set()
        holder.join(5)

    assert calls.stats().busy == 1
    assert calls.breaker_status().consecutive_failures == 0  # busy is not the plugin's fault


async def test_the_breaker_quarantines_after_repeated_failures_and_recovers(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: Recorder
) -> None:
    make_plugin("counter", "hook_counter", capabilities=CONVERSATION)
    breaker = BreakerSettings(failure_threshold=3, cooldown_s=0.2, max_cooldown_s=1.0)
    counter = handler(load(RuntimeSettings(breaker=breaker)), "counter")

    for _ in range(3):
        with pytest.raises(PluginTrapError):
            await counter.handle(Event.BEFORE_TOOL_CALL, tool_call("boom"))
    with pytest.raises(PluginQuarantined, match="3 failures in a row"):
        await counter.handle(Event.BEFORE_TOOL_CALL, tool_call())  # refused: no wasm runs
    quarantined = counter.plugin.state
    await asyncio.sleep(0.25)
    probe = await counter.handle(Event.BEFORE_TOOL_CALL, tool_call())

    assert quarantined == "quarantined"
    assert probe == Cancel("1")  # the half-open probe ran in a fresh instance and succeeded
    assert counter.plugin.calls.breaker_status().state is BreakerState.CLOSED
    stats = counter.plugin.calls.stats()
    assert (stats.traps, stats.quarantined, stats.ok) == (3, 1, 1)
    assert [e.outcome for e in recorder.of(PluginCall)] == ["trap"] * 3 + ["rejected", "ok"]
    (tripped,) = recorder.of(Error)
    assert tripped.error_type == "PluginQuarantined"
    assert "quarantined for 0.2s after 3 failures in a row" in tripped.message


async def test_a_required_plugins_failure_cancels_the_chain(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config
) -> None:
    make_plugin("counter", "hook_counter", capabilities=CONVERSATION)
    config.plugins.overrides["counter"] = PluginOverride(required=True)
    runner = HookRunner()
    runner.register(*load().hook_handlers())

    result = await runner.run(Event.BEFORE_TOOL_CALL, tool_call("boom"))

    assert result.cancelled
    assert result.cancelled_by == "counter"
    assert "fail_closed" in (result.reason or "")


async def test_a_fail_open_plugin_that_times_out_is_skipped_and_the_skips_are_counted(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("spin", "hook_spin", capabilities=CONVERSATION, limits={"timeout_ms": 50})
    snapshot = load()
    runner = HookRunner().layered(snapshot.hook_handlers())

    for _ in range(2):
        result = await runner.run(Event.BEFORE_TOOL_CALL, tool_call())
        assert not result.cancelled  # fail_open: the tool call goes on unguarded

    (registered,) = runner.handlers(Event.BEFORE_TOOL_CALL)
    assert registered.stats.skips == 2
    stats = snapshot.plugins["spin"].calls.stats()
    assert (stats.timeouts, stats.skipped) == (2, 2)


async def test_a_required_plugin_that_times_out_cancels_and_is_not_skipped(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config
) -> None:
    make_plugin("spin", "hook_spin", capabilities=CONVERSATION, limits={"timeout_ms": 50})
    config.plugins.overrides["spin"] = PluginOverride(required=True)
    snapshot = load()
    runner = HookRunner().layered(snapshot.hook_handlers())

    result = await runner.run(Event.BEFORE_TOOL_CALL, tool_call())

    assert result.cancelled
    assert snapshot.plugins["spin"].calls.stats().skipped == 0


class ErrorsOnly(Recorder):
    """Says it records no PluginCall: the runtime then builds none (a failed call is
    still reported by its other events: PluginTrap, Error)."""

    def observes(self, kind: type) -> bool:
        return kind is not PluginCall


async def test_no_plugin_call_event_is_built_when_no_observer_records_it(
    make_plugin: MakePlugin, config: Config
) -> None:
    make_plugin("counter", "hook_counter", capabilities=CONVERSATION)
    quiet, everything = ErrorsOnly(), Recorder()
    for observer in (quiet, everything):
        registry = PluginRegistry.for_config(config, observer=observer)
        try:
            counter = handler(registry.load(config.plugins), "counter")
            assert await counter.handle(Event.BEFORE_TOOL_CALL, tool_call()) == Cancel("1")
            with pytest.raises(PluginTrapError):
                await counter.handle(Event.BEFORE_TOOL_CALL, tool_call("boom"))
        finally:
            registry.close()

    assert [e.outcome for e in everything.of(PluginCall)] == ["ok", "trap"]
    assert quiet.of(PluginCall) == []
    assert len(quiet.of(PluginTrap)) == 1
