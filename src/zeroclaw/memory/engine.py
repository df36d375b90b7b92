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
A small pool keeps connections open (opening one runs the checks above); closing the
engine closes them all, and the last close checkpoints the WAL into the file.

SQLite statements run on the storage loop's own thread (`_StorageThreadConnection`), not
one hop away on aiosqlite's connection thread: the storage loop is already a thread of
its own that serves nothing else, and a hop per statement (a write transaction is about
fourteen: cursor, BEGIN, INSERT, UPDATE, COMMIT, fetches, closes) cost more than the
statements, each a thread wake-up that waits for the GIL on a busy machine. What may
take long still takes the hop, so that the loop goes on serving the other connections
meanwhile: `executemany` (a batch of up to gateway.max_messages rows), and a
`BEGIN IMMEDIATE` that finds the write lock held by another process (it is first tried
without waiting; only when that fails does it wait, up to `busy_timeout`, on the
connection's thread). The process's own writers never contend for the lock: they queue on
the storage loop (database.py).

PostgreSQL. A pool whose connections are pinged before use (`pool_pre_ping`), so one
dropped while idle (a server restart, a proxy's timeout) is replaced rather than failing
the next request; a connect timeout, and an `application_name` that shows in
`pg_stat_activity`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any, Final

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from zeroclaw.memory.errors import MemoryStoreError
from zeroclaw.memory.location import DatabaseLocation

BUSY_TIMEOUT_MS: Final = 5000
CONNECT_TIMEOUT_S: Final = 10
# An execution option: this connection's transaction writes (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION: Final = "zeroclaw_write"
SQLITE_POOL_SIZE: Final = 4
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


class _StorageThreadConnection(aiosqlite.Connection):
    """aiosqlite's connection, with the statements that cannot wait for a lock run on the
    calling thread (the storage loop's) rather than handed to the connection's thread
    (module docstring). Calls on one connection still come one at a time: SQLAlchemy
    awaits each before the next, so the sqlite3 connection is never used by both threads
    at once."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        name = getattr(fn, "__name__", "")
        if name == "executemany":
            return await self._on_connection_thread(fn, *args, **kwargs)
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")  # what aiosqlite raises (SQLAlchemy maps it)
        if name == "execute" and args and args[0] == "BEGIN IMMEDIATE":
            if not _write_lock_now(self._connection, fn, args):
                return await self._on_connection_thread(fn, *args, **kwargs)
            return None
        return fn(*args, **kwargs)

    async def _on_connection_thread(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        # aiosqlite's own _execute: the hop to the connection's thread (untyped upstream).
        return await super()._execute(fn, *args, **kw)  # type: ignore[no-untyped-call]


def _write_lock_now(connection: sqlite3.Connection, begin: Callable[..., Any], args: Any) -> bool:
    """Run `BEGIN IMMEDIATE` if the write lock is free now; False if another process holds
    it (the caller then waits for it on the connection's thread)."""
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        begin(*args)
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            return False
        raise
    finally:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return True


def _sqlite_connection(path: str) -> aiosqlite.Connection:
    # check_same_thread off: the connection is opened on aiosqlite's thread and used on
    # the storage loop's too (one call at a time, see _StorageThreadConnection).
    connect = partial(
        sqlite3.connect, path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )
    connection = _StorageThreadConnection(connect, iter_chunk_size=64)
    # As SQLAlchemy does for its own aiosqlite connections: never keep the process alive.
    connection._thread.daemon = True
    return connection


def _sqlite_engine(location: DatabaseLocation) -> AsyncEngine:
    assert location.path is not None, "a SQLite location names its file"
    path = str(location.path)
    engine = create_async_engine(
        location.url,
        poolclass=AsyncAdaptedQueuePool,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_SIZE,
        async_creator=lambda: _sqlite_connection(path),
    )

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
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

    @event.listens_for(engine.sync_engine, "begin")
    def begin(conn: Connection) -> None:
        writes = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine
