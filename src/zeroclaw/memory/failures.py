"""Turning what a database driver raises into the typed errors of `memory.errors`.

SQLAlchemy wraps the driver's exception (`DBAPIError.orig`): on SQLite that is the
`sqlite3` error, whose result code `storage_error` reads (damaged, read-only, full,
locked); on PostgreSQL it carries a SQLSTATE, read here by its class: a lost or refused
connection (08, 57P), a refused login (28) or a missing database (3D000) is
`DatabaseUnavailableError`; a full disk (53100) `StorageFullError`; a read-only server (a
hot standby, 25006) `ReadOnlyStorageError`; a lock or serialization conflict (40001,
40P01, 55P03) `DatabaseBusyError`. A connection that fails before the driver answers
(refused, unreachable, timed out) is an `OSError` or a timeout: unavailable too.

`transient` says which of them are worth one more try on a fresh connection: a lost or
cut connection, a server shutting down or starting (57P01-57P03), a serialization
conflict or deadlock; not a refused login, a missing database, a full disk or a damaged
file, which another try would only meet again.

Every message names the database as `DatabaseLocation.display` (password masked), and no
hint suggests deleting anything.
"""

from __future__ import annotations

import sqlite3
from typing import Final

from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError

from zeroclaw.memory.errors import (
    DOCTOR_HINT,
    DatabaseBusyError,
    DatabaseUnavailableError,
    MemoryStoreError,
    ReadOnlyStorageError,
    StorageFullError,
    storage_error,
)
from zeroclaw.memory.location import DatabaseLocation

# What a storage operation may raise that `typed_error` turns into a typed one.
DRIVER_ERRORS: Final = (SQLAlchemyError, sqlite3.Error, OSError, TimeoutError)
_BUSY: Final = frozenset({"40001", "40P01", "55P03"})
_UNAVAILABLE_CLASSES: Final = ("08", "28", "57P")
# A database an operator closed to connections (ALTER DATABASE ... ALLOW_CONNECTIONS
# false) answers a login with this, as SQLSTATE 55000, a class shared with other states.
_NOT_ACCEPTING: Final = "not currently accepting connections"


def typed_error(exc: BaseException, location: DatabaseLocation, doing: str) -> MemoryStoreError:
    """The typed error for `exc`, raised while `doing` (e.g. "read") on `location`."""
    if isinstance(exc, MemoryStoreError):
        return exc
    original = driver_cause(exc)
    if isinstance(original, sqlite3.Error) and location.path is not None:
        return storage_error(original, location.path, doing)
    code = sqlstate(original)
    where = f"cannot {doing} the memory database {location.display}"
    if code is not None:
        return _postgres_error(code, original, location, where)
    if isinstance(original, OSError | TimeoutError | DisconnectionError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return _unavailable(f"{where}: {_reason(original)}", location)
    return MemoryStoreError(f"{where}: {_reason(original)}", hint=DOCTOR_HINT)


def transient(exc: BaseException) -> bool:
    """Whether `exc`, raised by a PostgreSQL transaction, may pass on a fresh connection."""
    original = driver_cause(exc)
    if isinstance(original, sqlite3.Error) or isinstance(exc, MemoryStoreError):
        return False
    code = sqlstate(original)
    if code is not None:
        return code.startswith(("08", "57P")) or code in _BUSY or _closed(code, original)
    return isinstance(original, OSError | TimeoutError | DisconnectionError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def driver_cause(exc: BaseException) -> BaseException:
    """The driver's own exception under SQLAlchemy's wrapper: the typed error's cause."""
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, BaseException):
        return exc.orig
    return exc


def sqlstate(error: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of `error` (asyncpg's, through SQLAlchemy's adapter), if any."""
    for candidate in (error, error.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str) and len(code) == 5:
            return code
    return None


def _postgres_error(
    code: str, error: BaseException, location: DatabaseLocation, where: str
) -> MemoryStoreError:
    reason = _reason(error)
    if code.startswith(_UNAVAILABLE_CLASSES) or code == "3D000" or _closed(code, error):
        return _unavailable(f"{where}: {reason}", location)
    if code == "53100":
        return StorageFullError(
            f"{where}: the database server's disk is full ({reason})",
            hint="free space on the PostgreSQL server; what was stored before is kept",
        )
    if code == "25006":
        return ReadOnlyStorageError(
            f"{where}: the server is read-only ({reason})",
            hint="point memory.url at the primary server, not a read-only standby",
        )
    if code in _BUSY:
        return DatabaseBusyError(
            f"{where}: another transaction holds what this one needs ({reason})",
            hint="nothing was written; send the request again",
        )
    if code == "42501":
        return MemoryStoreError(
            f"{where}: permission denied ({reason})",
            hint="grant the user of memory.url the rights on its database "
            "(it creates and alters ZeroClaw's tables when it migrates)",
        )
    return MemoryStoreError(f"{where}: {reason} (SQLSTATE {code})", hint=DOCTOR_HINT)


def _closed(code: str, error: BaseException) -> bool:
    return code == "55000" and _NOT_ACCEPTING in str(error)


def _unavailable(message: str, location: DatabaseLocation) -> DatabaseUnavailableError:
    return DatabaseUnavailableError(
        message,
        hint=f"check that PostgreSQL is running and reachable at {location.display}, and the "
        "user, password and database of memory.url (or ZEROCLAW_DATABASE_URL); what was "
        "being written was rolled back: send it again",
    )


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
