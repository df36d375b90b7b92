"""Where an agent turn's time goes, by thread: plugins disabled against ten WAT hook plugins
(the suite's turn and guest, default limit: inline first), in one process.

For each row, the CPU time a turn costs each thread of the process (the event loop's, the
storage loop's, the epoch ticker's, the default executor's; read from each thread's own
CPU clock), the loop thread's CPU time inside modifying dispatches (every `HookRunner.run`
of the turn, timed with `time.thread_time`), and the rest of the loop thread's time: what
a turn costs outside its hook dispatches. The rows alternate, forwards then backwards, in
rounds of `--turns` turns; medians over rounds. Nothing is asserted.

A third row runs the ten plugins with the wasm call itself stubbed (`WarmInstance.call`
answers at once what the guest answers: the lowering, the store's arming, the C call and
the lift skipped), during its own turns only: what the Python layers around the calls
(runner, adapter, `PluginCalls`) cost in a turn, apart from the calls into wasm.

    PYTHONPATH=src .venv/bin/python benchmarks/turn_thread_split.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from plugin_hook_bench import build_guest
from suite import one_turn, turn_config

from zeroclaw.hooks import Event, HookRunner

ROWS = (
    ("plugins disabled", 0, False),
    ("10 WAT plugins (default: inline first)", 10, False),
    ("10 WAT plugins, wasm call stubbed", 10, True),
)
MESSAGE = '/tool file_list {"path": "."}'
in_dispatch = [0.0]
_plain_run = HookRunner.run


async def _timed_run(self: HookRunner, event: Event, payload: Any, **kw: Any) -> Any:
    started = time.thread_time()
    try:
        return await _plain_run(self, event, payload, **kw)
    finally:
        in_dispatch[0] += time.thread_time() - started


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each live thread of the process so far, by thread name."""
    seconds: dict[str, float] = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            clock = time.pthread_getcpuclockid(thread.ident)
            spent = time.clock_gettime(clock)
        except (OSError, ProcessLookupError):  # ended meanwhile
            continue
        # Worker threads of one kind (asyncio_0, asyncio_1...) count as one.
        name = thread.name.rstrip("0123456789").rstrip("_-") or thread.name
        seconds[name] = seconds.get(name, 0.0) + spent
    return seconds


def _answered(*args: Any, **kw: Any) -> Any:
    """`WarmInstance.call` stubbed: the guard's answer to a call of `file_list`."""
    from wasmtime.component import Variant

    return Variant("unchanged")


async def measure(work: Path, rounds: int, turns: int) -> dict[str, dict[str, list[float]]]:
    from zeroclaw.agent import AgentRuntime, DenyApprover
    from zeroclaw.plugins.wasm.instance import WarmInstance

    guest = build_guest(work)
    runtimes = []
    for name, count, stubbed in ROWS:
        config = turn_config(
            work, guest, count, 1000, inline_first=True, suffix="-stubbed" if stubbed else ""
        )
        runtime = AgentRuntime.from_config(config, approver=DenyApprover())
        await runtime.__aenter__()
        runtimes.append((name, runtime, stubbed))
    found: dict[str, dict[str, list[float]]] = {name: {} for name, *_ in ROWS}
    real_call = WarmInstance.call
    try:
        for _, runtime, _ in runtimes:
            await runtime.agent.start_session("warm", channel="bench")
            for _ in range(20):
                await one_turn(runtime, "warm", MESSAGE)
        for index in range(rounds):
            for name, runtime, stubbed in runtimes if index % 2 == 0 else runtimes[::-1]:
                session = f"s{index}"
                await runtime.agent.start_session(session, channel="bench")
                in_dispatch[0] = 0.0
                if stubbed:
                    WarmInstance.call = _answered  # type: ignore[method-assign]
                before, started = thread_cpu(), time.perf_counter()
                try:
                    for _ in range(turns):
                        await one_turn(runtime, session, MESSAGE)
                finally:
                    WarmInstance.call = real_call  # type: ignore[method-assign]
                wall, after = time.perf_counter() - started, thread_cpu()
                runtime.agent.end_session(session, channel="bench")
                row = found[name]
                row.setdefault("wall", []).append(wall / turns)
                for thread, spent in after.items():
                    row.setdefault(thread, []).append((spent - before.get(thread, 0.0)) / turns)
                row.setdefault("in dispatch", []).append(in_dispatch[0] / turns)
    finally:
        for _, runtime, _ in runtimes:
            await runtime.__aexit__(None, None, None)
    return found


def table(found: dict[str, dict[str, list[float]]]) -> list[str]:
    """One line per figure: each row's, then each plugin row's difference to the first."""
    med = statistics.median
    rows = [found[name] for name, *_ in ROWS]
    ten = rows[1]
    threads = sorted(
        (t for t in ten if t not in ("wall", "in dispatch") and med(ten[t]) >= 1e-6),
        key=lambda t: -med(ten[t]),
    )
    names = [name for name, *_ in ROWS]
    lines = [
        f"| ms per turn | {' | '.join(names)} | "
        + " | ".join(f"{name}: difference" for name in names[1:])
        + " |",
        "|---|" + "---:|" * (2 * len(names) - 1),
    ]

    def line(label: str, figures: list[float]) -> None:
        cells = [f"{f * 1e3:.3f}" for f in figures]
        cells += [f"{(f - figures[0]) * 1e3:+.3f}" for f in figures[1:]]
        lines.append(f"| {label} | {' | '.join(cells)} |")

    line("wall clock", [med(row["wall"]) for row in rows])
    for thread in threads:
        line(f"CPU, thread {thread}", [med(row.get(thread, [0.0])) for row in rows])
    line("CPU, loop thread in hook dispatch", [med(row["in dispatch"]) for row in rows])
    main = threading.main_thread().name

    def outside(row: dict[str, list[float]]) -> float:
        return med([a - b for a, b in zip(row[main], row["in dispatch"], strict=True)])

    line("CPU, loop thread outside hook dispatch", [outside(row) for row in rows])
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    HookRunner.run = _timed_run  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(prefix="zeroclaw-split-") as tmp:
        found = asyncio.run(measure(Path(tmp), args.rounds, args.turns))
    print(f"{args.rounds} alternating rounds of {args.turns} turns per row. Medians over rounds.")
    print()
    print("\n".join(table(found)))
    print(f"\nLoad average (1 min): {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
