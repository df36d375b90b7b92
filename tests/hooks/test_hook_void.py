"""Void dispatch: concurrent, fire-and-forget, isolated, counted, drained."""

import asyncio
import logging

import pytest

from zeroclaw.hooks import Event, HeartbeatTick, HookRunner, hook

TICK = Event.ON_HEARTBEAT_TICK


async def test_void_handlers_run_concurrently() -> None:
    # "waiter" runs first in order and can only finish once "setter" has run: if the
    # runner awaited handlers one by one, waiter would time out.
    gate = asyncio.Event()
    done: list[str] = []

    @hook(TICK, name="waiter", priority=10, timeout_s=2)
    async def waiter(tick: HeartbeatTick) -> None:
        await gate.wait()
        done.append("waiter")

    @hook(TICK, name="setter", timeout_s=2)
    async def setter(tick: HeartbeatTick) -> None:
        gate.set()
        done.append("setter")

    runner = HookRunner()
    runner.register(waiter, setter)
    runner.emit(TICK, HeartbeatTick(1, 0.0))
    assert await runner.drain(2) == 0

    assert sorted(done) == ["setter", "waiter"]
    assert all(r.stats.timeouts == 0 and r.stats.calls == 1 for r in runner.handlers())


async def test_emit_returns_before_a_slow_handler_finishes() -> None:
    release = asyncio.Event()
    finished: list[int] = []

    @hook(TICK, name="slow", timeout_s=5)
    async def slow(tick: HeartbeatTick) -> None:
        await release.wait()
        finished.append(tick.tick)

    runner = HookRunner()
    runner.register(slow)
    runner.emit(TICK, HeartbeatTick(7, 0.0))

    # emit has returned; the handler is still waiting in the background.
    await asyncio.sleep(0)
    assert finished == []
    assert runner.pending == 1
    release.set()
    assert await runner.drain(1) == 0
    assert finished == [7]
    assert runner.pending == 0


async def test_a_failing_void_handler_is_isolated_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[int] = []

    @hook(TICK, name="boom", priority=1)
    def boom(tick: HeartbeatTick) -> None:
        raise ValueError("bad tick")

    @hook(TICK, name="fine")
    def fine(tick: HeartbeatTick) -> None:
        seen.append(tick.tick)

    runner = HookRunner()
    runner.register(boom, fine)
    with caplog.at_level(logging.WARNING, logger="zeroclaw.hooks"):
        runner.emit(TICK, HeartbeatTick(1, 0.0))
        runner.emit(TICK, HeartbeatTick(2, 0.0))
        await runner.drain(1)

    assert seen == [1, 2]
    stats = {r.spec.name: r.stats for r in runner.handlers()}
    assert (stats["boom"].calls, stats["boom"].failures) == (2, 2)
    assert (stats["fine"].calls, stats["fine"].failures) == (2, 0)
    assert "ValueError: bad tick" in caplog.text


async def test_a_slow_void_handler_times_out_and_is_counted() -> None:
    @hook(TICK, name="stuck", timeout_s=0.02)
    async def stuck(tick: HeartbeatTick) -> None:
        await asyncio.sleep(10)

    runner = HookRunner()
    runner.register(stuck)
    runner.emit(TICK, HeartbeatTick(1, 0.0))
    assert await runner.drain(2) == 0
    assert runner.handlers()[0].stats.timeouts == 1


async def test_drain_cancels_what_outlives_its_timeout() -> None:
    @hook(TICK, name="forever", timeout_s=60)
    async def forever(tick: HeartbeatTick) -> None:
        await asyncio.sleep(60)

    runner = HookRunner()
    runner.register(forever)
    runner.emit(TICK, HeartbeatTick(1, 0.0))
    assert await runner.drain(0.01) == 1
    assert runner.pending == 0


async def test_calls_beyond_max_pending_are_dropped_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()

    @hook(TICK, name="blocked", timeout_s=5)
    async def blocked(tick: HeartbeatTick) -> None:
        await release.wait()

    runner = HookRunner(max_pending=2)
    runner.register(blocked)
    with caplog.at_level(logging.WARNING, logger="zeroclaw.hooks"):
        for tick in range(3):
            runner.emit(TICK, HeartbeatTick(tick, 0.0))
    assert runner.pending == 2
    assert runner.dropped == 1
    assert "hooks.max_pending_void" in caplog.text
    release.set()
    await runner.drain(1)
    assert runner.handlers()[0].stats.calls == 2


def test_emit_outside_an_event_loop_drops_without_raising() -> None:
    runner = HookRunner()
    runner.register(hook(TICK, name="h")(lambda tick: None))
    runner.emit(TICK, HeartbeatTick(1, 0.0))
    assert runner.dropped == 1


async def test_emit_without_handlers_does_nothing() -> None:
    runner = HookRunner()
    runner.emit(TICK, HeartbeatTick(1, 0.0))
    assert (runner.pending, runner.dropped) == (0, 0)
