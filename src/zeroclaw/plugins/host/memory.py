"""`zeroclaw:host/memory`: the agent's long-term memory, read with `memory.read` and
written with `memory.write`.

`recall` searches every namespace (memories are shared with the agent and with every
plugin that may read them); `store` writes in the plugin's own namespace
`plugin:<name>`, so a plugin replaces only what it stored itself and its entries say
where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from zeroclaw.memory.errors import MemoryStoreError
from zeroclaw.plugins.contract.capabilities import CapabilityKind
from zeroclaw.plugins.host.context import HostServices, PluginHostContext, host_function
from zeroclaw.plugins.host.wit_values import HostCallError, wit_record

if TYPE_CHECKING:
    from wasmtime.component import LinkerInstance

    from zeroclaw.memory import MemoryStore
    from zeroclaw.memory.records import Memory

# The same bounds as the model's memory_store tool.
MAX_KEY_CHARS = 200
MAX_CONTENT_CHARS = 10_000
MAX_QUERY_CHARS = 1000


def namespace_of(plugin: str) -> str:
    return f"plugin:{plugin}"


@dataclass(frozen=True)
class MemoryEntry:
    """The WIT `memory-entry`."""

    key: str
    content: str
    session_id: str | None
    created_at: str

    def wit_value(self) -> Any:
        return wit_record(
            {
                "key": self.key,
                "content": self.content,
                "session-id": self.session_id,
                "created-at": self.created_at,
            }
        )


class PluginMemory:
    """The memory interface of one plugin."""

    def __init__(self, context: PluginHostContext, services: HostServices) -> None:
        self._context = context
        self._memory = services.memory
        self._recall_limit = services.memory_recall_limit

    def recall(self, query: str, limit: int) -> list[MemoryEntry]:
        memory = self._store(CapabilityKind.MEMORY_READ)
        if limit < 1:
            raise HostCallError("invalid", "limit must be at least 1")
        if len(query) > MAX_QUERY_CHARS:
            raise HostCallError("invalid", f"the query is longer than {MAX_QUERY_CHARS} characters")
        try:
            # A host call runs on the plugin's worker thread: the store's blocking bridge.
            found = memory.blocking(memory.recall(query, limit=min(limit, self._recall_limit)))
        except MemoryStoreError as exc:
            raise HostCallError("storage", exc.message) from exc
        return [_entry(m) for m in found]

    def store(self, key: str, content: str) -> None:
        memory = self._store(CapabilityKind.MEMORY_WRITE)
        key = key.strip()
        if not key:
            raise HostCallError("invalid", "the key is empty")
        if not content.strip():
            raise HostCallError("invalid", "the content is empty")
        if len(key) > MAX_KEY_CHARS:
            raise HostCallError("invalid", f"the key is longer than {MAX_KEY_CHARS} characters")
        if len(content) > MAX_CONTENT_CHARS:
            raise HostCallError(
                "invalid", f"the content is longer than {MAX_CONTENT_CHARS} characters"
            )
        try:
            namespace = namespace_of(self._context.plugin)
            memory.blocking(memory.remember(key, content, namespace=namespace))
        except MemoryStoreError as exc:
            raise HostCallError("storage", exc.message) from exc

    def _store(self, needs: CapabilityKind) -> MemoryStore:
        if not self._context.grants.has(needs):
            raise HostCallError(
                "denied",
                f'plugin {self._context.plugin!r} was not granted the "{needs.value}" capability',
            )
        if self._memory is None:
            raise HostCallError("storage", "the host runs without a memory store")
        return self._memory


def _entry(memory: Memory) -> MemoryEntry:
    # `updated_at`: a key stored again holds the new content, stored at that time.
    stored = memory.updated_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return MemoryEntry(memory.key, memory.value, None, stored)


def link(instance: LinkerInstance, context: PluginHostContext, services: HostServices) -> None:
    memory = PluginMemory(context, services)

    def recall(query: str, limit: int) -> list[Any]:
        return [entry.wit_value() for entry in memory.recall(query, limit)]

    def failed() -> Any:
        return HostCallError("storage", "the host's memory failed (see the host log)").wit_value()

    instance.add_func("recall", host_function(context, "memory.recall", recall, failed))
    instance.add_func("store", host_function(context, "memory.store", memory.store, failed))
