"""Where the memory lives: a SQLite file (the embedded default) or a PostgreSQL database.

A `DatabaseLocation` is decided once, from `memory.backend` with `memory.path` or
`memory.url` (or `ZEROCLAW_DATABASE_URL`), and names the SQLAlchemy URL of the async
driver for it: aiosqlite for a file, asyncpg for PostgreSQL. Every message and hint shows
`display`, the URL with its password masked, so a password never reaches a log or a
terminal. A PostgreSQL URL may be written the usual ways (`postgres://`, `postgresql://`,
`postgresql+asyncpg://`); anything else is refused here, naming the key to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from zeroclaw.memory.errors import MemoryStoreError

Backend = Literal["sqlite", "postgres"]
# SQLite's `synchronous` in WAL mode (memory.sqlite_synchronous): "normal" syncs the WAL at
# checkpoints, "full" at every commit too.
SqliteSync = Literal["normal", "full"]
DATABASE_URL_ENV = "ZEROCLAW_DATABASE_URL"
_POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "postgresql+asyncpg"})


class InvalidDatabaseUrlError(MemoryStoreError):
    """`memory.url` is not a PostgreSQL URL this runtime can use."""


@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    backend: Backend
    url: URL
    # The SQLite file; None for PostgreSQL.
    path: Path | None = None
    sqlite_synchronous: SqliteSync = "normal"

    @property
    def display(self) -> str:
        """The location for people: the file, or the URL with its password masked."""
        if self.path is not None:
            return str(self.path)
        return self.url.set(drivername="postgresql").render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def __str__(self) -> str:
        return self.display


def masked_url(url: str) -> str:
    """`url` with its password masked (as it is, when it is not a URL at all)."""
    try:
        return make_url(url.strip()).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a URL)"


def url_password(url: str) -> bool:
    """Whether `url` holds a password."""
    try:
        return bool(make_url(url.strip()).password)
    except ArgumentError:
        return False


def sqlite_location(path: Path, *, synchronous: SqliteSync = "normal") -> DatabaseLocation:
    path = Path(path).expanduser()
    url = URL.create("sqlite+aiosqlite", database=str(path))
    return DatabaseLocation("sqlite", url, path, synchronous)


def postgres_location(url: str, *, key: str = "memory.url") -> DatabaseLocation:
    """The PostgreSQL database at `url` (read from the config `key`, named in errors)."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise InvalidDatabaseUrlError(
            f"{key} is not a database URL",
            hint="write it as postgresql://USER:PASSWORD@HOST:5432/DATABASE",
        ) from None
    if parsed.drivername not in _POSTGRES_SCHEMES:
        raise InvalidDatabaseUrlError(
            f'{key} names the {parsed.drivername!r} scheme; memory.backend = "postgres" '
            "needs a PostgreSQL URL",
            hint="write it as postgresql://USER:PASSWORD@HOST:5432/DATABASE",
        )
    if not parsed.database:
        raise InvalidDatabaseUrlError(
            f"{key} names no database ({parsed.render_as_string(hide_password=True)})",
            hint="end the URL with /DATABASE, e.g. postgresql://zeroclaw@db:5432/zeroclaw",
        )
    return DatabaseLocation("postgres", parsed.set(drivername="postgresql+asyncpg"))


def location_of(url: str) -> DatabaseLocation:
    """A location given on a command line: a PostgreSQL URL, `sqlite:///PATH`, or a path."""
    text = url.strip()
    if text.startswith("sqlite"):
        try:
            parsed = make_url(text)
        except ArgumentError:
            parsed = None
        if parsed is None or not parsed.database:
            raise InvalidDatabaseUrlError(
                f"{url!r} names no SQLite file", hint="write it as sqlite:///PATH/TO/zeroclaw.db"
            )
        return sqlite_location(Path(parsed.database))
    if "://" in text:
        return postgres_location(text, key="the database URL")
    return sqlite_location(Path(text))
