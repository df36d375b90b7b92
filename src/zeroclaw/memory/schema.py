"""The memory database schema, as an ordered list of migrations.

The file's `PRAGMA user_version` is the number of migrations applied. Opening a file runs
the missing ones, each in its own transaction together with the version bump, so a crash
mid-migration leaves the file at the previous version. A file from a newer ZeroClaw is
refused rather than guessed at. Never edit a released migration: append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zeroclaw.memory.errors import SchemaTooNewError, UnreadableDatabaseError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    # Single statements, not a script: `executescript` would commit mid-migration.
    statements: tuple[str, ...]


_CORE_TABLES = Migration(
    1,
    "sessions, messages, tool results, summaries",
    (
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id TEXT,
            channel TEXT NOT NULL,
            title TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX sessions_by_update ON sessions (updated_at)",
        """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
            content TEXT NOT NULL,
            tool_calls TEXT,
            tool_call_id TEXT,
            name TEXT,
            created_at TEXT NOT NULL,
            compacted INTEGER NOT NULL DEFAULT 0 CHECK (compacted IN (0, 1))
        )
        """,
        "CREATE INDEX messages_by_session ON messages (session_id, compacted, id)",
        """
        CREATE TABLE tool_results (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            call_id TEXT NOT NULL,
            tool_name TEXT NOT NULL,
            arguments TEXT NOT NULL,
            success INTEGER NOT NULL CHECK (success IN (0, 1)),
            output TEXT NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX tool_results_by_session ON tool_results (session_id, id)",
        """
        CREATE TABLE summaries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            user_id TEXT,
            kind TEXT NOT NULL,
            content TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX summaries_by_session ON summaries (session_id, kind, id)",
        "CREATE INDEX summaries_by_user ON summaries (user_id, id)",
    ),
)

_FTS = "tokenize = 'unicode61 remove_diacritics 2'"

_RECALL = Migration(
    2,
    "key-value memories and full-text recall of memories and summaries",
    (
        """
        CREATE TABLE memories (
            id INTEGER PRIMARY KEY,
            namespace TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (namespace, key)
        )
        """,
        # External-content FTS tables: the text lives once, in the real table; the
        # triggers keep the index in step with every insert, update and delete.
        "CREATE VIRTUAL TABLE memories_fts USING fts5"
        f"(key, value, content = 'memories', content_rowid = 'id', {_FTS})",
        """
        CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
            INSERT INTO memories_fts (rowid, key, value) VALUES (new.id, new.key, new.value);
        END
        """,
        """
        CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
            INSERT INTO memories_fts (memories_fts, rowid, key, value)
                VALUES ('delete', old.id, old.key, old.value);
        END
        """,
        """
        CREATE TRIGGER memories_fts_update AFTER UPDATE ON memories BEGIN
            INSERT INTO memories_fts (memories_fts, rowid, key, value)
                VALUES ('delete', old.id, old.key, old.value);
            INSERT INTO memories_fts (rowid, key, value) VALUES (new.id, new.key, new.value);
        END
        """,
        "CREATE VIRTUAL TABLE summaries_fts USING fts5"
        f"(content, content = 'summaries', content_rowid = 'id', {_FTS})",
        """
        CREATE TRIGGER summaries_fts_insert AFTER INSERT ON summaries BEGIN
            INSERT INTO summaries_fts (rowid, content) VALUES (new.id, new.content);
        END
        """,
        """
        CREATE TRIGGER summaries_fts_delete AFTER DELETE ON summaries BEGIN
            INSERT INTO summaries_fts (summaries_fts, rowid, content)
                VALUES ('delete', old.id, old.content);
        END
        """,
        """
        CREATE TRIGGER summaries_fts_update AFTER UPDATE ON summaries BEGIN
            INSERT INTO summaries_fts (summaries_fts, rowid, content)
                VALUES ('delete', old.id, old.content);
            INSERT INTO summaries_fts (rowid, content) VALUES (new.id, new.content);
        END
        """,
        # Summaries written at version 1 become searchable too.
        "INSERT INTO summaries_fts (summaries_fts) VALUES ('rebuild')",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (_CORE_TABLES, _RECALL)
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(
    conn: sqlite3.Connection, path: Path, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Bring the file to the newest version in `migrations`; return that version.

    `conn` must be in autocommit mode (`isolation_level=None`): transactions are explicit.
    """
    target = migrations[-1].version if migrations else 0
    current = schema_version(conn)
    if current > target:
        raise SchemaTooNewError(
            f"memory database {path} has schema version {current}, but this ZeroClaw "
            f"knows versions up to {target}",
            hint="upgrade ZeroClaw, or set memory.path to another file",
        )
    for migration in migrations[current:]:
        _apply(conn, path, migration)
    return max(target, schema_version(conn))


def _apply(conn: sqlite3.Connection, path: Path, migration: Migration) -> None:
    # IMMEDIATE takes the write lock first, so two processes opening the same new file
    # migrate one after the other; the version is re-read under the lock.
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)
        if current >= migration.version:
            conn.execute("COMMIT")
            return
        if current == 0:
            _refuse_foreign_tables(conn, path)
        for statement in migration.statements:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {int(migration.version)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _refuse_foreign_tables(conn: sqlite3.Connection, path: Path) -> None:
    """A version-0 file must be empty: tables there belong to some other program."""
    row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone()
    if row is not None:
        raise UnreadableDatabaseError(
            f"{path} is a SQLite database of another program (it has a table {row[0]!r} "
            "but no ZeroClaw schema version)",
            hint="set memory.path to a new file; ZeroClaw will not change this one",
        )
