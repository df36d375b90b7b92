from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory import (
    DatabaseLocation,
    DatabaseUnavailableError,
    HookStepRecord,
    MemoryStore,
    MemoryStoreError,
    SessionOwnerError,
    ToolProvenance,
    TurnContext,
    TurnWrites,
    UnknownSessionError,
    postgres_location,
)
from zeroclaw.memory.tables import messages, tool_results
from zeroclaw.messages import ChatMessage, ToolCall, ToolResult


def _conversation() -> list[ChatMessage]:
    call = ToolCall("call_1", "file_read", {"path": "notes/a.txt", "limit": 3, "deep": {"x": [1]}})
    second = ToolCall("call_2", "shell", {"command": "echo héllo"})
    return [
        ChatMessage("system", "be brief"),
        ChatMessage("user", "read my notes"),
        ChatMessage("assistant", "", tool_calls=(call, second)),
        ChatMessage("tool", "line 1", tool_call_id="call_1", name="file_read"),
        ChatMessage("tool", "error: boom", tool_call_id="call_2", name="shell"),
        ChatMessage("assistant", "Your notes say: line 1 ✓"),
    ]


async def test_every_message_kind_round_trips_across_reopen(location: DatabaseLocation) -> None:
    async with MemoryStore.open(location) as store:
        await store.ensure_session("s1")
        ids = [await store.append_message("s1", message) for message in _conversation()]

    async with MemoryStore.open(location) as store:
        history = await store.load_history("s1", limit=100)

    assert [stored.id for stored in history] == ids
    assert ids == sorted(ids)
    assert [stored.message for stored in history] == _conversation()
    assert history[2].message.tool_calls[0].arguments == {
        "path": "notes/a.txt",
        "limit": 3,
        "deep": {"x": [1]},
    }


async def test_history_is_the_most_recent_messages_oldest_first(store: MemoryStore) -> None:
    await store.ensure_session("s1")
    await store.ensure_session("other")
    for index in range(10):
        await store.append_message("s1", ChatMessage("user", f"m{index}"))
        await store.append_message("other", ChatMessage("user", f"o{index}"))

    history = await store.load_history("s1", limit=4)

    assert [stored.message.content for stored in history] == ["m6", "m7", "m8", "m9"]
    assert await store.load_history("missing", limit=4) == []


async def test_compact_hides_old_messages_and_stores_the_summary(store: MemoryStore) -> None:
    await store.ensure_session("s1")
    ids = [await store.append_message("s1", ChatMessage("user", f"m{i}")) for i in range(6)]

    await store.compact("s1", "the user counted to three", upto_message_id=ids[3])

    assert [s.message.content for s in await store.load_history("s1", limit=100)] == ["m4", "m5"]
    assert await store.latest_summary("s1") == "the user counted to three"
    everything = await store.session_messages("s1")
    assert [s.compacted for s in everything] == [True] * 4 + [False] * 2
    assert await store.latest_summary("s1", kind="session") is None


async def test_latest_summary_is_the_newest_compaction(store: MemoryStore) -> None:
    await store.ensure_session("s1")
    first = await store.append_message("s1", ChatMessage("user", "a"))
    second = await store.append_message("s1", ChatMessage("user", "b"))
    await store.compact("s1", "first summary", upto_message_id=first)
    await store.compact("s1", "second summary", upto_message_id=second)

    assert await store.latest_summary("s1") == "second summary"
    assert await store.load_history("s1", limit=10) == []


async def test_writes_to_an_unknown_session_are_refused_and_store_nothing(
    store: MemoryStore,
) -> None:
    with pytest.raises(UnknownSessionError, match="ensure_session"):
        await store.append_message("ghost", ChatMessage("user", "hi"))
    with pytest.raises(UnknownSessionError):
        await store.append_messages("ghost", [ChatMessage("user", "hi")])
    with pytest.raises(UnknownSessionError):
        await store.compact("ghost", "summary", upto_message_id=10)
    with pytest.raises(UnknownSessionError):
        await store.record_tool_result("ghost", ToolCall("c", "t", {}), ToolResult.ok("x"))

    assert await store.session_messages("ghost") == []
    assert await store.latest_summary("ghost") is None


async def test_sessions_are_listed_most_recent_first_with_counts_and_titles(
    store: MemoryStore,
) -> None:
    await store.ensure_session("old", channel="gateway", user_id="alice")
    await store.ensure_session("new")
    await store.append_message("new", ChatMessage("user", "first question\nwith two lines"))
    await store.append_message("old", ChatMessage("system", "sys"))
    await store.append_message("old", ChatMessage("user", "hello there"))
    await store.append_message("old", ChatMessage("user", "second message"))

    sessions = await store.list_sessions()

    assert [s.id for s in sessions] == ["old", "new"]
    old = sessions[0]
    assert (old.channel, old.user_id, old.message_count) == ("gateway", "alice", 3)
    assert old.title == "hello there"
    assert sessions[1].title == "first question with two lines"
    assert old.updated_at >= old.created_at
    assert (await store.list_sessions(limit=1))[0].id == "old"
    assert await store.get_session("missing") is None


