"""A turn's writes: the user's message committed at once with the turn marked open, the
rest in one transaction that settles it; a turn that never settled is closed (or, sent
again, continued) by the session's next one. And the storage layer's bounded retry of a
transaction whose connection the server cut. Both backends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory import (
    UNSETTLED_TURN,
    DatabaseUnavailableError,
    HookStepRecord,
    MemoryStore,
    ToolProvenance,
    TurnSupersededError,
    TurnWrites,
)
from zeroclaw.memory.database import RETRY_DELAYS_S
from zeroclaw.memory.tables import memories
from zeroclaw.messages import ChatMessage, ToolCall, ToolResult

CALL = ToolCall("c1", "shell", {"command": "ls"})
REFUSED = ToolCall("c2", "shell", {"command": "rm -rf /"})
PROVENANCE = ToolProvenance(
    owner_kind="native",
    owner_name=None,
    owner_version=None,
    approval="auto",
    hooks=(HookStepRecord("before_tool_call", "guard", "native", "passed"),),
    duration_ms=3.5,
)
NOW = "2026-01-01T00:00:00.000000+00:00"


def _produced() -> TurnWrites:
    return TurnWrites(
        messages=[
            ChatMessage("assistant", "", tool_calls=(CALL, REFUSED)),
            ChatMessage("tool", "a.txt", tool_call_id="c1", name="shell"),
            ChatMessage("tool", "not recorded", tool_call_id="c2", name="shell"),
            ChatMessage("assistant", "one file"),
        ],
        # One result with its provenance, one without (not recorded): one multi-row insert.
        tool_results=[
            (CALL, ToolResult.ok("a.txt"), PROVENANCE),
            (REFUSED, ToolResult.fail("no"), None),
        ],
    )


async def _open(store: MemoryStore, text: str) -> int:
    """A turn's first write, as the agent makes it: the session made sure of, the message
    stored and the turn marked open, one transaction."""
    opened = await store.begin_turn(
        "s", ChatMessage("user", text), channel="terminal", user_id=None
    )
    return opened.message_id


async def _said(store: MemoryStore, session_id: str = "s") -> list[tuple[str, str]]:
    return [(m.message.role, m.message.content) for m in await store.session_messages(session_id)]


async def _tool_results(store: MemoryStore) -> int:
    async def work(conn: AsyncConnection) -> int:
        return int(await conn.scalar(sa.text("SELECT count(*) FROM tool_results")) or 0)

    return await store.database.read(work)


async def test_the_question_is_stored_at_once_and_the_rest_when_the_turn_settles(
    store: MemoryStore,
) -> None:
    opened = await _open(store, "list the files")
    assert await _said(store) == [("user", "list the files")]
    assert await store.open_turn_of("s") == opened

    await store.settle_turn("s", _produced(), opened=opened)

    assert await _said(store) == [
        ("user", "list the files"),
        ("assistant", ""),
        ("tool", "a.txt"),
        ("tool", "not recorded"),
        ("assistant", "one file"),
    ]
    # Each result holds its call's provenance, written in the settling insert.
    calls = await store.session_tool_calls("s")
    assert [(c.call_id, c.provenance) for c in calls] == [("c1", PROVENANCE), ("c2", None)]
    assert await store.open_turn_of("s") is None


async def test_a_turn_that_never_settled_is_closed_by_the_next_message(
    store: MemoryStore,
) -> None:
    await _open(store, "first")  # the process died here
    second = await _open(store, "second")
    assert await _said(store) == [
        ("user", "first"),
        ("assistant", UNSETTLED_TURN.content),
        ("user", "second"),
    ]
    assert await store.open_turn_of("s") == second


async def test_the_same_message_sent_again_continues_the_open_turn(store: MemoryStore) -> None:
    opened = await _open(store, "list the files")
    again = await _open(store, "list the files")
    assert again == opened
    assert await _said(store) == [("user", "list the files")]
    await store.settle_turn("s", _produced(), opened=again)
    # Settled: the same words now are a new question.
    await _open(store, "list the files")
    assert [role for role, _ in await _said(store)][-2:] == ["assistant", "user"]


async def test_the_open_turn_is_found_past_compacted_history(store: MemoryStore) -> None:
    # The session's last message is read from its messages not compacted and its compacted
    # ones alike: after a compaction that retired the open turn's message too, the same
    # message sent again still continues it, and another one still closes it.
    for text in ("first", "second"):
        await store.settle_turn("s", _produced(), opened=await _open(store, text))
    opened = await _open(store, "list the files")
    await store.compact("s", "summary of the files talk", opened)

    assert await _open(store, "list the files") == opened
    assert [role for role, _ in await _said(store)][-2:] == ["assistant", "user"]

    await _open(store, "something else")
    assert (await _said(store))[-3:] == [
        ("user", "list the files"),
        ("assistant", UNSETTLED_TURN.content),
        ("user", "something else"),
    ]


async def test_an_open_turn_after_compacted_history_is_continued(store: MemoryStore) -> None:
    await store.settle_turn("s", _produced(), opened=await _open(store, "first"))
    await store.compact("s", "summary", (await store.session_messages("s"))[-1].id)
    opened = await _open(store, "list the files")

    assert await _open(store, "list the files") == opened
    assert await store.open_turn_of("s") == opened
    assert [m.compacted for m in await store.session_messages("s")] == [True] * 5 + [False]


async def test_a_turn_whose_session_moved_on_stores_nothing(store: MemoryStore) -> None:
    lost = await _open(store, "first")
    # Another request took the session (this turn's lock died with its connection).
    await _open(store, "second")
    with pytest.raises(TurnSupersededError, match="closed by another request"):
        await store.settle_turn("s", _produced(), opened=lost)
    assert [role for role, _ in await _said(store)] == ["user", "assistant", "user"]
    assert await _tool_results(store) == 0


def _insert_cut_by_the_server(
    attempts: list[int], *, cuts: int
) -> Callable[[AsyncConnection], Awaitable[None]]:
    """A transaction that inserts a memory, then (on its first `cuts` attempts) has the
    server end its connection mid-transaction, as pg_terminate_backend from an operator (or
    a failover) would. Each attempt is counted in `attempts`."""

    async def work(conn: AsyncConnection) -> None:
        attempts.append(1)
        await conn.execute(
            memories.insert().values(
                namespace="n", key="k", value="v", created_at=NOW, updated_at=NOW
            )
        )
        if len(attempts) <= cuts:
            await conn.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))

    return work


async def test_a_connection_cut_mid_transaction_is_retried_on_a_fresh_one(
    postgres_store: MemoryStore,
) -> None:
    attempts: list[int] = []

    await postgres_store.database.write(_insert_cut_by_the_server(attempts, cuts=1))
    assert len(attempts) == 2
    assert [m.value for m in await postgres_store.recall("", limit=5)] == ["v"]


async def test_a_connection_cut_every_time_gives_up_after_the_bounded_retries(
    postgres_store: MemoryStore,
) -> None:
    attempts: list[int] = []

    with pytest.raises(DatabaseUnavailableError) as raised:
        await postgres_store.database.write(_insert_cut_by_the_server(attempts, cuts=1000))
    assert len(attempts) == 1 + len(RETRY_DELAYS_S)
    assert "send it again" in (raised.value.hint or "")
    assert await postgres_store.recall("", limit=5) == []
    # The store serves on once the server does.
    await postgres_store.remember("k", "v")
    assert await postgres_store.get_memory("k") is not None


async def _begin_with_context(store: MemoryStore, session: str, text: str, limit: int) -> None:
    """begin_turn asked for the context gives what turn_context reads right after it."""
    opened = await store.begin_turn(
        session, ChatMessage("user", text), channel="test", user_id=None, history=limit
    )
    assert opened.context == await store.turn_context(session, limit)
    assert opened.message_id == await store.open_turn_of(session)


async def test_begin_turn_returns_the_context_turn_context_would_read(store: MemoryStore) -> None:
    # A session the turn creates: made from what was written (text stored with U+FFFD
    # for a lone surrogate, as it reads back), nothing read.
    await _begin_with_context(store, "new", "hello \ud800 there", 10)
    await _begin_with_context(store, "empty", "hello", 0)
    # An existing session: its history (bounded), the left-open turn closed first.
    await _begin_with_context(store, "new", "again", 2)
    # The same message sent again continues the open turn: nothing stored twice.
    await _begin_with_context(store, "new", "again", 10)
    assert [c for _, c in await _said(store, "new")] == [
        "hello \ufffd there",
        UNSETTLED_TURN.content,
        "again",
    ]
    # After a compaction: the messages left and the summary.
    history = await store.load_history("new", 10)
    await store.settle_turn("new", TurnWrites([ChatMessage("assistant", "ok")]))
    await store.compact("new", "said hello twice", upto_message_id=history[1].id)
    await _begin_with_context(store, "new", "and now?", 10)
    # A session made before its first turn (a seeded one): read like any other.
    await store.ensure_session("seeded")
    await store.append_messages("seeded", [ChatMessage("system", "be brief")])
    await _begin_with_context(store, "seeded", "hi", 10)
    # Not asked for: none.
    skipped = await store.begin_turn(
        "new", ChatMessage("user", "quiet"), channel="test", user_id=None
    )
    assert skipped.context is None


async def test_a_turn_settling_while_the_next_begins_is_closed_once(store: MemoryStore) -> None:
    # A cancelled turn's settling write (its "cancelled" answer) and the session's next
    # turn, run at once and interleaved at various points: the session ends up with one
    # answer for the first turn, whichever wins, never that and UNSETTLED_TURN too.
    markers = {CANCELLED.content, UNSETTLED_TURN.content}
    for attempt in range(40):
        session = f"s{attempt}"
        opened = (
            await store.begin_turn(session, ChatMessage("user", "q"), channel="test", user_id=None)
        ).message_id
        # Either write may start first, by 0 to 3.5 ms.
        lead = (attempt % 8) / 2000
        settle_delay, next_delay = (lead, 0.0) if attempt % 2 else (0.0, lead)
        await asyncio.gather(
            _settle_cancelled(store, session, opened, settle_delay),
            _begin_next(store, session, next_delay),
        )
        contents = [s.message.content for s in await store.session_messages(session)]
        assert sum(c in markers for c in contents) == 1, (attempt, contents)


CANCELLED = ChatMessage("assistant", "(no answer: cancelled)")


async def _settle_cancelled(store: MemoryStore, session: str, opened: int, delay: float) -> None:
    await asyncio.sleep(delay)
    with contextlib.suppress(TurnSupersededError):  # the next turn closed it first
        await store.settle_turn(session, TurnWrites([CANCELLED]), opened=opened)


async def _begin_next(store: MemoryStore, session: str, delay: float) -> None:
    await asyncio.sleep(delay)
    await store.begin_turn(session, ChatMessage("user", "next"), channel="test", user_id=None)
