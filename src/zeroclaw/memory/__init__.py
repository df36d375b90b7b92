"""Memory: sessions, messages, tool results, summaries and key-value recall in SQLite."""

from zeroclaw.memory.errors import (
    MemoryStoreError,
    SchemaTooNewError,
    SessionOwnerError,
    UnknownSessionError,
    UnreadableDatabaseError,
)
from zeroclaw.memory.records import Memory, SessionInfo, StoredMessage, Summary
from zeroclaw.memory.schema import SCHEMA_VERSION
from zeroclaw.memory.store import DEFAULT_NAMESPACE, MemoryStore

__all__ = [
    "DEFAULT_NAMESPACE",
    "SCHEMA_VERSION",
    "Memory",
    "MemoryStore",
    "MemoryStoreError",
    "SchemaTooNewError",
    "SessionInfo",
    "SessionOwnerError",
    "StoredMessage",
    "Summary",
    "UnknownSessionError",
    "UnreadableDatabaseError",
]
