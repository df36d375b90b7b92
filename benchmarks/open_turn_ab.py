"""ZeroClaw source trees side by side: `MemoryStore.begin_turn` when the session's last
turn was left open (the rare path that reads the session's last message), on a SQLite file
and on a real PostgreSQL server, measured in one run.

The session holds `--messages` messages, the older half compacted; before each timed call
other sessions write `--others` messages (untimed), as a busy gateway's would while this
session was idle. Each timed call closes the open turn (UNSETTLED_TURN) and opens another.
Each round runs every tree once, each in a child process of its own with that tree's `src`
first on the path, forwards then backwards in alternate rounds; figures are medians over
rounds of each child's median, and "x first" the median of per-round ratios to the first
tree. PostgreSQL comes from tests/postgres_server.py (its row is left out, saying why,
where none can start). Nothing is asserted.

    mkdir -p /tmp/t-main && git archive main src wit | tar -x -C /tmp/t-main
    .venv/bin/python benchmarks/open_turn_ab.py main=/tmp/t-main/src branch=src
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from report import (
    ab_args,
    ab_parser,
    alternating_rounds,
    by_row_and_tree,
    load_line,
    put_tests_on_path,
    ratio_to_first,
    run_child,
    write_rows,
)

BATCH = 1000


async def begin_turn_ms(
    url: str | None, path: Path, messages: int, others: int, calls: int
) -> float:
    """Median ms of one begin_turn closing an open turn, with this process's zeroclaw."""
    from zeroclaw.memory import MemoryStore, postgres_location, sqlite_location
    from zeroclaw.messages import ChatMessage

    location = sqlite_location(path) if url is None else postgres_location(url)
    said = [ChatMessage("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(BATCH)]
    async with MemoryStore.open(location) as store:
        await store.ensure_session("idle")
        await store.ensure_session("busy")
        for start in range(0, messages, BATCH):
            await store.append_messages("idle", said[: min(BATCH, messages - start)])
        await store.compact(
            "idle", "summary", (await store.session_messages("idle"))[messages // 2].id
        )
        await store.begin_turn("idle", ChatMessage("user", "q"), channel="bench", user_id=None)
        times = []
        for index in range(calls):
            for start in range(0, others, BATCH):
                await store.append_messages("busy", said[: min(BATCH, others - start)])
            text = ChatMessage("user", f"q{index}")
            started = time.perf_counter()
            await store.begin_turn("idle", text, channel="bench", user_id=None)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def child(out: Path, postgres_url: str, messages: int, others: int, calls: int) -> None:
    rows: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="zeroclaw-open-turn-") as tmp:
        rows["SQLite"] = asyncio.run(
            begin_turn_ms(None, Path(tmp) / "z.db", messages, others, calls)
        )
    if postgres_url:  # a fresh database of this child's
        rows["PostgreSQL"] = asyncio.run(
            begin_turn_ms(postgres_url, Path(), messages, others, calls)
        )
    write_rows(out, rows)


def table(
    trees: list[str], runs: dict[str, list[dict[str, float]]], args: argparse.Namespace, note: str
) -> str:
    first = trees[0]
    lines = [
        f"`begin_turn` closing an open turn: a session of {args.messages} messages (half "
        f"compacted), {args.others} messages of other sessions written before each call; "
        f"{args.rounds} alternating rounds, each a child process per tree timing "
        f"{args.calls} calls. Medians over rounds.",
        "",
        f"| backend | tree | ms/call | x {first} |",
        "|---|---|---:|---:|",
    ]
    for backend, tree, mine, theirs in by_row_and_tree(runs):
        ratio = ratio_to_first(mine, theirs, float)
        lines.append(f"| {backend} | {tree} | {statistics.median(mine):.3f} | {ratio:.2f} |")
    lines += ["", *([note, ""] if note else []), load_line(args.load)]
    return "\n".join(lines)


def main() -> int:
    parser = ab_parser(__doc__, rounds=5, children=True)
    parser.add_argument("--messages", type=int, default=20000, help="the idle session's")
    parser.add_argument("--others", type=int, default=2000, help="written before each call")
    parser.add_argument("--calls", type=int, default=15, help="timed calls per child")
    parser.add_argument("--postgres-url", default="", help=argparse.SUPPRESS)
    args = ab_args(parser, at_least=2)
    if args.child:
        child(args.child, args.postgres_url, args.messages, args.others, args.calls)
        return 0
    put_tests_on_path()
    from postgres_server import PostgresUnavailable, start_postgres

    note, server = "", None
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        note = f"PostgreSQL left out: {exc}"
        print(note, file=sys.stderr)
    try:
        sizes = ("--messages", args.messages, "--others", args.others, "--calls", args.calls)

        def run(src: Path) -> dict[str, float]:
            database = ("--postgres-url", server.url_of(server.new_database())) if server else ()
            rows: dict[str, float] = run_child(__file__, src, *sizes, *database)
            return rows

        runs = alternating_rounds(args.trees, args.rounds, run)
    finally:
        if server is not None:
            server.stop()
    print(table([name for name, _ in args.trees], runs, args, note))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
