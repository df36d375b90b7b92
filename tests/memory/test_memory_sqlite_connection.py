"""SQLite transactions on `sqlite3` with SQLAlchemy's compiled statements
(memory/sqlite_connection.py): the same results and errors the engine gave, a failed
transaction rolled back whole, short work on the caller's loop and the rest on the
storage loop, a write lock held elsewhere awaited off the loop, and the WAL checkpointed
off the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory import MemoryStore
from zeroclaw.memory.sqlite_connection import CHECKPOINT_EVERY
from zeroclaw.memory.tables import messages, rate_limits, sessions
from zeroclaw.messages import ChatMessage

HELD_S = 0.4


async def test_statements_bind_and_answer_as_through_the_engine(
    sqlite_store: MemoryStore,
) -> None:
    for name in ("a", "b", "c"):
        await sqlite_store.ensure_session(name, channel="test")

    async def work(conn: AsyncConnection) -> None:
        # An IN (...) of a list is expanded per call; a REAL is bound as a float.
        found = await conn.execute(
            sa.select(sessions.c.id).where(sessions.c.id.in_(["a", "c", "z"])).order_by("id")
        )
        assert found.all() == [("a",), ("c",)]
        inserted = await conn.execute(
            rate_limits.insert(), [{"key": "k1", "tat": 1}, {"key": "k2", "tat": 2.5}]
        )
        assert inserted.rowcount == 2
        rows = await conn.execute(sa.select(rate_limits).order_by(rate_limits.c.key))
        assert rows.mappings() == [{"key": "k1", "tat": 1.0}, {"key": "k2", "tat": 2.5}]
        assert isinstance((await conn.execute(sa.select(rate_limits.c.tat))).scalar(), float)
        none = await conn.execute(sa.select(sessions.c.id).where(sessions.c.id == "z"))
        with pytest.raises(NoResultFound):
            none.one()
        # The driver's error arrives as SQLAlchemy's, as the store's callers expect.
        with pytest.raises(IntegrityError):
            await conn.execute(
                messages.insert().values(
                    session_id="nobody", role="user", content="x", created_at="now"
                )
            )

    await sqlite_store.database.write(work)


async def test_a_failed_write_is_rolled_back_whole(sqlite_store: MemoryStore) -> None:
    await sqlite_store.ensure_session("s", channel="test")

    async def half(conn: AsyncConnection) -> None:
        await conn.execute(sessions.update().values(title="changed"))
        raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        await sqlite_store.database.write(half)
    info = await sqlite_store.get_session("s")
    assert info is not None
    assert info.title is None
    # The connection went back clean: the next write on it commits.
    await sqlite_store.append_message("s", ChatMessage("user", "after"))
    assert [m.message.content for m in await sqlite_store.load_history("s", 5)] == ["after"]


async def test_short_work_runs_on_the_callers_loop_the_rest_on_the_storage_loop(
    sqlite_store: MemoryStore,
) -> None:
    threads: list[str] = []

    async def where(conn: AsyncConnection) -> None:
        threads.append(threading.current_thread().name)

    await sqlite_store.database.read(where, short=True)
    await sqlite_store.database.write(where, short=True)
    await sqlite_store.database.read(where)
    here = threading.current_thread().name
    assert threads == [here, here, "zeroclaw-storage"]


def _hold_write_lock(path: Path, taken: threading.Event, release: threading.Event) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        taken.set()
        release.wait(10)
        other.execute("COMMIT")
    finally:
        other.close()


async def test_a_short_write_waits_for_a_held_lock_off_the_loop(
    sqlite_store: MemoryStore, db_path: Path
) -> None:
    await sqlite_store.ensure_session("s", channel="test")
    taken, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_path, taken, release))
    holder.start()
    try:
        assert await asyncio.to_thread(taken.wait, 10)
        turn = asyncio.create_task(
            sqlite_store.begin_turn("s", ChatMessage("user", "hi"), channel="test", user_id=None)
        )
        # The loop goes on while the turn's write waits for the lock.
        ticks, started = 0, time.monotonic()
        while time.monotonic() - started < HELD_S:
            await asyncio.sleep(0.01)
            ticks += 1
        assert not turn.done(), "the write went through while another writer held the lock"
        assert ticks > HELD_S / 0.01 / 2, "the loop was held while the write waited"
        release.set()
        opened = await asyncio.wait_for(turn, 10)
    finally:
        release.set()
        await asyncio.to_thread(holder.join)
    assert await sqlite_store.open_turn_of("s") == opened


async def test_the_wal_is_checkpointed_off_the_loop(
    sqlite_store: MemoryStore, db_path: Path
) -> None:
    wal = db_path.with_name(db_path.name + "-wal")

    async def autocheckpoint(conn: AsyncConnection) -> int:
        return int(await conn.scalar(sa.text("PRAGMA wal_autocheckpoint")) or 0)

    # SQLite's own checkpoint (inside a commit, on a loop) is off...
    assert await sqlite_store.database.read(autocheckpoint, short=True) == 0
    await sqlite_store.ensure_session("s", channel="test")
    text = "x" * 3000  # about a page a message
    for number in range(3 * CHECKPOINT_EVERY):
        await sqlite_store.begin_turn(
            "s", ChatMessage("user", f"{number} {text}"), channel="test", user_id=None
        )
        if number == CHECKPOINT_EVERY // 2:
            half_way = wal.stat().st_size
    # ... and ours keeps the WAL from growing with every commit: it is reused once its
    # pages are in the file, so it stays near what CHECKPOINT_EVERY commits write.
    await asyncio.sleep(0.2)
    assert wal.stat().st_size < 4 * half_way
