from __future__ import annotations

from pathlib import Path

import pytest

from zeroclaw.memory import MemoryStore, postgres_location, sqlite_location
from zeroclaw.messages import ChatMessage


async def test_remember_upserts_and_forget_deletes(store: MemoryStore) -> None:
    await store.remember("color", "red")
    await store.remember("color", "blue")

    memory = await store.get_memory("color", "default")
    assert memory is not None
    assert memory.value == "blue"
    assert memory.updated_at >= memory.created_at
    assert [m.value for m in await store.recall("color", limit=5)] == ["blue"]
    assert await store.recall("red", limit=5) == []  # the old value left the index too

    assert await store.forget("color") is True
    assert await store.forget("color") is False
    assert await store.get_memory("color", "default") is None
    assert await store.recall("blue", limit=5) == []


async def test_recall_ranks_the_best_match_first(store: MemoryStore) -> None:
    await store.remember("pet", "the user has a dog named Rex")
    await store.remember("favorite color", "the user's favorite color is green, a bright color")
    await store.remember("job", "works as a nurse")

    found = await store.recall("what is my favorite color?", limit=2)

    assert [m.key for m in found] == ["favorite color"]
    ranked = await store.recall("dog color", limit=5)
    assert {m.key for m in ranked} == {"pet", "favorite color"}
    assert ranked[0].key == "favorite color"  # two key+value hits beat one value hit


async def test_recall_matches_accents_and_case_loosely(store: MemoryStore) -> None:
    await store.remember("city", "Lives in Montréal")

    assert [m.key for m in await store.recall("MONTREAL", limit=5)] == ["city"]


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
async def test_fts_syntax_in_queries_never_raises(store: MemoryStore, query: str) -> None:
    await store.remember("animals", "cats and dogs AND birds")
    await store.ensure_session("s1")
    await store.add_summary("s1", "talked about cats", kind="session")

    memories = await store.recall(query, limit=5)
    summaries = await store.recall_summaries(query, user_id=None, limit=5)

    assert isinstance(memories, list)
    assert isinstance(summaries, list)
    assert await store.get_memory("animals", "default") is not None


async def test_hostile_query_still_finds_its_words(store: MemoryStore) -> None:
    await store.remember("animals", "cats and dogs")
    await store.remember("food", "pizza")

    assert [m.key for m in await store.recall('"dogs* AND (', limit=5)] == ["animals"]


async def test_empty_query_gives_most_recent_first(store: MemoryStore) -> None:
    for key in ["a", "b", "c"]:
        await store.remember(key, f"value {key}")
    await store.remember("a", "updated")

    assert [m.key for m in await store.recall("", limit=2)] == ["a", "c"]
    assert [m.key for m in await store.recall("  ?! ", limit=5)] == ["a", "c", "b"]


async def test_recall_respects_namespace_and_limit(store: MemoryStore) -> None:
    await store.remember("k", "shared word", namespace="default")
    await store.remember("k", "shared word", namespace="plugin:x")
    for index in range(5):
        await store.remember(f"n{index}", "shared", namespace="bulk")

    assert [m.namespace for m in await store.recall("shared", limit=5, namespace="plugin:x")] == [
        "plugin:x"
    ]
    assert len(await store.recall("shared", limit=3)) == 3
    assert len(await store.recall("shared", limit=50)) == 7


async def test_summaries_never_leak_across_users(store: MemoryStore) -> None:
    await store.ensure_session("alice-1", user_id="alice")
    await store.ensure_session("bob-1", user_id="bob")
    await store.ensure_session("anon")
    await store.add_summary("alice-1", "alice planned a trip to Lisbon", kind="session")
    await store.add_summary("bob-1", "bob planned a trip to Lisbon too", kind="session")
    await store.add_summary("anon", "someone asked about Lisbon", kind="session")

    alice = await store.recall_summaries("Lisbon trip", user_id="alice", limit=10)
    bob_recent = await store.recall_summaries("", user_id="bob", limit=10)
    nobody = await store.recall_summaries("Lisbon", user_id=None, limit=10)

    assert [s.content for s in alice] == ["alice planned a trip to Lisbon"]
    assert [s.user_id for s in bob_recent] == ["bob"]
    assert [s.session_id for s in nobody] == ["anon"]


async def test_compaction_summaries_belong_to_the_session_user(store: MemoryStore) -> None:
    await store.ensure_session("s1", user_id="carol")
    message_id = await store.append_message("s1", ChatMessage("user", "hi"))
    await store.compact("s1", "carol greeted us", upto_message_id=message_id)

    assert [s.kind for s in await store.recall_summaries("greeted", user_id="carol", limit=5)] == [
        "compaction"
    ]
    assert await store.recall_summaries("greeted", user_id="dave", limit=5) == []


_FACTS = [
    ("pet", "the user has a dog named Rex"),
    ("favorite color", "the user's favorite color is green, a bright color"),
    ("job", "works as a nurse at night"),
    ("city", "Lives in Montréal, near the river"),
    ("tea", "green tea, no sugar, in the morning"),
    ("allergy", "allergic to cats and to dust"),
    ("dust", "the user hates dusting"),
]
_SUMMARIES = [
    "planned a trip to Lisbon by night train",
    "asked about green tea and its caffeine",
    "talked about cats, dogs and a river walk",
]
_QUERIES = [
    "color",
    "dog color",
    "green",
    "MONTREAL river",
    "what does the user drink in the morning?",
    'cats" AND (dust*',
    "night",
    "nothing matches this",
    "",
]


Answer = tuple[str | None, frozenset[str], str | None, frozenset[str]]


async def _answers(store: MemoryStore) -> list[Answer]:
    """For each query: the best memory, every memory found, the best summary, every one."""
    await store.ensure_session("s", user_id="u")
    for key, value in _FACTS:
        await store.remember(key, value)
    for content in _SUMMARIES:
        await store.add_summary("s", content, kind="session")
    answers: list[Answer] = []
    for query in _QUERIES:
        keys = [m.key for m in await store.recall(query, limit=10)]
        found = [s.content for s in await store.recall_summaries(query, user_id="u", limit=10)]
        answers.append(
            (
                keys[0] if keys else None,
                frozenset(keys),
                found[0] if found else None,
                frozenset(found),
            )
        )
    return answers


async def test_both_backends_recall_the_same_for_the_same_query(
    db_path: Path, postgres_url: str
) -> None:
    async with MemoryStore.open(sqlite_location(db_path)) as sqlite:
        on_sqlite = await _answers(sqlite)
    async with MemoryStore.open(postgres_location(postgres_url)) as postgres:
        on_postgres = await _answers(postgres)

    # The same matches and the same best one; the order of the weaker matches after it
    # may differ (bm25 weighs rare words up, ts_rank does not: docs/deployment.md).
    assert on_sqlite == on_postgres
    assert on_sqlite[1][0] == "favorite color"
    assert on_sqlite[3][:2] == ("city", {"city"})
    assert on_sqlite[4][0] == "tea"
    assert on_sqlite[7] == (None, frozenset(), None, frozenset())
