"""SQLite statements run on the storage loop's thread (memory/sqlite_connection.py): a
write that finds the write lock held by another process waits for it on a worker thread,
and the storage loop goes on answering reads meanwhile; writes probe the lock on
connections at busy_timeout 0, reads always wait the full busy_timeout."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory import MemoryStore
from zeroclaw.memory.engine import BUSY_TIMEOUT_MS
from zeroclaw.messages import ChatMessage

HELD_S = 0.5


def _hold_write_lock(path: Path, taken: threading.Event, release: threading.Event) -> None:
    """Another writer of the file (as another process would be): BEGIN IMMEDIATE, held."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        taken.set()
        release.wait(10)
        other.execute("COMMIT")
    finally:
        other.close()


@asynccontextmanager
async def write_lock_held(path: Path) -> AsyncIterator[threading.Event]:
    """Another writer holds the file's write lock until the event yielded is set (at the
    latest on leaving)."""
    taken, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, taken, release))
    holder.start()
    try:
        assert await asyncio.to_thread(taken.wait, 10)
        yield release
    finally:
        release.set()
        await asyncio.to_thread(holder.join)


async def test_a_write_waits_for_another_writer_while_reads_go_on(
    sqlite_store: MemoryStore, db_path: Path
) -> None:
    await sqlite_store.ensure_session("s", channel="test")
    async with write_lock_held(db_path) as release:
        started = time.monotonic()
        write = asyncio.create_task(sqlite_store.append_message("s", ChatMessage("user", "hi")))
        await asyncio.sleep(0.1)
        assert not write.done(), "the write went through while another process held the lock"
        # The write waits off the storage loop: reads still answer, well before the lock
        # is released.
        assert await sqlite_store.load_history("s", 10) == []
        assert time.monotonic() - started < HELD_S
        await asyncio.sleep(HELD_S - (time.monotonic() - started))
        release.set()
        await asyncio.wait_for(write, 10)
    [stored] = await sqlite_store.load_history("s", 10)
    assert stored.message.content == "hi"


async def _busy_timeout(conn: AsyncConnection) -> int:
    return int(await conn.scalar(sa.text("PRAGMA busy_timeout")) or 0)


async def test_reads_wait_for_locks_whatever_the_writes_did(sqlite_store: MemoryStore) -> None:
    # A write's lock probe runs at busy_timeout 0 without setting it around each
    # BEGIN IMMEDIATE: its connection is kept apart for writes. A read's connection
    # always waits the full busy_timeout (another process's WAL recovery).
    await sqlite_store.ensure_session("s", channel="test")
    await sqlite_store.append_message("s", ChatMessage("user", "hi"))
    assert await sqlite_store.database.write(_busy_timeout) == 0
    database = sqlite_store.database
    mixed = await asyncio.gather(
        *(
            database.write(_busy_timeout) if n % 2 else database.read(_busy_timeout)
            for n in range(12)
        )
    )
    assert mixed[0::2] == [BUSY_TIMEOUT_MS] * 6
    assert mixed[1::2] == [0] * 6
    assert await database.read(_busy_timeout) == BUSY_TIMEOUT_MS


async def test_a_write_that_waited_leaves_its_connection_waiting(
    sqlite_store: MemoryStore, db_path: Path
) -> None:
    await sqlite_store.ensure_session("s", channel="test")
    async with write_lock_held(db_path) as release:
        write = asyncio.create_task(sqlite_store.database.write(_busy_timeout))
        await asyncio.sleep(0.1)
        release.set()
        # The wait happened at the full busy_timeout, set before it.
        assert await asyncio.wait_for(write, 10) == BUSY_TIMEOUT_MS
    # That connection is a reader's now; reads still wait, writes probe at 0 again.
    reads = await asyncio.gather(*(sqlite_store.database.read(_busy_timeout) for _ in range(3)))
    assert reads == [BUSY_TIMEOUT_MS] * 3
    assert await sqlite_store.database.write(_busy_timeout) == 0
