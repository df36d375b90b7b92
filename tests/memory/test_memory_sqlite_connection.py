"""SQLite transactions on `sqlite3` with SQLAlchemy's compiled statements
(memory/sqlite_connection.py): the same results and errors the engine gave, and a failed
transaction rolled back whole."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory import MemoryStore
from zeroclaw.memory.tables import messages, rate_limits, sessions
from zeroclaw.messages import ChatMessage


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


async def test_a_statement_built_once_binds_its_own_values_each_time(
    sqlite_store: MemoryStore,
) -> None:
    # Statements of one shape with different literal values share a compiled form; each
    # statement object, found again by identity, binds its own values (not the first
    # one's), and a caller's parameter of a literal's name wins, as in construct_params.
    await sqlite_store.ensure_session("s", channel="test")
    for n in range(5):
        await sqlite_store.append_message("s", ChatMessage("user", f"m{n}"))
    newest = {
        limit: sa.select(messages.c.content)
        .where(messages.c.session_id == sa.bindparam("sid"))
        .order_by(messages.c.id.desc())
        .limit(limit)
        for limit in (1, 3)
    }
    named = sa.select(sessions.c.id).where(sessions.c.channel == sa.bindparam("channel", "test"))

    async def work(conn: AsyncConnection) -> None:
        for _ in range(2):  # the second time, each is found by identity
            assert (await conn.execute(newest[1], {"sid": "s"})).all() == [("m4",)]
            three = await conn.execute(newest[3], {"sid": "s"})
            assert three.all() == [("m4",), ("m3",), ("m2",)]
            assert (await conn.execute(newest[3], {"sid": "other"})).all() == []
            assert (await conn.execute(named)).all() == [("s",)]
            assert (await conn.execute(named, {"channel": "gateway"})).all() == []
        # Many rows: each bound by the template of the first one's names.
        now = "2026-01-01T00:00:00+00:00"
        await conn.execute(
            messages.insert(),
            [
                {"session_id": "s", "role": "user", "content": text, "created_at": now}
                for text in ("a", "b")
            ],
        )

    await sqlite_store.database.write(work)
    assert [m.message.content for m in await sqlite_store.load_history("s", 2)] == ["a", "b"]
