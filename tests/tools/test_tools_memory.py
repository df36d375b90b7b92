from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from zeroclaw.config.models import Config
from zeroclaw.memory import MemoryStore
from zeroclaw.tools import SecurityPolicy, ToolContext, default_registry


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[MemoryStore]:
    with MemoryStore.open(tmp_path / "memory.db") as store:
        yield store


async def test_the_model_can_store_and_recall_facts(
    memory: MemoryStore, workspace: Path, context: ToolContext, tmp_path: Path
) -> None:
    config = Config(data_dir=tmp_path)
    registry = default_registry(config, memory, SecurityPolicy(config.tools, workspace))

    stored = await registry.execute(
        "memory_store", {"key": "favorite color", "value": "green"}, context
    )
    await registry.execute("memory_store", {"key": "pet", "value": "a cat named Miso"}, context)
    recalled = await registry.execute("memory_recall", {"query": "what color?"}, context)
    recent = await registry.execute("memory_recall", {"query": "", "limit": 1}, context)
    nothing = await registry.execute("memory_recall", {"query": "bicycle"}, context)

    assert stored.output == "remembered 'favorite color'"
    assert recalled.output == "favorite color: green"
    assert recent.output == "pet: a cat named Miso"
    assert nothing.output == "no matching memories"


async def test_model_memories_live_in_their_own_namespace(
    memory: MemoryStore, workspace: Path, context: ToolContext, tmp_path: Path
) -> None:
    config = Config(data_dir=tmp_path)
    registry = default_registry(config, memory, SecurityPolicy(config.tools, workspace))
    await memory.remember("token", "plugin secret value", namespace="plugin:weather")

    await registry.execute("memory_store", {"key": "token", "value": "model value"}, context)
    recalled = await registry.execute("memory_recall", {"query": "token value"}, context)

    assert recalled.output == "token: model value"
    plugin_memory = await memory.get_memory("token", "plugin:weather")
    assert plugin_memory is not None
    assert plugin_memory.value == "plugin secret value"


def test_the_default_registry_has_every_builtin_tool(
    memory: MemoryStore, workspace: Path, tmp_path: Path
) -> None:
    config = Config(data_dir=tmp_path)
    registry = default_registry(config, memory, SecurityPolicy(config.tools, workspace))

    assert registry.names() == [
        "file_list",
        "file_read",
        "file_write",
        "http_request",
        "memory_recall",
        "memory_store",
        "shell",
    ]
    assert {registry.owner_of(name) for name in registry.names()} == {"native"}
    for spec in registry.specs():
        assert spec.description
        assert spec.parameters["type"] == "object"
        assert spec.parameters["additionalProperties"] is False
