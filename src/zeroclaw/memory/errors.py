"""What can go wrong with the memory database, each with a message naming the file."""

from __future__ import annotations

from zeroclaw.errors import ZeroClawError


class MemoryStoreError(ZeroClawError):
    """The memory database cannot be opened or used as asked."""


class UnreadableDatabaseError(MemoryStoreError):
    """The file is not a SQLite database, is corrupt, or belongs to another program."""


class SchemaTooNewError(MemoryStoreError):
    """The file was written by a newer ZeroClaw whose schema this one does not know."""


class UnknownSessionError(MemoryStoreError):
    """A write names a session that was never created."""


class SessionOwnerError(MemoryStoreError):
    """A session is claimed by a user other than the one it belongs to."""
