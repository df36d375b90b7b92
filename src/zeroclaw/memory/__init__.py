"""Memory: sessions, messages, tool results, summaries and key-value recall, in SQLite
(embedded, the default) or PostgreSQL, behind one async store; the check that the data
dir can be written, and SQLite's integrity check for the doctor."""

from zeroclaw.memory.data_dir import require_writable_dir
from zeroclaw.memory.errors import (
    CorruptDatabaseError,
    DatabaseBusyError,
    DatabaseUnavailableError,
    MemoryStoreError,
    ReadOnlyStorageError,
    SchemaTooNewError,
    SessionOwnerError,
    StorageFullError,
    TurnSupersededError,
    UnknownSessionError,
    UnreadableDatabaseError,
)
from zeroclaw.memory.integrity import IntegrityReport, check_integrity
from zeroclaw.memory.location import (
    DATABASE_URL_ENV,
    Backend,
    DatabaseLocation,
    InvalidDatabaseUrlError,
    location_of,
    postgres_location,
    sqlite_location,
)
from zeroclaw.memory.records import (
    HookStepRecord,
    Memory,
    OpenedTurn,
    SessionInfo,
    StoredMessage,
    StoredToolCall,
    Summary,
    ToolProvenance,
    TurnContext,
    TurnWrites,
    stored_calls_by_message,
)
from zeroclaw.memory.schema import SCHEMA_VERSION
from zeroclaw.memory.store import DEFAULT_NAMESPACE, UNSETTLED_TURN, MemoryStore

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_NAMESPACE",
    "SCHEMA_VERSION",
    "UNSETTLED_TURN",
    "Backend",
    "CorruptDatabaseError",
    "DatabaseBusyError",
    "DatabaseLocation",
    "DatabaseUnavailableError",
    "HookStepRecord",
    "IntegrityReport",
    "InvalidDatabaseUrlError",
    "Memory",
    "MemoryStore",
    "MemoryStoreError",
    "OpenedTurn",
    "ReadOnlyStorageError",
    "SchemaTooNewError",
    "SessionInfo",
    "SessionOwnerError",
    "StorageFullError",
    "StoredMessage",
    "StoredToolCall",
    "Summary",
    "ToolProvenance",
    "TurnContext",
    "TurnSupersededError",
    "TurnWrites",
    "UnknownSessionError",
    "UnreadableDatabaseError",
    "check_integrity",
    "location_of",
    "postgres_location",
    "require_writable_dir",
    "sqlite_location",
    "stored_calls_by_message",
]
