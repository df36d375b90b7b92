from __future__ import annotations

import pytest

from zeroclaw.memory import MemoryStore
from zeroclaw.messages import ChatMessage


def test_remember_upserts_and_forget_deletes(store: MemoryStore) -> None:
    store.remember("color", "red")
    store.remember("color", "blue")

    memory = store.get_memory("color", "default")
    assert memory is not None
    assert memory.value == "blue"
    assert memory.updated_at >= memory.created_at
    assert [m.value for m in store.recall("color", limit=5)] == ["blue"]
    assert store.recall("red", limit=5) == []  # the old value left the index too

    assert store.forget("color") is True
    assert store.forget("color") is False
    assert store.get_memory("color", "default") is None
    assert store.recall("blue", limit=5) == []


def test_recall_ranks_the_best_match_first(store: MemoryStore) -> None:
    store.remember("pet", "the user has a dog named Rex")
    store.remember("favorite color", "the user's favorite color is green, a bright color")
    store.remember("job", "works as a nurse")

    found = store.recall("what is my favorite color?", limit=2)

    assert [m.key for m in found] == ["favorite color"]
    ranked = store.recall("dog color", limit=5)
    assert {m.key for m in ranked} == {"pet", "favorite color"}
    assert ranked[0].key == "favorite color"  # two key+value hits beat one value hit


def test_recall_matches_accents_and_case_loosely(store: MemoryStore) -> None:
    store.remember("city", "Lives in Montréal")

    assert [m.key for m in store.recall("MONTREAL", limit=5)] == ["city"]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        'say "hello',
        "AND",
        "cats AND",
        "OR NOT dogs",
        "*",
        "cat*",
        "(dogs",
        "NEAR(a b",
        "col:value",
        "-minus +plus ^caret",
        "'; DROP TABLE memories; --",
        "\x00\n\t",
    ],
)
def test_fts_syntax_in_queries_never_raises(store: MemoryStore, query: str) -> None:
    store.remember("animals", "cats and dogs AND birds")
    store.ensure_session("s1")
    store.add_summary("s1", "talked about cats", kind="session")

    memories = store.recall(query, limit=5)
    summaries = store.recall_summaries(query, user_id=None, limit=5)

    assert isinstance(memories, list)
    assert isinstance(summaries, list)
    assert store.get_memory("animals", "default") is not None


def test_hostile_query_still_finds_its_words(store: MemoryStore) -> None:
    store.remember("animals", "cats and dogs")
    store.remember("food", "pizza")

    assert [m.key for m in store.recall('"dogs* AND (', limit=5)] == ["animals"]


def test_empty_query_gives_most_recent_first(store: MemoryStore) -> None:
    for key in ["a", "b", "c"]:
        store.remember(key, f"value {key}")
    store.remember("a", "updated")

    assert [m.key for m in store.recall("", limit=2)] == ["a", "c"]
    assert [m.key for m in store.recall("  ?! ", limit=5)] == ["a", "c", "b"]


def test_recall_respects_namespace_and_limit(store: MemoryStore) -> None:
    store.remember("k", "shared word", namespace="default")
    store.remember("k", "shared word", namespace="plugin:x")
    for index in range(5):
        store.remember(f"n{index}", "shared", namespace="bulk")

    assert [m.namespace for m in store.recall("shared", limit=5, namespace="plugin:x")] == [
        "plugin:x"
    ]
    assert len(store.recall("shared", limit=3)) == 3
    assert len(store.recall("shared", limit=50)) == 7


def test_summaries_never_leak_across_users(store: MemoryStore) -> None:
    store.ensure_session("alice-1", user_id="alice")
    store.ensure_session("bob-1", user_id="bob")
    store.ensure_session("anon")
    store.add_summary("alice-1", "alice planned a trip to Lisbon", kind="session")
    store.add_summary("bob-1", "bob planned a trip to Lisbon too", kind="session")
    store.add_summary("anon", "someone asked about Lisbon", kind="session")

    alice = store.recall_summaries("Lisbon trip", user_id="alice", limit=10)
    bob_recent = store.recall_summaries("", user_id="bob", limit=10)
    nobody = store.recall_summaries("Lisbon", user_id=None, limit=10)

    assert [s.content for s in alice] == ["alice planned a trip to Lisbon"]
    assert [s.user_id for s in bob_recent] == ["bob"]
    assert [s.session_id for s in nobody] == ["anon"]


def test_compaction_summaries_belong_to_the_session_user(store: MemoryStore) -> None:
    store.ensure_session("s1", user_id="carol")
    message_id = store.append_message("s1", ChatMessage("user", "hi"))
    store.compact("s1", "carol greeted us", upto_message_id=message_id)

    assert [s.kind for s in store.recall_summaries("greeted", user_id="carol", limit=5)] == [
        "compaction"
    ]
    assert store.recall_summaries("greeted", user_id="dave", limit=5) == []
