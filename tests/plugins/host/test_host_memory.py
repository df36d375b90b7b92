"""zeroclaw:host/memory: recall needs memory.read, store needs memory.write; a plugin's
entries go to its own namespace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from host_helpers import make_context

from zeroclaw.memory import MemoryStore
from zeroclaw.plugins.host.context import HostServices
from zeroclaw.plugins.host.memory import MAX_CONTENT_CHARS, PluginMemory
from zeroclaw.plugins.host.wit_values import HostCallError


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[MemoryStore]:
    with MemoryStore.open(tmp_path / "zeroclaw.db") as store:
        yield store


def plugin_memory(
    memory: MemoryStore | None, *capabilities: str, recall_limit: int = 5
) -> PluginMemory:
    services = HostServices(Path("/nonexistent"), memory, memory_recall_limit=recall_limit)
    return PluginMemory(make_context("notes", capabilities), services)


def test_store_writes_to_the_plugins_namespace(memory: MemoryStore) -> None:
    plugin_memory(memory, "memory.write").store("favourite colour", "blue")

    stored = memory.blocking(memory.get_memory("favourite colour", namespace="plugin:notes"))
    assert stored is not None
    assert stored.value == "blue"
    assert (
        memory.blocking(memory.get_memory("favourite colour")) is None
    )  # not the model's namespace


def test_recall_finds_memories_of_the_agent_and_of_plugins(memory: MemoryStore) -> None:
    memory.blocking(memory.remember("user city", "the user lives in Lyon"))
    plugin_memory(memory, "memory.write").store("weather city", "Lyon forecast source")

    found = plugin_memory(memory, "memory.read").recall("Lyon", 10)

    assert {entry.key for entry in found} == {"user city", "weather city"}
    entry = next(e for e in found if e.key == "user city")
    assert entry.content == "the user lives in Lyon"
    assert entry.session_id is None
    assert entry.created_at.endswith("Z")
    assert datetime.fromisoformat(entry.created_at.replace("Z", "+00:00")).tzinfo is not None


def test_recall_is_capped_at_the_configured_limit(memory: MemoryStore) -> None:
    for n in range(10):
        memory.blocking(memory.remember(f"fact {n}", f"apple fact number {n}"))

    assert len(plugin_memory(memory, "memory.read", recall_limit=3).recall("apple", 100)) == 3
    assert len(plugin_memory(memory, "memory.read", recall_limit=3).recall("apple", 2)) == 2


def test_read_only_plugin_cannot_store_and_write_only_cannot_recall(memory: MemoryStore) -> None:
    with pytest.raises(HostCallError) as denied_store:
        plugin_memory(memory, "memory.read").store("k", "v")
    with pytest.raises(HostCallError) as denied_recall:
        plugin_memory(memory, "memory.write").recall("k", 1)

    assert denied_store.value.case == "denied"
    assert '"memory.write"' in str(denied_store.value.payload)
    assert denied_recall.value.case == "denied"
    assert '"memory.read"' in str(denied_recall.value.payload)
    assert memory.blocking(memory.recall("", limit=10)) == []


@pytest.mark.parametrize(
    ("key", "content", "why"),
    [
        ("", "v", "key is empty"),
        ("  ", "v", "key is empty"),
        ("k", "", "content is empty"),
        ("k", "x" * (MAX_CONTENT_CHARS + 1), "longer than"),
    ],
)
def test_store_refuses_bad_arguments(memory: MemoryStore, key: str, content: str, why: str) -> None:
    with pytest.raises(HostCallError) as invalid:
        plugin_memory(memory, "memory.write").store(key, content)

    assert invalid.value.case == "invalid"
    assert why in str(invalid.value.payload)


def test_recall_with_limit_zero_is_invalid(memory: MemoryStore) -> None:
    with pytest.raises(HostCallError, match="invalid"):
        plugin_memory(memory, "memory.read").recall("x", 0)


def test_without_a_memory_store_it_is_a_storage_error() -> None:
    with pytest.raises(HostCallError) as failed:
        plugin_memory(None, "memory.read").recall("x", 1)
    assert failed.value.case == "storage"


def test_a_closed_memory_store_is_a_storage_error(memory: MemoryStore) -> None:
    memory.close()
    with pytest.raises(HostCallError) as failed:
        plugin_memory(memory, "memory.write").store("k", "v")
    assert failed.value.case == "storage"
