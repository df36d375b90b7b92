"""What can go wrong with the memory database, each with a message naming the file.

SQLite reports trouble as a handful of generic exception classes carrying a result code.
`storage_error` is the one place that reads that code and turns it into the type a user
can act on: a damaged file (restore or recover it), a read-only file or directory (make it
writable), a full disk (free space), a lock held by another process (stop it). Every
operation of `MemoryStore` goes through it, so no raw `sqlite3` exception and no misleading
hint reaches a caller. None of the hints suggests deleting anything: what is stored stays.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from zeroclaw.errors import ZeroClawError

DOCTOR_HINT = "`zeroclaw doctor` checks the data dir and the memory database"
# SQLite's result codes for a file whose pages are damaged or that is no database at all.
DAMAGED_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class MemoryStoreError(ZeroClawError):
    """The memory database cannot be opened or used as asked."""


class UnreadableDatabaseError(MemoryStoreError):
    """The file is not a SQLite database, is corrupt, or belongs to another program."""


class CorruptDatabaseError(UnreadableDatabaseError):
    """The file is a SQLite database, but some of its pages are damaged."""


class ReadOnlyStorageError(MemoryStoreError):
    """The database file or its directory cannot be written (permissions, read-only mount)."""


class StorageFullError(MemoryStoreError):
    """The disk (or quota) holding the database has no room left for a write."""


class DatabaseBusyError(MemoryStoreError):
    """Another connection holds the database locked for longer than the busy timeout."""


class SchemaTooNewError(MemoryStoreError):
    """The file was written by a newer ZeroClaw whose schema this one does not know."""


class UnknownSessionError(MemoryStoreError):
    """A write names a session that was never created."""


class SessionOwnerError(MemoryStoreError):
    """A session is claimed by a user other than the one it belongs to."""


def recovery_hint(path: Path) -> str:
    """How to get the data of a damaged SQLite file back, without touching the file."""
    recovered = path.with_name(path.name + ".recovered")
    return (
        f"restore {path} from a backup, or salvage what is readable with the sqlite3 CLI: "
        f"`sqlite3 {path} .recover | sqlite3 {recovered}`, then, with ZeroClaw stopped, put "
        "the recovered file in place of the damaged one (keep that one aside)"
    )


def read_only_hint(path: Path) -> str:
    return (
        f"make {path.parent} and {path.name} writable by this user (check the permissions "
        "and that the filesystem is not mounted read-only), or set data_dir to a writable "
        "directory"
    )


def full_disk_hint(path: Path) -> str:
    return (
        f"free space on the disk holding {path.parent}, or set data_dir to another disk; "
        "what was stored before is kept"
    )


def storage_error(exc: sqlite3.Error, path: Path, doing: str) -> MemoryStoreError:
    """The typed error for `exc`, raised by SQLite while `doing` (e.g. "read") on `path`."""
    code = sqlite_code(exc)
    if code in DAMAGED_CODES:
        kind = "is damaged" if code == sqlite3.SQLITE_CORRUPT else "is not a SQLite database"
        return CorruptDatabaseError(
            f"cannot {doing} the memory database {path}: the file {kind} ({exc})",
            hint=f"`zeroclaw doctor` checks it; {recovery_hint(path)}",
        )
    if code == sqlite3.SQLITE_READONLY or (code == sqlite3.SQLITE_CANTOPEN and not _writable(path)):
        return ReadOnlyStorageError(
            f"cannot {doing} the memory database {path}: it is read-only ({exc})",
            hint=read_only_hint(path),
        )
    if code == sqlite3.SQLITE_FULL:
        return StorageFullError(
            f"cannot {doing} the memory database {path}: the disk is full ({exc})",
            hint=full_disk_hint(path),
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseBusyError(
            f"cannot {doing} the memory database {path}: it is locked ({exc})",
            hint="another process (a second zeroclaw on the same data_dir?) holds it: "
            "stop that process or give this one its own data_dir",
        )
    return MemoryStoreError(f"cannot {doing} the memory database {path}: {exc}", hint=DOCTOR_HINT)


# SQLite's messages, for errors raised without a result code (older Pythons, or errors
# the sqlite3 module raises itself).
_CODES_BY_MESSAGE = {
    "database disk image is malformed": sqlite3.SQLITE_CORRUPT,
    "file is not a database": sqlite3.SQLITE_NOTADB,
    "attempt to write a readonly database": sqlite3.SQLITE_READONLY,
    "database or disk is full": sqlite3.SQLITE_FULL,
    "database is locked": sqlite3.SQLITE_BUSY,
    "unable to open database file": sqlite3.SQLITE_CANTOPEN,
}


def sqlite_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code of `exc` (`sqlite3.SQLITE_FULL`, ...), if known."""
    # Extended codes (SQLITE_READONLY_DBMOVED, ...) carry the primary code in the low byte.
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    return _CODES_BY_MESSAGE.get(str(exc).strip().lower())


def _writable(path: Path) -> bool:
    """Whether SQLite could create its journal files beside `path` (access(2) also
    answers EROFS for a read-only mount, even to root)."""
    directory = path.parent
    return os.access(directory, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


class DatabaseUnavailableError(MemoryStoreError):
    """The database server cannot be reached, refuses the login, or dropped the connection:
    what was being written was rolled back, and can be sent again."""


class TurnSupersededError(MemoryStoreError):
    """A turn's session was taken over by another request while the turn ran (its session
    lock was lost with its connection): the turn's writes were not stored."""
