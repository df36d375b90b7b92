"""ZeroClaw source trees side by side: the audit redactor (observability/redaction.py,
`Redactor().text`) on texts of N and 4N characters, and the audit line of a tool call
whose output is such a text (`AuditLog.line`, max_chars 2000: redacted then cut, or cut
where only the window it keeps is redacted), measured in one run.

Each row is a kind of text at two sizes; a tree whose redaction is linear costs ~4x at 4N,
a quadratic one ~16x. The kinds: words ending in a secret's key name (`abckey abckey ...`,
what a long tool output holding one of the words looks like), secrets' key names with
values (every shape runs), and two hostile ones the former patterns scanned from every
position of a run (`a-a-a-... token`, `eyJ-eyJ-...`); then the audit line of a tool
output of 256 KiB and 1 MiB (lines of a log with a key=value secret, and the hostile
`a-a-a-...`), where a tree that redacts only what the cut keeps costs the same at both
sizes. Each round runs every tree in a child process of its own with that tree's `src`
first on the path, forwards then backwards in alternate rounds; within a child each text
is redacted until 0.3 s have passed (at least 3 times), and the child reports the median
wall and CPU time of one call. The table gives medians over rounds, the 4N/N ratio of the
CPU medians, and the median of per-round ratios of CPU time to the first tree (CPU time:
on a shared machine the wall time also counts others' work).
Nothing is asserted.

    mkdir -p /tmp/t-main && git archive main src wit | tar -x -C /tmp/t-main
    .venv/bin/python benchmarks/redaction_ab.py main=/tmp/t-main/src redact=src
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any

from report import (
    ab_args,
    ab_parser,
    alternating_rounds,
    by_row_and_tree,
    load_line,
    ratio_to_first,
    run_child,
    write_rows,
)

# (kind, the repeated unit, what ends the text, N, through the audit line): N is kept small
# enough for the former quadratic patterns to finish (a-a-a... of 16,000 took them ~23 s a
# call).
KINDS = (
    ("words ending in key", "abckey ", "", 16_000, False),
    ('"x_token": "value" pairs', '"x_token": "value", ', "", 16_000, False),
    ("a-a-a... token (hostile)", "a-", " token=x", 1_000, False),
    ("eyJ-eyJ-... (hostile)", "eyJ-", "", 1_000, False),
    (
        "tool output, audit line",
        "2026-01-07 10:31:02 GET /api/items?id=42 200 token=hunter22 elapsed=12ms\n",
        "",
        1 << 18,
        True,
    ),
    ("a-a-a... tool output, audit line", "a-", " token=x", 1 << 18, True),
)
MIN_SECONDS = 0.3
MAX_CHARS = 2000


def texts() -> dict[str, tuple[str, bool]]:
    """Each row's text, and whether it is measured through the audit line."""
    out: dict[str, tuple[str, bool]] = {}
    for kind, unit, tail, size, line in KINDS:
        for label, chars in (("N", size), ("4N", 4 * size)):
            out[f"{kind}, {label}={chars:,}"] = (unit * (chars // len(unit)) + tail, line)
    return out


def child(out: Path) -> None:
    """Redact every text with this process's zeroclaw; write the medians of one call."""
    from zeroclaw.messages import ToolResult
    from zeroclaw.observability import AuditLog, Redactor, ToolCallFinished

    redactor = Redactor()
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        audit = AuditLog(path, redactor, max_bytes=1 << 30, backups=1, max_chars=MAX_CHARS)
        for row, (text, line) in texts().items():
            event = ToolCallFinished("s", "t", "c", "shell", {}, ToolResult.ok(text), 1.0)
            call = partial(audit.line, event) if line else partial(redactor.text, text)
            walls: list[float] = []
            cpus: list[float] = []
            started = time.perf_counter()
            while len(walls) < 3 or time.perf_counter() - started < MIN_SECONDS:
                wall, cpu = time.perf_counter(), time.process_time()
                call()
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            rows[row] = {
                "ms": statistics.median(walls) * 1e3,
                "cpu_ms": statistics.median(cpus) * 1e3,
            }
        audit.close()
    write_rows(out, rows)


def table(trees: list[str], runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    first = trees[0]
    med = statistics.median
    ms = {(row, tree): med(r["ms"] for r in mine) for row, tree, mine, _ in by_row_and_tree(runs)}
    cpu = {
        (row, tree): med(r["cpu_ms"] for r in mine) for row, tree, mine, _ in by_row_and_tree(runs)
    }
    lines = [
        f"{args.rounds} alternating rounds; each a child process per tree redacting every "
        f"text for at least {MIN_SECONDS} s. Medians over rounds.",
        "",
        f"| text | tree | ms/call | CPU ms/call | CPU us/char | CPU x N (4N row) | "
        f"CPU x {first} (per round) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row, tree, mine, theirs in by_row_and_tree(runs):
        chars = int(row.rpartition("=")[2].replace(",", ""))
        growth = ""
        if ", 4N=" in row:
            n_row = next(r for r, _ in ms if r.startswith(row.partition(", 4N=")[0] + ", N="))
            growth = f"{cpu[row, tree] / cpu[n_row, tree]:.1f}"
        versus = ratio_to_first(mine, theirs, itemgetter("cpu_ms"))
        lines.append(
            f"| {row} | {tree} | {ms[row, tree]:.3f} | {cpu[row, tree]:.3f} | "
            f"{cpu[row, tree] * 1e3 / chars:.3f} | {growth} | {versus:.3f} |"
        )
    lines += ["", load_line(args.load)]
    return "\n".join(lines)


def main() -> int:
    parser = ab_parser(__doc__, rounds=5, children=True)
    args = ab_args(parser, at_least=2)
    if args.child:
        child(args.child)
        return 0
    runs = alternating_rounds(args.trees, args.rounds, lambda src: run_child(__file__, src))
    print(table([name for name, _ in args.trees], runs, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