async def test_a_session_cannot_be_claimed_by_another_user(store: MemoryStore) -> None:
    await store.ensure_session("s1", user_id="alice")
    await store.ensure_session("s1", user_id="alice")
    await store.ensure_session("s1")  # no user given: asserts nothing

    with pytest.raises(SessionOwnerError):
        await store.ensure_session("s1", user_id="mallory")
    info = await store.get_session("s1")
    assert info is not None
    assert info.user_id == "alice"


async def test_begin_turn_makes_the_session_and_stores_the_message_together(
    store: MemoryStore,
) -> None:
    first = (
        await store.begin_turn("s1", ChatMessage("user", "hi there"), channel="gw", user_id="a")
    ).message_id
    assert await store.open_turn_of("s1") == first  # the turn is open until it settles
    opened = await store.get_session("s1")
    assert opened is not None
    assert opened.open_turn == first  # what the API and the console show
    assert [s.open_turn for s in await store.list_sessions()] == [first]
    await store.settle_turn("s1", TurnWrites(), opened=first)
    settled = await store.get_session("s1")
    assert settled is not None
    assert settled.open_turn is None
    await store.begin_turn("s1", ChatMessage("user", "again"), channel="gw", user_id="a")

    info = await store.get_session("s1")
    assert info is not None
    assert (info.channel, info.user_id, info.title, info.message_count) == (
        "gw",
        "a",
        "hi there",
        2,
    )
    assert [s.id for s in await store.load_history("s1", limit=1)] == [first + 1]
    # Another user's session: refused, and nothing of the message is stored.
    with pytest.raises(SessionOwnerError):
        await store.begin_turn("s1", ChatMessage("user", "mine"), channel="gw", user_id="b")
    assert [s.message.content for s in await store.session_messages("s1")] == ["hi there", "again"]


async def test_turn_context_is_the_history_and_the_latest_compaction(store: MemoryStore) -> None:
    await store.ensure_session("s1")
    ids = [await store.append_message("s1", ChatMessage("user", f"m{i}")) for i in range(5)]
    assert await store.turn_context("s1", limit=2) == TurnContext(
        await store.load_history("s1", limit=2), None
    )

    await store.compact("s1", "counted to two", upto_message_id=ids[2])
    await store.add_summary("s1", "not a compaction", kind="session")
    context = await store.turn_context("s1", limit=10)

    assert [s.message.content for s in context.history] == ["m3", "m4"]
    assert context.summary == "counted to two"
    assert await store.turn_context("missing", limit=10) == TurnContext([], None)


async def test_a_tool_results_provenance_is_stored_in_its_row(store: MemoryStore) -> None:
    await store.ensure_session("s1")
    await store.ensure_session("s2")
    call = ToolCall("c1", "word_count", {"text": "a b"})
    provenance = ToolProvenance(
        owner_kind="plugin",
        owner_name="word-count",
        owner_version="0.3.1",
        approval="approved",
        hooks=(
            HookStepRecord("before_tool_call", "audit", "native", "passed"),
            HookStepRecord(
                "before_tool_call", "shape", "plugin:shape", "modified", None, ("arguments",)
            ),
            HookStepRecord(
                "tool_result_persist", "flaky", "native", "failed", "raised ValueError: x"
            ),
        ),
        duration_ms=3.25,
    )
    blocked = ToolProvenance(
        "native",
        None,
        None,
        "not_needed",
        (HookStepRecord("before_tool_call", "guard", "native", "blocked", "no shell \u2717"),),
        blocked_by="hook:guard",
    )

    await store.record_tool_result("s1", call, ToolResult.ok("2"), provenance)
    await store.record_tool_result("s1", ToolCall("c2", "shell", {}), ToolResult.fail("x"), blocked)
    await store.record_tool_result("s1", ToolCall("c3", "file_read", {}), ToolResult.ok("old"))
    await store.record_tool_result("s2", call, ToolResult.ok("other session"), provenance)

    calls = await store.session_tool_calls("s1")
    assert [(c.call_id, c.success, c.output) for c in calls] == [
        ("c1", True, "2"),
        ("c2", False, ""),
        ("c3", True, "old"),
    ]
    assert [c.provenance for c in calls] == [provenance, blocked, None]
    assert calls[0].provenance is not None
    assert calls[0].provenance.owner == "plugin:word-count@0.3.1"
    assert calls[0].arguments == '{"text": "a b"}'

    # The hooks column is the JSON text of a list of step objects, written as json.dumps
    # writes it (each step's text is memoized: the same text, whichever row comes first).
    async def hooks_column(conn: AsyncConnection) -> list[object]:
        found = await conn.execute(sa.select(tool_results.c.hooks).order_by(tool_results.c.id))
        return [row[0] for row in found]

    def as_written(p: ToolProvenance) -> str:
        steps = [
            {
                "event": s.event,
                "handler": s.handler,
                "source": s.source,
                "verdict": s.verdict,
                "detail": s.detail,
                "fields": list(s.fields),
            }
            for s in p.hooks
        ]
        return json.dumps(steps, ensure_ascii=False)

    written = [as_written(provenance), as_written(blocked), None, as_written(provenance)]
    assert await store.database.read(hooks_column) == written
    assert "\u2717" in str(written[1])
    empty = ToolProvenance("native", None, None, "not_needed")
    await store.record_tool_result("s2", ToolCall("c4", "x", {}), ToolResult.ok(""), empty)
    assert (await store.database.read(hooks_column))[-1] == "[]"


