"""Moving a whole memory store between databases (SQLite to PostgreSQL and back) as JSON
lines: what `zeroclaw memory export` writes and `zeroclaw memory import` reads.

The first line says what the file is (`{"zeroclaw_memory": 1, "schema": "0002"}`); every
other line is one row: `{"table": "messages", "row": {...}}`, every column by name, ids
included (a compaction's bound and recall's ties are ids), times as the text they are
stored as. Tables come parents first (sessions before what belongs to them), rows in id
order, so the file reads back in one pass.

Export reads in one transaction: a consistent snapshot, even while the gateway writes.
Import writes in one transaction into an empty store (one that already holds sessions or
memories is refused: two stores would mix, and ids collide): a file that fails half-way,
on a bad line or a lost connection, leaves the target as empty as it was. After the rows,
PostgreSQL's id sequences are moved past the highest id, and its full-text vectors are
built from the text, as the store builds them on every write; SQLite's FTS triggers index
the rows as they arrive. Row counts and contents are equal after a round trip.

Besides memory, the durable tables replicas share go along (`EXPORTED_SHARED_TABLES`:
paired tokens, plugin approvals and refusals), after the memory tables. They are merged rather than
required empty: a row the target already has (the same token digest, the same plugin and
grant set) is kept as it is. A column added by a later revision and missing from an older
file reads as the rows were before it (`_ADDED_LATER`: NULL for `sessions.open_turn` and a
tool result's provenance, "approved" for a plugin decision).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory import search
from zeroclaw.memory.errors import MemoryStoreError
from zeroclaw.memory.schema import HEAD
from zeroclaw.memory.store import MemoryStore
from zeroclaw.memory.tables import (
    ALL_TABLES,
    EXPORTED_SHARED_TABLES,
    PROVENANCE_COLUMNS,
    memories,
    messages,
    summaries,
    tool_results,
)

FORMAT_VERSION: Final = 1
FORMAT_KEY: Final = "zeroclaw_memory"
# Rows sent to the database per statement on import.
BATCH_ROWS: Final = 1000
EXPORTED_TABLES: Final = (*ALL_TABLES, *EXPORTED_SHARED_TABLES)
_TABLES: Final = {table.name: table for table in EXPORTED_TABLES}
# The columns later revisions added, and what a row of an export from before them holds
# there: a tool result's provenance is not recorded (0005), every plugin decision before
# refusals was an approval (0005), every session was settled (0006).
_ADDED_LATER: Final[dict[str, dict[str, Any]]] = {
    "tool_results": dict.fromkeys(PROVENANCE_COLUMNS),
    "plugin_approvals": {"decision": "approved", "decided_by": None},
    "sessions": {"open_turn": None},
}
# The columns every row of a table must carry: those of its first revision.
_REQUIRED: Final = {
    table.name: {c.name for c in table.columns} - set(_ADDED_LATER.get(table.name, {}))
    for table in EXPORTED_TABLES
}


class TransferError(MemoryStoreError):
    """An export file that cannot be imported, or a store that cannot take it."""


class LineWriter(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass
class TransferCounts:
    """Rows per table, in the order of `EXPORTED_TABLES`."""

    rows: dict[str, int] = field(default_factory=lambda: {t.name: 0 for t in EXPORTED_TABLES})

    def summary(self) -> str:
        return ", ".join(f"{count} {name}" for name, count in self.rows.items())


async def export_lines(
    store: MemoryStore,
    out: LineWriter,
    *,
    also: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> TransferCounts:
    """Write every row of `store` to `out` as JSON lines; the rows per table. `also` adds
    rows of shared tables kept outside the database (a SQLite deployment's approvals
    file): written after the table's own, unless the table has a row of that key."""
    counts = TransferCounts()
    extra = also or {}

    def write(table: sa.Table, row: Mapping[str, Any]) -> None:
        out.write(json.dumps({"table": table.name, "row": dict(row)}, ensure_ascii=False))
        out.write("\n")
        counts.rows[table.name] += 1

    async def work(conn: AsyncConnection) -> None:
        out.write(json.dumps({FORMAT_KEY: FORMAT_VERSION, "schema": HEAD}) + "\n")
        for table in EXPORTED_TABLES:
            keys = [column.name for column in table.primary_key.columns]
            seen: set[tuple[Any, ...]] = set()
            result = await conn.stream(sa.select(table).order_by(*table.primary_key.columns))
            async for stored in result.mappings():
                seen.add(tuple(stored[key] for key in keys))
                write(table, dict(stored))
            for added in extra.get(table.name, ()):
                if tuple(added[key] for key in keys) not in seen:
                    write(table, added)

    await store.database.read(work)
    return counts


