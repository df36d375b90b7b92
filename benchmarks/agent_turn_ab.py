"""ZeroClaw source trees side by side: the suite's agent-turn rows (suite.py `agent_turns`:
plugins disabled, 1 and 10 WAT hook plugins inline and on worker threads) of each tree,
measured in one run.

Two trees cannot be imported into one process, so each round runs the part once per tree,
each in a child process of its own with that tree's `src` first on the path (the
benchmark code is this tree's for both), forwards then backwards in alternate rounds, so
a busy machine slows all trees alike. Within a child the rows alternate as in the suite,
and each row's ratio to plugins disabled is taken there; the table gives the median over
rounds of each child's figures, and for each row the median of per-round ratios of a
tree's ms/turn to the first tree's. Nothing is asserted.

    mkdir -p /tmp/t-main && git archive main src wit | tar -x -C /tmp/t-main
    .venv/bin/python benchmarks/agent_turn_ab.py main=/tmp/t-main/src onehop=src
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from operator import itemgetter
from pathlib import Path
from typing import Any

from report import (
    ab_children_main,
    by_row_and_tree,
    load_line,
    ratio_to_first,
    write_rows,
)


def child(out: Path, turn_rounds: int, turns: int) -> None:
    """Run the suite's agent-turn part with this process's zeroclaw; write its rows."""
    from plugin_hook_bench import build_guest
    from suite import FULL, agent_turns

    sizes = FULL.__class__(**{**FULL.__dict__, "turn_rounds": turn_rounds, "turns": turns})
    with tempfile.TemporaryDirectory(prefix="zeroclaw-ab-") as tmp:
        work = Path(tmp)
        build_guest(work)
        rows = agent_turns(work, work / "g.wasm", sizes)
    write_rows(out, rows)


def table(trees: list[str], runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    first = trees[0]
    lines = [
        f"{args.rounds} alternating rounds; each a child process per tree running "
        f"{args.turn_rounds} suite rounds of {args.turns} turns. Medians over rounds.",
        "",
        f"| row | tree | ms/turn | x plugins disabled | CPU x disabled | ms/turn in hook "
        f"dispatch | x {first} (ms/turn, per round) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    med = statistics.median
    for row, tree, mine, theirs in by_row_and_tree(runs):
        versus = ratio_to_first(mine, theirs, itemgetter("median"))
        lines.append(
            f"| {row} | {tree} | {med(r['median'] for r in mine):.3f} | "
            f"{med(r['ratios']['x plugins disabled, per round'] for r in mine):.2f} | "
            f"{med(r['ratios']['cpu x plugins disabled, per round'] for r in mine):.2f} | "
            f"{med(r['in_hook_dispatch_ms'] for r in mine):.3f} | {versus:.2f} |"
        )
    lines += [
        "",
        load_line(args.load),
    ]
    return "\n".join(lines)


def main() -> int:
    return ab_children_main(
        __doc__, __file__, child, table, rounds=8, sizes={"--turn-rounds": 5, "--turns": 20}
    )


if __name__ == "__main__":
    raise SystemExit(main())
