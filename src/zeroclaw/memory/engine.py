"""The SQLAlchemy async engine for a `DatabaseLocation`: aiosqlite for a file, asyncpg for
PostgreSQL, each set up the way the store relies on.

SQLite. Every new connection is checked and configured before use: the schema is read
first, so a file that is not a database fails before anything (like switching to WAL)
could write to it; then `busy_timeout`, `foreign_keys`, WAL mode (readers beside the
writer; a file system that cannot do WAL is refused) and `synchronous`
(memory.sqlite_synchronous: "normal", SQLite's advice for WAL, syncs the file at
checkpoints, so a commit is one write and no fsync; a killed process loses nothing
committed, a power cut or OS crash may lose the last commits, never the file's
consistency; "full" also syncs at every commit, a few milliseconds each on a slow disk).
The driver's own transaction handling is switched off (`isolation_level = None`) and
the engine's `begin` emits `BEGIN`, or `BEGIN IMMEDIATE` for a connection marked with
`WRITE_OPTION`: a write takes the write lock before it reads, so two processes never
deadlock upgrading a read.
This engine only opens and migrates a SQLite file (NullPool: its one connection is
closed once done); the store's transactions run on `sqlite_connection.SqlitePool`, over
`sqlite3` connections set up by the same `configure_sqlite`.

PostgreSQL. A pool whose connections are pinged before use (`pool_pre_ping`), so one
dropped while idle (a server restart, a proxy's timeout) is replaced rather than failing
the next request; a connect timeout, and an `application_name` that shows in
`pg_stat_activity`.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from zeroclaw.memory.errors import MemoryStoreError
from zeroclaw.memory.location import DatabaseLocation

BUSY_TIMEOUT_MS: Final = 5000
CONNECT_TIMEOUT_S: Final = 10
# An execution option: this connection's transaction writes (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION: Final = "zeroclaw_write"
POSTGRES_POOL_SIZE: Final = 10
# Turns one replica runs at once on PostgreSQL: each holds a connection with its session's
# lock (memory/fleet/session_lock.py); more wait for one, within their request deadline.
SESSION_LOCK_CONNECTIONS: Final = 16


def create_engine_for(location: DatabaseLocation) -> AsyncEngine:
    if location.is_sqlite:
        return _sqlite_engine(location)
    return create_async_engine(
        location.url,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_POOL_SIZE,
        pool_pre_ping=True,
        connect_args={
            "timeout": CONNECT_TIMEOUT_S,
            "server_settings": {"application_name": "zeroclaw"},
        },
    )


def create_lock_engine(location: DatabaseLocation) -> AsyncEngine:
    """PostgreSQL connections that each hold one session's advisory lock for a turn. No
    overflow and no pool timeout: waiting for one is waiting for a turn's slot, and the
    request's own deadline (gateway.request_timeout_s) bounds it."""
    return create_async_engine(
        location.url,
        pool_size=SESSION_LOCK_CONNECTIONS,
        max_overflow=0,
        pool_timeout=24 * 3600.0,
        pool_pre_ping=True,
        connect_args={
            "timeout": CONNECT_TIMEOUT_S,
            "server_settings": {"application_name": "zeroclaw-session-lock"},
        },
    )


def _sqlite_engine(location: DatabaseLocation) -> AsyncEngine:
    """The engine that opens and migrates a SQLite file (database.py); the store's own
    transactions then run on `sqlite_connection.SqlitePool`."""
    engine = create_async_engine(location.url, poolclass=NullPool)

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None
        configure_sqlite(dbapi_connection, location)

    @event.listens_for(engine.sync_engine, "begin")
    def begin(conn: Connection) -> None:
        writes = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def configure_sqlite(connection: Any, location: DatabaseLocation) -> None:
    """Check and set up a new connection to `location` (module docstring); `connection`
    is a `sqlite3` connection or SQLAlchemy's adapter of one."""
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT count(*) FROM sqlite_master")
        cursor.fetchone()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA synchronous = {location.sqlite_synchronous.upper()}")
        cursor.execute("PRAGMA journal_mode = WAL")
        mode = cursor.fetchone()[0]
    finally:
        cursor.close()
    if str(mode).lower() != "wal":
        raise MemoryStoreError(
            f"cannot switch the memory database {location} to WAL mode (got {mode!r})",
            hint="put the database on a local filesystem",
        )
