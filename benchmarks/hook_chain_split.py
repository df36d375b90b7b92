"""Where the time of a hook chain on worker threads goes: ten WAT guard plugins (the
suite's guest, `timeout_ms` 1000) on `before_tool_call`, in one hop (hooks/runner.py),
split into the hop to the thread (from handing the chain over to the thread starting it),
the ten calls on the thread, and the hop back with the loop's side of the ten steps
(counting, explain bookkeeping), each a median over dispatches. Measured twice in one
process: dispatches alone in a loop, and inside offline-provider agent turns with a tool
call (suite.py's turn), where the turn's other threads run too. Wraps two private
functions of the runner to take the times; nothing is asserted.

    .venv/bin/python benchmarks/hook_chain_split.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from plugin_hook_bench import build_guest
from suite import one_turn, plugin_config, write_guard_plugins

from zeroclaw.hooks import Event, HookRunner, ToolCallRequest
from zeroclaw.hooks import runner as runner_module

Times = dict[str, float]
records: list[Times] = []
_plain_chain = runner_module._chain
_plain_call_on_thread = runner_module._call_on_thread


def _timed_chain(hop: Any, event: Event, payload: Any) -> None:
    started = time.perf_counter()
    _plain_chain(hop, event, payload)
    records[-1].update(thread_start=started, thread_end=time.perf_counter())


async def _timed_call_on_thread(run: Any, event: Event, payload: Any) -> Any:
    records.append({"submit": time.perf_counter()})
    taken = await _plain_call_on_thread(run, event, payload)
    records[-1]["back"] = time.perf_counter()
    return taken


def split(label: str) -> str:
    def median(first: str, last: str) -> float:
        return statistics.median((r[last] - r[first]) * 1e6 for r in records)

    whole = statistics.quantiles([(r["back"] - r["submit"]) * 1e6 for r in records], n=4)
    return (
        f"| {label} | {len(records)} | {median('submit', 'thread_start'):.0f} | "
        f"{median('thread_start', 'thread_end'):.0f} | {median('thread_end', 'back'):.0f} | "
        f"{median('submit', 'back'):.0f} | {whole[0]:.0f}-{whole[2]:.0f} |"
    )


async def measure(work: Path, dispatches: int, turns: int) -> list[str]:
    from zeroclaw.agent import AgentRuntime, DenyApprover
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry

    plugins = work / "plugins"
    plugins.mkdir()
    write_guard_plugins(plugins, build_guest(work), 10, timeout_ms=1000)
    lines = []

    config = plugin_config(work / "alone", plugins)
    registry = PluginRegistry.for_config(config)
    try:
        runner = HookRunner().layered(registry.load(config.plugins).hook_handlers())
        call = ToolCallRequest("s1", "file_list", {"path": "."})
        for _ in range(20):
            await runner.run(Event.BEFORE_TOOL_CALL, call)
        records.clear()
        for _ in range(dispatches):
            await runner.run(Event.BEFORE_TOOL_CALL, call)
        lines.append(split("dispatches alone"))
    finally:
        registry.close()

    config = plugin_config(work / "turns", plugins)
    config.workspace.mkdir(parents=True, exist_ok=True)
    runtime = AgentRuntime.from_config(config, approver=DenyApprover())
    message = '/tool file_list {"path": "."}'
    async with runtime:
        await runtime.agent.start_session("s", channel="bench")
        for _ in range(5):
            await one_turn(runtime, "s", message)
        records.clear()
        for _ in range(turns):
            await one_turn(runtime, "s", message)
        lines.append(split("inside agent turns"))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dispatches", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    runner_module._chain = _timed_chain
    runner_module._call_on_thread = _timed_call_on_thread
    with tempfile.TemporaryDirectory(prefix="zeroclaw-split-") as tmp:
        lines = asyncio.run(measure(Path(tmp), args.dispatches, args.turns))
    print(
        "| 10 WAT plugins, one hop | dispatches | hop in us | 10 calls on the thread us "
        "| hop back + loop's steps us | whole us | whole, spread |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(lines))
    print(f"\nLoad average (1 min): {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
