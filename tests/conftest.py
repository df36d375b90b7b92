"""Every test runs with its own HOME and XDG dirs and without provider keys or
ZEROCLAW_CONFIG from the outside, so the user's real config, data and keys are never
read or written. (A .env file belongs to the config it was loaded for, `Config.env`:
nothing of it outlives that config.)

Also the storage faults several suites need (storage_faults.py): a read-only path and
a small disk to fill; and a real PostgreSQL server (postgres_server.py), started once
when a test first asks for a database on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from postgres_server import PostgresServer, PostgresUnavailable, start_postgres
from storage_faults import MakeReadOnly, SmallDisk, mount_small_disk, read_only_maker

OUTSIDE_ENV = ("ZEROCLAW_CONFIG", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY")
# Session fixtures that build the Python and JavaScript examples (componentize-py/-js:
# 10-50 s each from scratch, as in CI, twice that on a busy machine), after which their
# first user compiles 12-18 MB guests. That setup counts in the first test's time, and
# could pass the suite's 120 s (pyproject.toml), a bound meant for a hung test, not a
# build: tests that use them get the bound the other build-waiting tests have.
GUEST_BUILDS = frozenset({"built", "built_tools", "built_provider"})
GUEST_BUILD_TIMEOUT_S = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if GUEST_BUILDS.intersection(fixtures) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(GUEST_BUILD_TIMEOUT_S))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in OUTSIDE_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def make_read_only(request: pytest.FixtureRequest) -> MakeReadOnly:
    """Make a directory or file read-only for this test (undone at its end), or skip."""
    return read_only_maker(request.addfinalizer)


@pytest.fixture
def small_disk(tmp_path: Path, request: pytest.FixtureRequest) -> SmallDisk:
    """A directory on a 1 MiB tmpfs of its own (unmounted at the end), or skip."""
    return mount_small_disk(tmp_path / "small-disk", request.addfinalizer)


DAMAGED_SESSION = "damaged"
PAGE_SIZE = 4096  # SQLite's default page size, which the memory store keeps


@pytest.fixture
def damaged_database() -> Callable[[Path], str]:
    """Writes a damaged memory database at a path; see `write_damaged_database`."""
    return write_damaged_database


def write_damaged_database(path: Path) -> str:
    """A real memory database whose middle page is garbage; returns the session on it.

    One session of 150 messages of ~1.8 KB (two to a page, ~100 pages), fewer than a
    turn's default history (`agent.history_messages` = 200), so reading the session's
    history and running a turn on it both reach the damaged page. The file opens cleanly:
    its first page (the schema) is intact, as with real damage found mid-life."""
    from zeroclaw.memory import MemoryStore
    from zeroclaw.messages import ChatMessage

    with MemoryStore.open(path) as memory:
        memory.blocking(memory.ensure_session(DAMAGED_SESSION, channel="gateway"))
        for index in range(150):
            role = "user" if index % 2 == 0 else "assistant"
            message = ChatMessage(role, f"message {index} " + "lorem ipsum " * 150)
            memory.blocking(memory.append_message(DAMAGED_SESSION, message))
    # Closing the last connection checkpoints the WAL: every page is in the file now.
    pages = path.stat().st_size // PAGE_SIZE
    assert pages > 50, f"too few pages ({pages}) for a damaged page in the middle"
    with path.open("r+b") as file:
        file.seek(pages // 2 * PAGE_SIZE)
        file.write(b"\xde\xad\xbe\xef" * (PAGE_SIZE // 4))
    return DAMAGED_SESSION


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | PostgresUnavailable]:
    """One PostgreSQL server for the session, or why none could start."""
    try:
        server = start_postgres()
    except PostgresUnavailable as why:
        yield why
        return
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer | PostgresUnavailable) -> Iterator[str]:
    """The URL of a new, empty database of its own on the test PostgreSQL server (dropped
    after the test), or a skip saying why there is no server."""
    if isinstance(postgres_server, PostgresUnavailable):
        pytest.skip(f"no PostgreSQL server: {postgres_server}")
    name = postgres_server.new_database()
    yield postgres_server.url_of(name)
    postgres_server.drop_database(name)
