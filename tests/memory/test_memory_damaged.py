"""A database damaged after it was written (a page overwritten by a disk or a copy gone
wrong) opens cleanly; the read that reaches the page raises a typed error that names the
file and how to check it, and `damage()` (what `zeroclaw doctor` runs) finds it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from zeroclaw.config import Config
from zeroclaw.diagnostics import run_checks
from zeroclaw.memory import MemoryStore
from zeroclaw.memory.errors import UnknownSessionError, UnreadableDatabaseError
from zeroclaw.memory.integrity import check_integrity
from zeroclaw.messages import ChatMessage


def test_a_read_reaching_a_damaged_page_is_a_typed_error(
    db_path: Path, damaged_database: Callable[[Path], str]
) -> None:
    db_path.parent.mkdir(parents=True)
    session = damaged_database(db_path)

    with MemoryStore.open(db_path) as memory:
        with pytest.raises(UnreadableDatabaseError) as caught:
            memory.blocking(memory.session_messages(session))
        with pytest.raises(UnreadableDatabaseError):
            memory.blocking(memory.load_history(session, 200))

    assert (
        f"cannot read the memory database {db_path}: the file is damaged "
        "(database disk image is malformed)" in str(caught.value)
    )
    assert "zeroclaw doctor" in (caught.value.hint or "")
    assert ".recover" in (caught.value.hint or "")


def test_the_integrity_check_finds_the_page_and_a_sound_file_has_none(
    db_path: Path, damaged_database: Callable[[Path], str]
) -> None:
    db_path.parent.mkdir(parents=True)
    damaged_database(db_path)
    sound = db_path.with_name("sound.db")
    with MemoryStore.open(sound) as memory:
        memory.blocking(memory.ensure_session("s"))
        memory.blocking(memory.append_message("s", ChatMessage("user", "hi")))
    assert check_integrity(sound).ok

    damaged = check_integrity(db_path)
    assert not damaged.ok
    assert damaged.problems


async def test_append_messages_stores_all_in_order_or_none(store: MemoryStore) -> None:
    await store.ensure_session("s")
    batch = [ChatMessage("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(500)]
    await store.append_messages("s", batch)
    with pytest.raises(UnknownSessionError, match="no session 'nope'"):
        await store.append_messages("nope", batch)

    stored = await store.session_messages("s")
    assert [m.message.content for m in stored] == [f"m{i}" for i in range(500)]
    assert await store.get_session("nope") is None
    info = await store.get_session("s")
    assert info is not None
    assert (info.message_count, info.title) == (500, "m0")


def test_doctor_fails_on_a_damaged_database(
    tmp_path: Path, damaged_database: Callable[[Path], str]
) -> None:
    config = Config(data_dir=tmp_path / "data")
    config.memory_path.parent.mkdir(parents=True)
    damaged_database(config.memory_path)

    (memory,) = [check for check in run_checks(config, source="test") if check.name == "memory"]

    assert memory.status == "fail"
    assert f"{config.memory_path} is damaged (PRAGMA " in memory.detail
    assert ".recover" in memory.detail
