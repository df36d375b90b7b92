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
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from report import alternating_rounds, load_line, source_tree

HERE = Path(__file__).resolve().parent


def child(out: Path, turn_rounds: int, turns: int) -> None:
    """Run the suite's agent-turn part with this process's zeroclaw; write its rows."""
    from suite import FULL, agent_turns, build_guest

    import zeroclaw

    sizes = FULL.__class__(**{**FULL.__dict__, "turn_rounds": turn_rounds, "turns": turns})
    with tempfile.TemporaryDirectory(prefix="zeroclaw-ab-") as tmp:
        work = Path(tmp)
        build_guest(work)
        rows = agent_turns(work, work / "g.wasm", sizes)
    out.write_text(json.dumps({"zeroclaw": zeroclaw.__file__, "rows": rows}))


def run_child(src: Path, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(HERE)])}
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                out.name,
                "--turn-rounds",
                str(args.turn_rounds),
                "--turns",
                str(args.turns),
            ],
            env=env,
            check=True,
        )
        found: dict[str, Any] = json.loads(Path(out.name).read_text())
    if not found["zeroclaw"].startswith(str(src)):
        raise SystemExit(f"the child imported {found['zeroclaw']}, not the tree {src}")
    rows: dict[str, Any] = found["rows"]
    return rows


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
    for row in runs[first][0]:
        for tree in trees:
            mine = [run[row] for run in runs[tree]]
            theirs = [run[row] for run in runs[first]]

            def med(values: list[float]) -> float:
                return statistics.median(values)

            versus = med([a["median"] / b["median"] for a, b in zip(mine, theirs, strict=True)])
            lines.append(
                f"| {row} | {tree} | {med([r['median'] for r in mine]):.3f} | "
                f"{med([r['ratios']['x plugins disabled, per round'] for r in mine]):.2f} | "
                f"{med([r['ratios']['cpu x plugins disabled, per round'] for r in mine]):.2f} | "
                f"{med([r['in_hook_dispatch_ms'] for r in mine]):.3f} | {versus:.2f} |"
            )
    lines += [
        "",
        load_line(args.load),
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", help="NAME=PATH/TO/src, the first is the baseline")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--turn-rounds", type=int, default=5)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.turn_rounds, args.turns)
        return 0
    trees = [source_tree(text) for text in args.trees]
    if len(trees) < 2:
        parser.error("give at least two trees: NAME=PATH/TO/src ...")
    args.load = os.getloadavg()[0]
    runs = alternating_rounds(trees, args.rounds, lambda src: run_child(src, args))
    print(table([name for name, _ in trees], runs, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
