"""`Database`: an async engine on its storage loop, opened and migrated, and the one way
the store reads and writes it.

`read(work)` and `write(work)` run `work(connection)` in one transaction on the storage
loop (see storage_loop.py), committed when it returns and rolled back when it raises, and
turn every driver error into a typed one (memory/failures.py): nothing the drivers raise
reaches a caller, on either backend. Writes on SQLite also take an in-process lock, so
the process's own writers queue on the loop instead of spinning in SQLite's busy handler;
across processes, SQLite's BEGIN IMMEDIATE and PostgreSQL's row locks do the rest.

A transient failure (a connection the server dropped or cut, a server restarting, a
serialization conflict: `failures.transient`) is retried on a fresh connection, up to
`RETRY_DELAYS_S` more times with those pauses, before the typed error goes to the caller.
`work` runs again from its start, so a retry never sees half of an earlier attempt. A
write whose COMMIT was sent but not acknowledged is not retried: whether it landed is
unknown, and running it twice could store it twice; the caller gets the error (the turn
it belonged to stays open, and its retry continues it: store.py).

Opening is start-up work and blocks its caller until the database is reachable and at
the current schema revision. The migration runs under a lock that spans processes
(SQLite's write lock, a PostgreSQL advisory lock), so replicas starting together migrate
one after the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, Final, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zeroclaw.memory.engine import WRITE_OPTION, create_engine_for, create_lock_engine
from zeroclaw.memory.errors import (
    DAMAGED_CODES,
    MemoryStoreError,
    UnreadableDatabaseError,
    recovery_hint,
    sqlite_code,
)
from zeroclaw.memory.failures import DRIVER_ERRORS, driver_cause, transient, typed_error
from zeroclaw.memory.location import DatabaseLocation
from zeroclaw.memory.schema import migrate
from zeroclaw.memory.sqlite_connection import SqlitePool
from zeroclaw.memory.storage_loop import StorageLoop

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]
# pg_advisory_xact_lock's key for migrations: "zeroclaw" in ASCII, as a bigint.
MIGRATION_LOCK: Final = int.from_bytes(b"zeroclaw", "big")
# Pauses before each retry of a transaction that failed transiently: a dropped connection
# is replaced at once; a server restarting or failing over gets a moment more.
RETRY_DELAYS_S: Final = (0.05, 0.5)


class Database:
    def __init__(
        self,
        location: DatabaseLocation,
        engine: AsyncEngine | None,
        loop: StorageLoop,
        sqlite: SqlitePool | None = None,
    ) -> None:
        """Use `Database.open`. PostgreSQL runs on `engine`; SQLite on `sqlite` (its
        engine only opened and migrated the file)."""
        self.location = location
        self._engine = engine
        self._sqlite = sqlite
        self._open = True
        self._loop = loop
        self._write_lock: asyncio.Lock | None = None
        # Connections that hold a session's lock for a whole turn: a pool of their own,
        # so turns waiting for a session never starve the store's writes (memory/fleet).
        self._lock_engine: AsyncEngine | None = None

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return "sqlite" if self.location.is_sqlite else "postgresql"

    @property
    def loop(self) -> StorageLoop:
        """The storage loop (for work that holds a connection across calls: memory/fleet)."""
        return self._loop

    @classmethod
    def open(cls, location: DatabaseLocation) -> Database:
        """Connect to `location` and bring it to the current schema; blocks until done."""
        if location.path is not None:
            _make_parent(location.path)
        loop = StorageLoop()
        try:
            engine = loop.run_at_start(_open_engine(location))
        except BaseException:
            loop.stop()
            raise
        if not location.is_sqlite:
            return cls(location, engine, loop)
        # The dialect SQLAlchemy set up on connecting compiles the pool's statements.
        sqlite = SqlitePool(location, engine.dialect)
        loop.run_at_start(engine.dispose())
        return cls(location, None, loop, sqlite)

    async def read(self, work: Work[T]) -> T:
        """`work` in a read transaction, on the storage loop."""
        self._check_open()
        return await self._loop.run(self._transaction(work, writes=False))

    async def write(self, work: Work[T]) -> T:
        """`work` in one write transaction, on the storage loop: all of it, or none."""
        self._check_open()
        return await self._loop.run(self._transaction(work, writes=True))

    def blocking(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine of the store from a thread without a running event loop (a
        plugin's worker thread, the doctor); see storage_loop.py."""
        if not self._open:
            work.close()
            self._check_open()
        return self._loop.run_blocking(work)

    def lock_engine(self) -> AsyncEngine:
        """The engine of session locks (PostgreSQL), made at first use; storage loop only."""
        self._check_open()
        if self._lock_engine is None:
            self._lock_engine = create_lock_engine(self.location)
        return self._lock_engine

    def _check_open(self) -> None:
        if not self._open:
            raise MemoryStoreError(f"the memory store {self.location} is closed")

    async def _transaction(self, work: Work[T], *, writes: bool) -> T:
        if self._sqlite is not None:
            return await self._sqlite_transaction(work, writes)
        doing = "write to" if writes else "read"
        for delay in (*RETRY_DELAYS_S, None):
            committing = False
            try:
                async with self._begin(writes) as conn:
                    result = await work(conn)
                    committing = writes
                return result
            except DRIVER_ERRORS as exc:
                if delay is None or committing or not transient(exc):
                    raise typed_error(exc, self.location, doing) from driver_cause(exc)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _sqlite_transaction(self, work: Work[T], writes: bool) -> T:
        """SQLite's: one attempt (no SQLite failure is transient), a write queued behind
        the process's other writers. Plain awaits, no context-manager generators: a
        turn's transactions are small, and those were a good part of their cost."""
        assert self._sqlite is not None, "SQLite runs on its pool"
        try:
            if not writes:
                self._check_open()
                return await self._sqlite.run(work, writes=False)
            if self._write_lock is None:
                self._write_lock = asyncio.Lock()
            async with self._write_lock:
                self._check_open()  # closed while this write waited for the lock
                return await self._sqlite.run(work, writes=True)
        except DRIVER_ERRORS as exc:
            doing = "write to" if writes else "read"
            raise typed_error(exc, self.location, doing) from driver_cause(exc)

    @contextlib.asynccontextmanager
    async def _begin(self, writes: bool) -> AsyncIterator[AsyncConnection]:
        """A PostgreSQL connection in a transaction, committed when the block ends."""
        self._check_open()
        assert self._engine is not None, "PostgreSQL runs on its engine"
        async with self._engine.connect() as conn:
            if writes:
                await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                yield conn

    async def aclose(self) -> None:
        """Close every connection (the last one checkpoints SQLite's WAL), then the loop."""
        if self._open:
            self._open = False
            with contextlib.suppress(*DRIVER_ERRORS):
                await self._loop.run(self._dispose())
            self._loop.stop()

    def close(self) -> None:
        """As `aclose`, for callers without a loop (and shutdown, where waiting is fine)."""
        if self._open:
            self._open = False
            self._loop.stop(self._dispose())

    async def _dispose(self) -> None:
        locks, self._lock_engine = self._lock_engine, None
        if locks is not None:
            with contextlib.suppress(*DRIVER_ERRORS):
                await locks.dispose()
        if self._sqlite is not None:
            self._sqlite.close()
        if self._engine is not None:
            await self._engine.dispose()


async def _open_engine(location: DatabaseLocation) -> AsyncEngine:
    engine = create_engine_for(location)
    try:
        async with engine.connect() as conn:
            if location.is_sqlite:
                await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                if not location.is_sqlite:
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                    )
                await conn.run_sync(migrate, location)
    except BaseException as exc:
        await engine.dispose()
        if isinstance(exc, DRIVER_ERRORS):
            raise _open_error(exc, location) from driver_cause(exc)
        raise
    return engine


def _open_error(exc: BaseException, location: DatabaseLocation) -> MemoryStoreError:
    original = driver_cause(exc)
    if (
        location.path is not None
        and isinstance(original, sqlite3.DatabaseError)
        and sqlite_code(original) in DAMAGED_CODES
    ):
        return UnreadableDatabaseError(
            f"{location.path} is not a readable SQLite database ({original})",
            hint="if it is not ZeroClaw's, set memory.path to another file (ZeroClaw does not "
            f"overwrite it); if it held your memory, {recovery_hint(location.path)}",
        )
    return typed_error(exc, location, "open")


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MemoryStoreError(
            f"cannot create the directory of the memory database {path}: {exc.strerror or exc}",
            hint="check the permissions, or set memory.path to a writable location",
        ) from exc
