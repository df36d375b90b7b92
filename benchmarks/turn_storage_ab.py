"""ZeroClaw source trees side by side: the storage work of one agent turn, on a SQLite
file and on a real PostgreSQL server, measured in one run.

A turn's storage is what `Agent.turn` asks of the store for a turn without tools: open it
(`begin_turn`, the user's message), read what its prompt is built from (`turn_context`,
or the context `begin_turn` hands back on trees whose `begin_turn` takes `history`), and
settle it (`settle_turn`, the answer). Two cases: a session each turn creates (what the
gateway does for a request without X-Session-Id) and one that goes on (`--history`
messages before it, the turn's context read to `--history` messages). Per turn: the CPU
time of the process (both threads: the caller's loop and the storage loop, user and
system) and the wall time, medians of each child's batches.

Each round runs every tree once, each in a child process of its own with that tree's
`src` first on the path, forwards then backwards in alternate rounds; "x first" is the
median of per-round ratios to the first tree's CPU time. PostgreSQL comes from
tests/postgres_server.py (its rows are left out, saying why, where none can start).
Nothing is asserted.

    mkdir -p /tmp/t-main && git archive main src wit | tar -x -C /tmp/t-main
    .venv/bin/python benchmarks/turn_storage_ab.py main=/tmp/t-main/src branch=src
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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

BATCHES = 5


async def turn_costs(url: str | None, path: Path, turns: int, history: int) -> dict[str, Any]:
    """Per case: [CPU us, wall us] of one turn's storage, with this process's zeroclaw."""
    from zeroclaw.memory import MemoryStore, TurnWrites, postgres_location, sqlite_location
    from zeroclaw.messages import ChatMessage

    location = sqlite_location(path) if url is None else postgres_location(url)
    # Trees before begin_turn handed the context back read it in a transaction of its own.
    hands_back = "history" in inspect.signature(MemoryStore.begin_turn).parameters
    question, answer = ChatMessage("user", "what time is it?"), ChatMessage("assistant", "noon")

    async def turn(store: MemoryStore, session_id: str) -> None:
        if hands_back:
            opened = await store.begin_turn(
                session_id, question, channel="bench", user_id=None, history=history
            )
            message_id = opened.message_id
        else:
            # The API of those trees: begin_turn returned the message's id.
            before: Any = store.begin_turn
            message_id = await before(session_id, question, channel="bench", user_id=None)
            await store.turn_context(session_id, history)
        await store.settle_turn(session_id, TurnWrites([answer]), opened=message_id)

    costs: dict[str, Any] = {}
    async with MemoryStore.open(location) as store:
        await store.ensure_session("going-on")
        said = [ChatMessage("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(history)]
        await store.append_messages("going-on", said)
        for case in ("a new session", "a session going on"):
            batches: list[tuple[float, float]] = []
            for batch in range(BATCHES + 1):  # the first one warms up
                cpu, wall = time.process_time(), time.perf_counter()
                for index in range(turns):
                    new = case == "a new session"
                    await turn(store, f"new-{batch}-{index}" if new else "going-on")
                spent = ((time.process_time() - cpu) / turns, (time.perf_counter() - wall) / turns)
                if batch:
                    batches.append(spent)
            costs[case] = [statistics.median(b[i] for b in batches) * 1e6 for i in (0, 1)]
    return costs


def child(out: Path, postgres_url: str, turns: int, history: int) -> None:
    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="zeroclaw-turn-storage-") as tmp:
        for case, cost in asyncio.run(turn_costs(None, Path(tmp) / "z.db", turns, history)).items():
            rows[f"SQLite, {case}"] = cost
    if postgres_url:  # a fresh database of this child's
        for case, cost in asyncio.run(turn_costs(postgres_url, Path(), turns, history)).items():
            rows[f"PostgreSQL, {case}"] = cost
    write_rows(out, rows)


def table(
    trees: list[str], runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace, note: str
) -> str:
    first = trees[0]
    lines = [
        f"A turn's storage (open, context, settle): {args.turns} turns per batch, "
        f"{BATCHES} batches per child, a session going on holding {args.history} messages; "
        f"{args.rounds} alternating rounds, a child process per tree. Medians over rounds.",
        "",
        f"| backend, session | tree | CPU us/turn | wall us/turn | CPU x {first} |",
        "|---|---|---:|---:|---:|",
    ]
    for row, tree, mine, theirs in by_row_and_tree(runs):
        cpu = statistics.median(m[0] for m in mine)
        wall = statistics.median(m[1] for m in mine)
        ratio = ratio_to_first(mine, theirs, lambda cost: float(cost[0]))
        lines.append(f"| {row} | {tree} | {cpu:.0f} | {wall:.0f} | {ratio:.2f} |")
    lines += ["", *([note, ""] if note else []), load_line(args.load)]
    return "\n".join(lines)


def main() -> int:
    parser = ab_parser(__doc__, rounds=5, children=True)
    parser.add_argument("--turns", type=int, default=300, help="turns per timed batch")
    parser.add_argument("--history", type=int, default=40, help="agent.history_messages")
    parser.add_argument("--postgres-url", default="", help=argparse.SUPPRESS)
    args = ab_args(parser, at_least=2)
    if args.child:
        child(args.child, args.postgres_url, args.turns, args.history)
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
        sizes = ("--turns", args.turns, "--history", args.history)

        def run(src: Path) -> dict[str, Any]:
            database = ("--postgres-url", server.url_of(server.new_database())) if server else ()
            rows: dict[str, Any] = run_child(__file__, src, *sizes, *database)
            return rows

        runs = alternating_rounds(args.trees, args.rounds, run)
    finally:
        if server is not None:
            server.stop()
    print(table([name for name, _ in args.trees], runs, args, note))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
