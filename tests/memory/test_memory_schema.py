"""The schema: Alembic revisions that run on both backends, SQLite files from before
Alembic taken over at their version, and databases this ZeroClaw cannot know refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.config import Config
from zeroclaw.memory import (
    SCHEMA_VERSION,
    DatabaseLocation,
    MemoryStore,
    MemoryStoreError,
    SchemaTooNewError,
    UnreadableDatabaseError,
)
from zeroclaw.memory.schema import HEAD, REVISIONS
from zeroclaw.messages import ChatMessage

# The schema of version 1, as ZeroClaw wrote it before its schema moved to Alembic.
_VERSION_1 = (
    "CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT, channel TEXT NOT NULL,"
    " title TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE INDEX sessions_by_update ON sessions (updated_at)",
    "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL"
    " REFERENCES sessions (id) ON DELETE CASCADE, role TEXT NOT NULL CHECK (role IN"
    " ('system', 'user', 'assistant', 'tool')), content TEXT NOT NULL, tool_calls TEXT,"
    " tool_call_id TEXT, name TEXT, created_at TEXT NOT NULL, compacted INTEGER NOT NULL"
    " DEFAULT 0 CHECK (compacted IN (0, 1)))",
    "CREATE INDEX messages_by_session ON messages (session_id, compacted, id)",
    "CREATE TABLE tool_results (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT"
    " NULL REFERENCES sessions (id) ON DELETE CASCADE, call_id TEXT NOT NULL, tool_name TEXT"
    " NOT NULL, arguments TEXT NOT NULL, success INTEGER NOT NULL CHECK (success IN (0, 1)),"
    " output TEXT NOT NULL, error TEXT, created_at TEXT NOT NULL)",
    "CREATE TABLE summaries (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL"
    " REFERENCES sessions (id) ON DELETE CASCADE, user_id TEXT, kind TEXT NOT NULL,"
    " content TEXT NOT NULL, created_at TEXT NOT NULL)",
    "PRAGMA user_version = 1",
)


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute("PRAGMA user_version").fetchone()[0])


async def _revision(store: MemoryStore) -> str:
    async def read(conn: AsyncConnection) -> str:
        return str(await conn.scalar(sa.text("SELECT version_num FROM alembic_version")))

    return await store.database.read(read)


def test_revisions_are_one_chain_numbered_one_by_one() -> None:
    assert tuple(f"{n:04d}" for n in range(1, len(REVISIONS) + 1)) == REVISIONS
    assert len(REVISIONS) == SCHEMA_VERSION
    assert REVISIONS[-1] == HEAD


async def test_a_new_database_is_created_at_the_head_revision(location: DatabaseLocation) -> None:
    async with MemoryStore.open(location) as store:
        await store.ensure_session("s1")
        assert await _revision(store) == HEAD

    # Opening again migrates nothing and keeps what is there.
    async with MemoryStore.open(location) as store:
        assert await store.get_session("s1") is not None
        assert await _revision(store) == HEAD


async def test_a_new_sqlite_file_is_in_wal_mode_with_its_fts_tables(db_path: Path) -> None:
    assert not db_path.parent.exists()

    async with MemoryStore.open(db_path) as store:
        await store.ensure_session("s1")

    assert _user_version(db_path) == SCHEMA_VERSION
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert {"sessions", "messages", "tool_results", "summaries", "memories"} <= tables
    assert {"memories_fts", "summaries_fts", "alembic_version"} <= tables


async def test_foreign_keys_and_busy_timeout_are_on(sqlite_store: MemoryStore) -> None:
    async def read(conn: AsyncConnection) -> tuple[int, int]:
        keys = await conn.scalar(sa.text("PRAGMA foreign_keys"))
        timeout = await conn.scalar(sa.text("PRAGMA busy_timeout"))
        return int(keys or 0), int(timeout or 0)

    keys, timeout = await sqlite_store.database.read(read)
    assert keys == 1
    assert timeout >= 1000


@pytest.mark.parametrize(("setting", "pragma"), [("normal", 1), ("full", 2)])
async def test_sqlite_synchronous_follows_the_config(
    tmp_path: Path, setting: str, pragma: int
) -> None:
    config = Config(data_dir=tmp_path)
    config.memory.sqlite_synchronous = setting  # type: ignore[assignment]

    async def read(conn: AsyncConnection) -> int:
        return int(await conn.scalar(sa.text("PRAGMA synchronous")) or 0)

    async with MemoryStore.open(config.memory_location()) as store:
        assert await store.database.read(read) == pragma
        assert await store.database.write(read) == pragma


async def test_an_empty_version_0_file_is_migrated(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    sqlite3.connect(db_path).close()
    assert _user_version(db_path) == 0

    async with MemoryStore.open(db_path) as store:
        await store.remember("k", "v")

    assert _user_version(db_path) == SCHEMA_VERSION


async def test_a_version_1_file_from_before_alembic_keeps_its_data(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(db_path, isolation_level=None)
    for statement in _VERSION_1:
        raw.execute(statement)
    now = "2024-01-01T00:00:00+00:00"
    raw.execute(
        "INSERT INTO sessions (id, user_id, channel, created_at, updated_at)"
        " VALUES ('old', 'alice', 'terminal', ?, ?)",
        (now, now),
    )
    raw.execute(
        "INSERT INTO messages (session_id, role, content, created_at)"
        " VALUES ('old', 'user', 'from version one', ?)",
        (now,),
    )
    raw.execute(
        "INSERT INTO summaries (session_id, user_id, kind, content, created_at)"
        " VALUES ('old', 'alice', 'session', 'alice asked about tides', ?)",
        (now,),
    )
    raw.execute(
        "INSERT INTO tool_results (session_id, call_id, tool_name, arguments, success, output,"
        " created_at) VALUES ('old', 'c1', 'shell', '{}', 1, 'ok', ?)",
        (now,),
    )
    raw.close()
    assert _user_version(db_path) == 1

    async with MemoryStore.open(db_path) as store:
        history = await store.load_history("old", limit=10)
        recalled = await store.recall_summaries("tides", user_id="alice", limit=5)
        await store.remember("new", "table works")
        tool_calls = await store.session_tool_calls("old")
        assert await _revision(store) == HEAD

    assert _user_version(db_path) == SCHEMA_VERSION
    assert [s.message for s in history] == [ChatMessage("user", "from version one")]
    # The migration indexed summaries written before full-text search existed.
    assert [s.content for s in recalled] == ["alice asked about tides"]
    # A tool result from before provenance was kept: its owner and hooks "not recorded".
    assert [(c.output, c.provenance) for c in tool_calls] == [("ok", None)]


async def test_a_database_at_an_unknown_revision_is_refused_and_left_alone(
    location: DatabaseLocation,
) -> None:
    async with MemoryStore.open(location) as store:

        async def from_the_future(conn: AsyncConnection) -> None:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))

        await store.database.write(from_the_future)

    with pytest.raises(SchemaTooNewError) as caught:
        MemoryStore.open(location)

    assert location.display in caught.value.message
    assert "'9999'" in caught.value.message
    assert caught.value.hint
    assert "upgrade ZeroClaw" in caught.value.hint


def test_a_file_of_a_newer_version_is_refused_and_left_alone(db_path: Path) -> None:
    with MemoryStore.open(db_path):
        pass
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = db_path.read_bytes()

    with pytest.raises(SchemaTooNewError) as caught:
        MemoryStore.open(db_path)

    assert str(db_path) in caught.value.message
    assert f"version {SCHEMA_VERSION + 1}" in caught.value.message
    assert caught.value.hint
    assert _user_version(db_path) == SCHEMA_VERSION + 1
    assert db_path.read_bytes() == before


def test_a_corrupt_file_is_named_and_never_overwritten(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database, it is my diary\n" * 200
    db_path.write_bytes(garbage)

    with pytest.raises(UnreadableDatabaseError) as caught:
        MemoryStore.open(db_path)

    assert str(db_path) in caught.value.message
    assert caught.value.hint
    assert db_path.read_bytes() == garbage
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_another_programs_database_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as raw:
        raw.execute("CREATE TABLE invoices (id INTEGER)")

    with pytest.raises(UnreadableDatabaseError, match="another program"):
        MemoryStore.open(db_path)

    with sqlite3.connect(db_path) as raw:
        tables = [row[0] for row in raw.execute("SELECT name FROM sqlite_master")]
    assert tables == ["invoices"]


def test_a_directory_in_place_of_the_file_is_a_clear_error(db_path: Path) -> None:
    db_path.mkdir(parents=True)

    with pytest.raises(MemoryStoreError) as caught:
        MemoryStore.open(db_path)
    assert str(db_path) in caught.value.message
