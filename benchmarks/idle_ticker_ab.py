"""ZeroClaw source trees side by side: the CPU time of a process with ten WAT hook plugins
loaded, while it runs agent turns and while it sits idle after them (the epoch ticker's
cost, engine.py).

Each child process (one per tree and round, that tree's `src` first on the path) starts an
AgentRuntime with ten WAT guard plugins (the suite's agent-turn setup, time limit 1000 ms,
so a call's deadline is pending for a second after it), runs 5 batches of 20 turns, then
sleeps: the process's CPU time (every thread) is read over the first second after the last
turn (a deadline still pending) and over the next two. Rows: CPU ms per turn, and CPU ms
per second of each idle window. Trees alternate, forwards then backwards, as in the other
A/B scripts; the table gives medians over rounds. Nothing is asserted.

    mkdir -p /tmp/t-main && git archive main src wit | tar -x -C /tmp/t-main
    .venv/bin/python benchmarks/idle_ticker_ab.py main=/tmp/t-main/src idle=src
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from report import (
    ab_children_main,
    by_row_and_tree,
    load_line,
    ratio_to_first,
    write_rows,
)

MESSAGE = '/tool file_list {"path": "."}'
TURN_ROW = "agent turn, 10 WAT plugins (CPU ms/turn)"
PENDING_ROW = "idle, 0-1 s after the last call (CPU ms/s)"
IDLE_ROW = "idle, 1-3 s after the last call (CPU ms/s)"


async def measure(work: Path, batches: int, turns: int) -> dict[str, float]:
    from suite import one_turn, turn_config

    from zeroclaw.agent import AgentRuntime, DenyApprover

    config = turn_config(work, work / "g.wasm", 10, 1000, inline_first=True)
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        await runtime.agent.start_session("idle", channel="bench")
        await one_turn(runtime, "idle", MESSAGE)  # warm
        per_turn = []
        for _ in range(batches):
            started = time.process_time()
            for _ in range(turns):
                await one_turn(runtime, "idle", MESSAGE)
            per_turn.append((time.process_time() - started) / turns)
        first = time.process_time()
        await asyncio.sleep(1.0)
        second = time.process_time()
        await asyncio.sleep(2.0)
        third = time.process_time()
        runtime.agent.end_session("idle", channel="bench")
    return {
        TURN_ROW: statistics.median(per_turn) * 1000,
        PENDING_ROW: (second - first) * 1000,
        IDLE_ROW: (third - second) * 1000 / 2,
    }


def child(out: Path, batches: int, turns: int) -> None:
    from plugin_hook_bench import build_guest

    with tempfile.TemporaryDirectory(prefix="zeroclaw-ab-") as tmp:
        work = Path(tmp)
        build_guest(work)
        write_rows(out, asyncio.run(measure(work, batches, turns)))


def table(trees: list[str], runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    first = trees[0]
    lines = [
        f"{args.rounds} alternating rounds; each a child process per tree. Medians over rounds.",
        "",
        f"| row | tree | median | spread | x {first} (per round) |",
        "|---|---|---:|---:|---:|",
    ]
    for row, tree, mine, theirs in by_row_and_tree(runs):
        versus = ratio_to_first(mine, theirs, lambda value: max(value, 1e-3))
        lines.append(
            f"| {row} | {tree} | {statistics.median(mine):.3f} | "
            f"{min(mine):.3f}-{max(mine):.3f} | {versus:.2f} |"
        )
    lines += ["", load_line(args.load)]
    return "\n".join(lines)


def main() -> int:
    return ab_children_main(
        __doc__, __file__, child, table, rounds=6, sizes={"--batches": 5, "--turns": 20}
    )


if __name__ == "__main__":
    raise SystemExit(main())
