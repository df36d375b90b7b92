"""SQLite statements run on the storage loop's thread (memory/sqlite_connection.py): a
write that finds the write lock held by another process waits for it on a worker thread,
and the storage loop goes on answering reads meanwhile; the lock it did not get leaves
the connection's busy_timeout as it was."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
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


async def test_a_write_waits_for_another_writer_while_reads_go_on(
    sqlite_store: MemoryStore, db_path: Path
) -> None:
    await sqlite_store.ensure_session("s", channel="test")
    taken, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_path, taken, release))
    holder.start()
    try:
        assert await asyncio.to_thread(taken.wait, 10)
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
    finally:
        release.set()
        await asyncio.to_thread(holder.join)
    [stored] = await sqlite_store.load_history("s", 10)
    assert stored.message.content == "hi"


async def test_busy_timeout_is_kept_after_a_write(sqlite_store: MemoryStore) -> None:
    await sqlite_store.ensure_session("s", channel="test")
    await sqlite_store.append_message("s", ChatMessage("user", "hi"))

    async def timeout(conn: AsyncConnection) -> int:
        return int(await conn.scalar(sa.text("PRAGMA busy_timeout")) or 0)

    assert await sqlite_store.database.write(timeout) == BUSY_TIMEOUT_MS
    assert await sqlite_store.database.read(timeout) == BUSY_TIMEOUT_MS
