"""A session's lock across processes: a PostgreSQL advisory lock held for a whole turn.

Replicas behind a load balancer may get two requests of one session at once; a turn reads
the history at its start and appends during it, so the second must wait for the first,
whichever replica runs it. Each turn takes `pg_advisory_xact_lock(namespace, key)` in a
transaction on a connection of its own (the database's lock engine, a pool apart from the
store's) and ends that transaction when the turn ends. A transaction-level lock is
released by anything that ends the transaction or the connection, so no path forgets it:
the turn's end, a cancelled wait (the connection is dropped), or a replica killed mid-turn
(the server sees the socket close and lets the next replica in).

Two sessions whose ids hash to one 32-bit key only wait for each other: never wrong,
rarely slower. On SQLite, one process serves the file and the gateway's in-process lock
is the whole story: `hold` is a no-op there.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
from collections.abc import AsyncIterator
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory.database import Database
from zeroclaw.memory.failures import DRIVER_ERRORS, driver_cause, typed_error

# pg_advisory_xact_lock(int4, int4): the first is ours ("ZC"), apart from other programs'
# locks and from the migration lock (a bigint, database.py).
LOCK_NAMESPACE: Final = int.from_bytes(b"ZC", "big")


def session_key(session_id: str) -> int:
    """The advisory lock key of `session_id`: a signed 32-bit hash of it."""
    digest = hashlib.sha256(session_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


@contextlib.asynccontextmanager
async def hold_session(database: Database, session_id: str) -> AsyncIterator[None]:
    """Hold `session_id`'s lock across every process sharing `database` for the block."""
    if database.location.is_sqlite:
        yield
        return
    key = session_key(session_id)
    taking = database.loop.submit(_take(database, key))
    try:
        conn = await asyncio.wrap_future(taking)
    except asyncio.CancelledError:
        # Cancelled while waiting: the cancel reaches the storage loop and drops the
        # connection; if the lock was granted just before, hand it back.
        taking.add_done_callback(lambda done: _give_back_late(database, done))
        raise
    try:
        yield
    finally:
        await database.loop.run(_give_back(conn))


async def _take(database: Database, key: int) -> AsyncConnection:
    try:
        conn = await database.lock_engine().connect()
    except DRIVER_ERRORS as exc:
        raise typed_error(exc, database.location, "lock a session in") from driver_cause(exc)
    try:
        await conn.begin()
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": LOCK_NAMESPACE, "key": key},
        )
    except BaseException as exc:
        # The connection's state is unknown (a cancel mid-query): close it for good, which
        # ends its session on the server and any lock with it.
        await _discard(conn)
        if isinstance(exc, DRIVER_ERRORS):
            raise typed_error(exc, database.location, "lock a session in") from driver_cause(exc)
        raise
    return conn


async def _give_back(conn: AsyncConnection) -> None:
    try:
        await conn.rollback()  # nothing was written on it: ending it releases the lock
        await conn.close()
    except DRIVER_ERRORS:
        await _discard(conn)


async def _discard(conn: AsyncConnection) -> None:
    with contextlib.suppress(*DRIVER_ERRORS):
        await conn.invalidate()
    with contextlib.suppress(*DRIVER_ERRORS):
        await conn.close()


def _give_back_late(database: Database, done: concurrent.futures.Future[AsyncConnection]) -> None:
    if done.cancelled() or done.exception() is not None:
        return
    with contextlib.suppress(RuntimeError):  # the storage loop stopped: nothing to release
        database.loop.submit(_give_back(done.result()))
