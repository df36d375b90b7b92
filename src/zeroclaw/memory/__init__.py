"""Memory: sessions, messages, tool results, summaries and key-value recall in SQLite,
the check that the data dir can be written, and SQLite's integrity check for the doctor."""

from zeroclaw.memory.data_dir import require_writable_dir
from zeroclaw.memory.errors import (
    CorruptDatabaseError,
    DatabaseBusyError,
    MemoryStoreError,
    ReadOnlyStorageError,
    SchemaTooNewError,
    SessionOwnerError,
    StorageFullError,
    UnknownSessionError,
    UnreadableDatabaseError,
)
from zeroclaw.memory.integrity import IntegrityReport, check_integrity
from zeroclaw.memory.records import Memory, SessionInfo, StoredMessage, Summary
from zeroclaw.memory.schema import SCHEMA_VERSION
from zeroclaw.memory.store import DEFAULT_NAMESPACE, MemoryStore

__all__ = [
    "DEFAULT_NAMESPACE",
    "SCHEMA_VERSION",
    "CorruptDatabaseError",
    "DatabaseBusyError",
    "IntegrityReport",
    "Memory",
    "MemoryStore",
    "MemoryStoreError",
    "ReadOnlyStorageError",
    "SchemaTooNewError",
    "SessionInfo",
    "SessionOwnerError",
    "StorageFullError",
    "StoredMessage",
    "Summary",
    "UnknownSessionError",
    "UnreadableDatabaseError",
    "check_integrity",
    "require_writable_dir",
]
