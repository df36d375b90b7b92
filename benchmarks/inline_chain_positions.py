"""Where ten inline plugin calls of an agent turn go: each call of a `before_tool_call`
chain of ten WAT guard plugins (the suite's guest, `timeout_ms` 20, so called inline on the
event loop), timed by its place in the chain, wall clock and the loop thread's own CPU
time (`time.thread_time`), medians over dispatches.

Measured three ways in one process, on the same runtime and chain: inside
offline-provider agent turns with a tool call (suite.py's turn), where the rest of the
turn runs between two dispatches; the same dispatch alone in a loop (explained, as the
tool gate asks); and alone with 8 MiB of memory written between two dispatches, which
pushes the chain's data out of the CPU caches as other work would. Wraps
`PluginHookHandler.handle_now` to take the times; nothing is asserted.

    .venv/bin/python benchmarks/inline_chain_positions.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from plugin_hook_bench import build_guest
from suite import one_turn, plugin_config, write_guard_plugins

from zeroclaw.hooks import Event, HookRunner, ToolCallRequest
from zeroclaw.plugins.adapters.hooks import PluginHookHandler

PLUGINS = 10
wall: list[float] = []
cpu: list[float] = []
_plain_handle_now = PluginHookHandler.handle_now


def _timed_handle_now(self: PluginHookHandler, event: Event, payload: Any) -> Any:
    started, started_cpu = time.perf_counter(), time.thread_time()
    try:
        return _plain_handle_now(self, event, payload)
    finally:
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)


def positions(label: str) -> str:
    """A table row: the median call at each place in the chain, and the sum of those."""
    by_place = [statistics.median(wall[place::PLUGINS]) * 1e6 for place in range(PLUGINS)]
    by_place_cpu = [statistics.median(cpu[place::PLUGINS]) * 1e6 for place in range(PLUGINS)]
    cells = " | ".join(f"{w:.1f}" for w in by_place)
    return (
        f"| {label} | {len(wall) // PLUGINS} | {cells} | {sum(by_place):.0f} | "
        f"{sum(by_place_cpu):.0f} |"
    )


async def measure(work: Path, dispatches: int, turns: int) -> list[str]:
    from zeroclaw.agent import AgentRuntime, DenyApprover

    plugins = work / "plugins"
    plugins.mkdir()
    write_guard_plugins(plugins, build_guest(work), PLUGINS, timeout_ms=20)
    config = plugin_config(work / "data", plugins)
    config.workspace.mkdir(parents=True, exist_ok=True)
    runtime = AgentRuntime.from_config(config, approver=DenyApprover())
    await runtime.__aenter__()
    rows = []
    try:
        message = '/tool file_list {"path": "."}'
        await runtime.agent.start_session("warm", channel="bench")
        for _ in range(20):
            await one_turn(runtime, "warm", message)
        runner: HookRunner = runtime.agent._gate._hooks()
        request = ToolCallRequest("warm", "file_list", {"path": "."})
        junk = bytearray(8 << 20)

        def alone() -> Awaitable[Any]:
            return runner.run(Event.BEFORE_TOOL_CALL, request, explain=True)

        def flushed() -> Awaitable[Any]:
            junk[::64] = bytes(len(junk) // 64)  # write every cache line of 8 MiB
            return alone()

        async def in_turn(session: str) -> None:
            await one_turn(runtime, session, message)

        async def run(label: str, count: int, step: Callable[[int], Awaitable[Any]]) -> None:
            wall.clear()
            cpu.clear()
            for index in range(count):
                await step(index)
            rows.append(positions(label))

        async def turns_of_sessions(index: int) -> None:
            session = f"s{index // 20}"  # 20 turns a session, as the suite's rounds
            if index % 20 == 0:
                await runtime.agent.start_session(session, channel="bench")
            await in_turn(session)

        await run("inside agent turns", turns, turns_of_sessions)
        await run("dispatches alone", dispatches, lambda _: alone())
        await run("alone, caches flushed between dispatches", dispatches, lambda _: flushed())
    finally:
        await runtime.__aexit__(None, None, None)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dispatches", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=400)
    args = parser.parse_args()
    PluginHookHandler.handle_now = _timed_handle_now  # type: ignore[method-assign]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="zeroclaw-positions-") as tmp:
        rows = asyncio.run(measure(Path(tmp), args.dispatches, args.turns))
    places = " | ".join(f"call {place + 1} us" for place in range(PLUGINS))
    print(f"| 10 WAT plugins inline | dispatches | {places} | sum us | sum CPU us |")
    print("|---|---:|" + "---:|" * (PLUGINS + 2))
    print("\n".join(rows))
    print(f"\nLoad average (1 min): {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
