from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from zeroclaw.memory import (
    SCHEMA_VERSION,
    MemoryStore,
    MemoryStoreError,
    SchemaTooNewError,
    UnreadableDatabaseError,
)
from zeroclaw.memory.schema import MIGRATIONS, migrate
from zeroclaw.messages import ChatMessage


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute("PRAGMA user_version").fetchone()[0])


def test_migrations_are_numbered_one_by_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len(MIGRATIONS) == SCHEMA_VERSION


def test_a_new_file_is_created_at_the_current_version_in_wal_mode(db_path: Path) -> None:
    assert not db_path.parent.exists()

    with MemoryStore.open(db_path) as store:
        store.ensure_session("s1")

    assert _user_version(db_path) == SCHEMA_VERSION
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert {"sessions", "messages", "tool_results", "summaries", "memories"} <= tables
    assert {"memories_fts", "summaries_fts"} <= tables


def test_foreign_keys_and_busy_timeout_are_on(store: MemoryStore) -> None:
    conn = store._db()
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_an_empty_version_0_file_is_migrated(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    sqlite3.connect(db_path).close()
    assert _user_version(db_path) == 0

    with MemoryStore.open(db_path) as store:
        store.remember("k", "v")

    assert _user_version(db_path) == SCHEMA_VERSION


def test_an_older_file_keeps_its_data_through_migration(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(db_path, isolation_level=None)
    migrate(raw, db_path, MIGRATIONS[:1])
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
    raw.close()
    assert _user_version(db_path) == 1

    with MemoryStore.open(db_path) as store:
        history = store.load_history("old", limit=10)
        recalled = store.recall_summaries("tides", user_id="alice", limit=5)
        store.remember("new", "table works")

    assert _user_version(db_path) == SCHEMA_VERSION
    assert [s.message for s in history] == [ChatMessage("user", "from version one")]
    # The migration indexed summaries written before full-text search existed.
    assert [s.content for s in recalled] == ["alice asked about tides"]


def test_a_file_from_a_newer_version_is_refused_and_left_alone(db_path: Path) -> None:
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