async def test_tool_results_are_recorded(store: MemoryStore) -> None:
    await store.ensure_session("s1")
    call = ToolCall("c1", "shell", {"command": "ls"})

    await store.record_tool_result("s1", call, ToolResult.fail("not allowed"))
    await store.record_tool_result("s1", call, ToolResult.ok("a.txt"))

    async def read(conn: AsyncConnection) -> list[tuple[object, ...]]:
        columns = [tool_results.c[name] for name in ("call_id", "tool_name", "arguments")]
        more = [tool_results.c[name] for name in ("success", "output", "error")]
        found = await conn.execute(sa.select(*columns, *more).order_by(tool_results.c.id))
        return [tuple(row) for row in found]

    rows = await store.database.read(read)
    assert rows == [
        ("c1", "shell", '{"command": "ls"}', 0, "", "not allowed"),
        ("c1", "shell", '{"command": "ls"}', 1, "a.txt", None),
    ]


async def test_a_closed_store_refuses_use(location: DatabaseLocation) -> None:
    store = MemoryStore.open(location)
    await store.aclose()
    await store.aclose()
    store.close()

    with pytest.raises(MemoryStoreError, match="closed"):
        await store.list_sessions()


async def test_a_negative_limit_returns_nothing_rather_than_everything(store: MemoryStore) -> None:
    await store.ensure_session("s1")
    await store.append_message("s1", ChatMessage("user", "hi"))
    await store.remember("k", "v")

    assert await store.load_history("s1", limit=-1) == []
    assert await store.recall("", limit=-1) == []
    assert await store.list_sessions(limit=-1) == []


async def test_concurrent_tasks_and_threads_share_one_store_safely(store: MemoryStore) -> None:
    await store.ensure_session("s1")

    async def task(worker: int) -> list[int]:
        return [
            await store.append_message("s1", ChatMessage("user", f"task {worker}-{i}"))
            for i in range(25)
        ]

    def thread(worker: int) -> list[int]:
        # The bridge for synchronous callers on worker threads (a plugin's host call).
        return [
            store.blocking(store.append_message("s1", ChatMessage("user", f"thread {worker}-{i}")))
            for i in range(25)
        ]

    with ThreadPoolExecutor(max_workers=4) as pool:
        threads = [asyncio.wrap_future(pool.submit(thread, worker)) for worker in range(4)]
        batches = await asyncio.gather(*(task(worker) for worker in range(4)), *threads)

    ids = [row_id for batch in batches for row_id in batch]
    assert len(set(ids)) == 200
    stored = await store.session_messages("s1")
    assert len(stored) == 200
    # Each writer's messages are in its own order.
    for worker in range(4):
        mine = [
            s.message.content for s in stored if s.message.content.startswith(f"task {worker}-")
        ]
        assert mine == [f"task {worker}-{i}" for i in range(25)]


async def test_the_blocking_bridge_refuses_a_thread_whose_loop_runs(store: MemoryStore) -> None:
    call = store.list_sessions()
    with pytest.raises(RuntimeError, match="await"):
        store.blocking(call)


async def test_a_connection_lost_mid_write_rolls_it_back_and_the_next_one_works(
    postgres_url: str,
) -> None:
    async with MemoryStore.open(postgres_location(postgres_url)) as store:
        await store.ensure_session("s1")
        await store.append_message("s1", ChatMessage("user", "kept"))

        async def dies_half_way(conn: AsyncConnection) -> None:
            await conn.execute(
                messages.insert().values(
                    session_id="s1", role="user", content="lost", created_at="2024-01-01"
                )
            )
            # The server drops this very connection, as a restart or a network cut would.
            await conn.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))

        with pytest.raises(DatabaseUnavailableError) as caught:
            await store.database.write(dies_half_way)
        # The pool replaces the dead connection: the request can simply be sent again.
        await store.append_message("s1", ChatMessage("user", "after"))

        contents = [s.message.content for s in await store.session_messages("s1")]

    assert contents == ["kept", "after"]
    assert "postgresql://zeroclaw@127.0.0.1" in caught.value.message
    assert caught.value.hint is not None
    assert "send it again" in caught.value.hint
