"""`memory_store` and `memory_recall`: facts the model keeps across sessions.

Both work in one namespace of the key-value store, so the model never reads or
overwrites what plugins and hooks keep in theirs.
"""

from __future__ import annotations

from typing import Any

from zeroclaw.memory import MemoryStore
from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.tools.base import ToolContext

MODEL_NAMESPACE = "default"
MAX_RECALL = 100


class MemoryStoreTool:
    spec = ToolSpec(
        name="memory_store",
        description=(
            "Remember a fact for later conversations under a short key, replacing what "
            "was stored under that key before."
        ),
        parameters={
            "type": "object",
            "properties": {
                "key": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "description": 'A short name for the fact, e.g. "favorite color".',
                },
                "value": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 10000,
                    "description": "The fact itself.",
                },
            },
            "required": ["key", "value"],
            "additionalProperties": False,
        },
    )
    mutating = True

    def __init__(self, memory: MemoryStore) -> None:
        self._memory = memory

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        key = arguments["key"].strip()
        if not key:
            return ToolResult.fail("the key is blank")
        await self._memory.remember(key, arguments["value"], namespace=MODEL_NAMESPACE)
        return ToolResult.ok(f"remembered {key!r}")


class MemoryRecallTool:
    spec = ToolSpec(
        name="memory_recall",
        description=(
            "Search remembered facts by words, best matches first. An empty query "
            "returns the most recently remembered facts."
        ),
        parameters={
            "type": "object",
            "properties": {
                "query": {
                    "type": "string",
                    "maxLength": 1000,
                    "description": "Words to look for in keys and values.",
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_RECALL,
                    "description": "Most facts to return.",
                },
            },
            "required": ["query"],
            "additionalProperties": False,
        },
    )
    mutating = False

    def __init__(self, memory: MemoryStore, default_limit: int) -> None:
        self._memory = memory
        self._default_limit = default_limit

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        limit = int(arguments.get("limit", self._default_limit))
        found = await self._memory.recall(
            arguments["query"], limit=limit, namespace=MODEL_NAMESPACE
        )
        if not found:
            return ToolResult.ok("no matching memories")
        return ToolResult.ok("\n".join(f"{m.key}: {m.value}" for m in found))
