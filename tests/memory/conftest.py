"""Every memory test that takes `store` or `location` runs on both backends: a SQLite
file, and a database of its own on a real PostgreSQL server (skipped, with the reason,
when none can start). Tests of what only a SQLite file has (its bytes, header, pages,
journal, directory permissions) take `db_path` or `sqlite_store` instead, and tests of what
only a server has (a connection it can cut) `postgres_store`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from zeroclaw.memory import DatabaseLocation, MemoryStore, postgres_location, sqlite_location

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "zeroclaw.db"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def location(backend: str, db_path: Path, request: pytest.FixtureRequest) -> DatabaseLocation:
    if backend == "sqlite":
        return sqlite_location(db_path)
    return postgres_location(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def store(location: DatabaseLocation) -> AsyncIterator[MemoryStore]:
    async with MemoryStore.open(location) as opened:
        yield opened


@pytest.fixture
async def sqlite_store(db_path: Path) -> AsyncIterator[MemoryStore]:
    async with MemoryStore.open(db_path) as opened:
        yield opened


@pytest.fixture
async def postgres_store(postgres_url: str) -> AsyncIterator[MemoryStore]:
    async with MemoryStore.open(postgres_location(postgres_url)) as opened:
        yield opened
