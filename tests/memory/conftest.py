from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from zeroclaw.memory import MemoryStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "zeroclaw.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[MemoryStore]:
    with MemoryStore.open(db_path) as opened:
        yield opened
