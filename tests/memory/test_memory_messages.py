from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from zeroclaw.memory import (
    MemoryStore,
    MemoryStoreError,
    SessionOwnerError,
    UnknownSessionError,
)
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


def test_every_message_kind_round_trips_across_reopen(db_path: Path) -> None:
    with MemoryStore.open(db_path) as store:
        store.ensure_session("s1")
        ids = [store.append_message("s1", message) for message in _conversation()]

    with MemoryStore.open(db_path) as store:
        history = store.load_history("s1", limit=100)

    assert [stored.id for stored in history] == ids
    assert ids == sorted(ids)
    assert [stored.message for stored in history] == _conversation()
    assert history[2].message.tool_calls[0].arguments == {
        "path": "notes/a.txt",
        "limit": 3,
        "deep": {"x": [1]},
    }


def test_history_is_the_most_recent_messages_oldest_first(store: MemoryStore) -> None:
    store.ensure_session("s1")
    store.ensure_session("other")
    for index in range(10):
        store.append_message("s1", ChatMessage("user", f"m{index}"))
        store.append_message("other", ChatMessage("user", f"o{index}"))

    history = store.load_history("s1", limit=4)

    assert [stored.message.content for stored in history] == ["m6", "m7", "m8", "m9"]
    assert store.load_history("missing", limit=4) == []


def test_compact_hides_old_messages_and_stores_the_summary(store: MemoryStore) -> None:
    store.ensure_session("s1")
    ids = [store.append_message("s1", ChatMessage("user", f"m{i}")) for i in range(6)]

    store.compact("s1", "the user counted to three", upto_message_id=ids[3])

    assert [s.message.content for s in store.load_history("s1", limit=100)] == ["m4", "m5"]
    assert store.latest_summary("s1") == "the user counted to three"
    everything = store.session_messages("s1")
    assert [s.compacted for s in everything] == [True] * 4 + [False] * 2
    assert store.latest_summary("s1", kind="session") is None


def test_latest_summary_is_the_newest_compaction(store: MemoryStore) -> None:
    store.ensure_session("s1")
    first = store.append_message("s1", ChatMessage("user", "a"))
    second = store.append_message("s1", ChatMessage("user", "b"))
    store.compact("s1", "first summary", upto_message_id=first)
    store.compact("s1", "second summary", upto_message_id=second)

    assert store.latest_summary("s1") == "second summary"
    assert store.load_history("s1", limit=10) == []


def test_writes_to_an_unknown_session_are_refused_and_store_nothing(store: MemoryStore) -> None:
    with pytest.raises(UnknownSessionError, match="ensure_session"):
        store.append_message("ghost", ChatMessage("user", "hi"))
    with pytest.raises(UnknownSessionError):
        store.compact("ghost", "summary", upto_message_id=10)

    assert store.session_messages("ghost") == []
    assert store.latest_summary("ghost") is None


def test_sessions_are_listed_most_recent_first_with_counts_and_titles(
    store: MemoryStore,
) -> None:
    store.ensure_session("old", channel="gateway", user_id="alice")
    store.ensure_session("new")
    store.append_message("new", ChatMessage("user", "first question\nwith two lines"))
    store.append_message("old", ChatMessage("system", "sys"))
    store.append_message("old", ChatMessage("user", "hello there"))
    store.append_message("old", ChatMessage("user", "second message"))

    sessions = store.list_sessions()

    assert [s.id for s in sessions] == ["old", "new"]
    old = sessions[0]
    assert (old.channel, old.user_id, old.message_count) == ("gateway", "alice", 3)
    assert old.title == "hello there"
    assert sessions[1].title == "first question with two lines"
    assert old.updated_at >= old.created_at
    assert store.list_sessions(limit=1)[0].id == "old"
    assert store.get_session("missing") is None


def test_a_session_cannot_be_claimed_by_another_user(store: MemoryStore) -> None:
    store.ensure_session("s1", user_id="alice")
    store.ensure_session("s1", user_id="alice")
    store.ensure_session("s1")  # no user given: asserts nothing

    with pytest.raises(SessionOwnerError):
        store.ensure_session("s1", user_id="mallory")
    info = store.get_session("s1")
    assert info is not None
    assert info.user_id == "alice"


def test_tool_results_are_recorded(store: MemoryStore, db_path: Path) -> None:
    store.ensure_session("s1")
    call = ToolCall("c1", "shell", {"command": "ls"})

    store.record_tool_result("s1", call, ToolResult.fail("not allowed"))
    store.record_tool_result("s1", call, ToolResult.ok("a.txt"))

    with sqlite3.connect(db_path) as raw:
        rows = raw.execute(
            "SELECT call_id, tool_name, arguments, success, output, error FROM tool_results"
            " ORDER BY id"
        ).fetchall()
    assert rows == [
        ("c1", "shell", '{"command": "ls"}', 0, "", "not allowed"),
        ("c1", "shell", '{"command": "ls"}', 1, "a.txt", None),
    ]


def test_a_closed_store_refuses_use(db_path: Path) -> None:
    store = MemoryStore.open(db_path)
    store.close()
    store.close()

    with pytest.raises(MemoryStoreError, match="closed"):
        store.list_sessions()


def test_a_negative_limit_returns_nothing_rather_than_everything(store: MemoryStore) -> None:
    store.ensure_session("s1")
    store.append_message("s1", ChatMessage("user", "hi"))
    store.remember("k", "v")

    assert store.load_history("s1", limit=-1) == []
    assert store.recall("", limit=-1) == []
    assert store.list_sessions(limit=-1) == []


def test_threads_share_one_store_safely(store: MemoryStore) -> None:
    store.ensure_session("s1")

    def write(worker: int) -> list[int]:
        return [store.append_message("s1", ChatMessage("user", f"{worker}-{i}")) for i in range(25)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = [row_id for batch in pool.map(write, range(8)) for row_id in batch]

    assert len(set(ids)) == 200
    assert len(store.session_messages("s1")) == 200