async def import_lines(store: MemoryStore, lines: Iterable[str]) -> TransferCounts:
    """Read an export into `store`, which must be empty: all of it, or nothing."""
    batches = _read(lines)
    counts = TransferCounts()
    postgres = not store.location.is_sqlite
    insert = postgresql.insert if postgres else sqlite_dialect.insert

    async def work(conn: AsyncConnection) -> None:
        await _require_empty(conn, store)
        for table, rows in batches:
            shared = table in EXPORTED_SHARED_TABLES
            statement = insert(table).on_conflict_do_nothing() if shared else table.insert()
            await conn.execute(statement, rows)
            counts.rows[table.name] += len(rows)
        if postgres:
            await _after_postgres_import(conn)

    await store.database.write(work)
    return counts


def _read(lines: Iterable[str]) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """The rows of an export, checked line by line, in batches per table."""
    try:
        return _batches(lines)
    except UnicodeDecodeError:
        raise TransferError(
            "the import file is not UTF-8 text",
            hint="give a file written by `zeroclaw memory export`, unchanged; nothing was imported",
        ) from None


def _batches(lines: Iterable[str]) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    batches: list[tuple[sa.Table, list[dict[str, Any]]]] = []
    seen_header = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _bad_line(number, f"not JSON ({exc.msg})") from None
        if not seen_header:
            _check_header(item, number)
            seen_header = True
            continue
        table, row = _row(item, number)
        if not batches or batches[-1][0] is not table or len(batches[-1][1]) >= BATCH_ROWS:
            batches.append((table, []))
        batches[-1][1].append(row)
    if not seen_header:
        raise TransferError(
            "the import file is empty",
            hint="give a file written by `zeroclaw memory export`",
        )
    return batches


def _check_header(item: object, number: int) -> None:
    if not isinstance(item, dict) or item.get(FORMAT_KEY) != FORMAT_VERSION:
        raise _bad_line(number, "not the header of a ZeroClaw memory export")
    schema = item.get("schema")
    if not isinstance(schema, str) or schema > HEAD:
        raise TransferError(
            f"the export was written at schema revision {schema!r}, newer than this "
            f"ZeroClaw's {HEAD!r}",
            hint="import it with the ZeroClaw that exported it, or a newer one",
        )


def _row(item: object, number: int) -> tuple[sa.Table, dict[str, Any]]:
    if not isinstance(item, dict) or set(item) != {"table", "row"}:
        raise _bad_line(number, 'expected {"table": ..., "row": {...}}')
    table = _TABLES.get(str(item["table"]))
    if table is None:
        raise _bad_line(number, f"unknown table {item['table']!r}")
    row = item["row"]
    expected = {column.name for column in table.columns}
    # An export from an older schema lacks the columns added since (`_ADDED_LATER`): they
    # read back as what the rows were before them (NULL for a tool result's provenance,
    # "not recorded").
    required = _REQUIRED[table.name]
    if not isinstance(row, dict) or not required <= set(row) <= expected:
        raise _bad_line(number, f"a {table.name} row has the columns {sorted(expected)}")
    row = {**_ADDED_LATER.get(table.name, {}), **row}
    for name, value in row.items():
        if value is not None and not isinstance(value, str | int | float):
            raise _bad_line(number, f"{table.name}.{name} is {type(value).__name__}")
    return table, {name: row.get(name) for name in expected}


async def _require_empty(conn: AsyncConnection, store: MemoryStore) -> None:
    for table in ALL_TABLES:
        if await conn.scalar(sa.select(sa.func.count()).select_from(table)):
            raise TransferError(
                f"the memory database {store.location} already holds {table.name}: an import "
                "goes into an empty store",
                hint="import into a new database (or file), then point memory.url or "
                "memory.path at it",
            )


async def _after_postgres_import(conn: AsyncConnection) -> None:
    """Move each id sequence past the imported ids; build the full-text vectors."""
    for table in (messages, tool_results, summaries, memories):
        await conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
            )
        )
    vectors = sa.table("memories", sa.column("id"), sa.column("search"))
    for row_id, key, value in await conn.execute(
        sa.select(memories.c.id, memories.c.key, memories.c.value)
    ):
        await conn.execute(
            vectors.update()
            .where(vectors.c.id == row_id)
            .values(search=search.memory_vector(key, value))
        )
    texts = sa.table("summaries", sa.column("id"), sa.column("search"))
    for row_id, content in await conn.execute(sa.select(summaries.c.id, summaries.c.content)):
        await conn.execute(
            texts.update().where(texts.c.id == row_id).values(search=search.summary_vector(content))
        )


def _bad_line(number: int, why: str) -> TransferError:
    return TransferError(
        f"line {number} of the import file: {why}",
        hint="give a file written by `zeroclaw memory export`, unchanged; nothing was imported",
    )
