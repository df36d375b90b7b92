"""A damaged, read-only or full data dir: typed errors with the right hint, nothing lost.

Real SQLite files, damaged the way disks damage them: a header overwritten, a page in
the middle of a table overwritten with garbage. Read-only and full come from a real
read-only path and a real full tmpfs (see tests/storage_faults.py).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from storage_faults import (
    FILLED_SESSION,
    MakeReadOnly,
    SmallDisk,
    damage_page,
    filled_memory,
    page_of,
)
from zeroclaw.memory import (
    CorruptDatabaseError,
    MemoryStore,
    MemoryStoreError,
    ReadOnlyStorageError,
    StorageFullError,
    UnreadableDatabaseError,
    check_integrity,
    require_writable_dir,
)
from zeroclaw.messages import ChatMessage

ROWS = 400


def overwrite(path: Path, offset: int, size: int) -> bytes:
    """Overwrite `size` bytes at `offset` with garbage; the whole file as it is after."""
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(os.urandom(size))
    return path.read_bytes()


def test_a_damaged_header_is_refused_with_the_way_to_recover(db_path: Path) -> None:
    filled_memory(db_path)
    damaged = overwrite(db_path, 0, 100)

    with pytest.raises(UnreadableDatabaseError) as caught:
        MemoryStore.open(db_path)

    assert str(db_path) in caught.value.message
    assert caught.value.hint is not None
    assert ".recover" in caught.value.hint
    assert db_path.read_bytes() == damaged


def test_a_damaged_page_fails_reads_with_a_typed_error_naming_doctor(db_path: Path) -> None:
    texts = filled_memory(db_path, ROWS)
    damaged = damage_page(db_path, page_of(db_path, "messages"))

    with MemoryStore.open(db_path) as store:
        # What lives on other pages is still there.
        memory = store.blocking(store.get_memory("favourite colour"))
        assert memory is not None
        assert memory.value == "green"
        with pytest.raises(CorruptDatabaseError) as caught:
            store.blocking(store.session_messages(FILLED_SESSION))
        assert len(texts) == ROWS

    assert "is damaged" in caught.value.message
    assert str(db_path) in caught.value.message
    assert caught.value.hint is not None
    assert "zeroclaw doctor" in caught.value.hint
    assert str(db_path) in caught.value.hint
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    # Reading a damaged file never rewrites it: a recovery starts from what was there.
    assert db_path.read_bytes()[: len(damaged)] == damaged


def test_the_integrity_check_finds_a_damaged_page_and_passes_a_sound_file(
    db_path: Path,
) -> None:
    filled_memory(db_path)
    assert check_integrity(db_path).ok

    damaged = damage_page(db_path, page_of(db_path, "messages"))
    report = check_integrity(db_path)

    assert not report.ok
    assert report.problems
    assert report.unchecked is None
    assert db_path.read_bytes() == damaged


def test_a_read_only_data_dir_is_refused_at_open_as_read_only(
    db_path: Path, make_read_only: MakeReadOnly
) -> None:
    texts = filled_memory(db_path)
    make_read_only(db_path.parent)

    with pytest.raises(ReadOnlyStorageError) as caught:
        require_writable_dir(db_path.parent, what="data dir", key="data_dir")
    assert str(db_path.parent) in caught.value.message
    assert caught.value.hint is not None
    assert "data_dir" in caught.value.hint
    # WAL mode needs its index file beside the database: a read-only dir refuses the open.
    with pytest.raises(ReadOnlyStorageError) as opened:
        MemoryStore.open(db_path)
    assert "read-only" in opened.value.message
    assert "lock" not in (opened.value.hint or "")
    with closing(sqlite3.connect(f"{db_path.as_uri()}?immutable=1", uri=True)) as raw:
        assert raw.execute("SELECT count(*) FROM messages").fetchone()[0] == len(texts)


def test_a_read_only_database_file_fails_writes_as_read_only_and_keeps_reads(
    db_path: Path, make_read_only: MakeReadOnly
) -> None:
    texts = filled_memory(db_path)
    make_read_only(db_path)

    with MemoryStore.open(db_path) as store:
        with pytest.raises(ReadOnlyStorageError) as caught:
            store.blocking(store.append_message(FILLED_SESSION, ChatMessage("user", "one more")))
        assert [
            s.message.content for s in store.blocking(store.session_messages(FILLED_SESSION))
        ] == texts

    assert "read-only" in caught.value.message
    assert caught.value.hint is not None
    assert "writable" in caught.value.hint
    assert "disk is full" not in caught.value.hint


def append_until_full(store: MemoryStore) -> StorageFullError:
    """Append messages until the disk refuses one (the WAL may have room left at first)."""
    for n in range(1000):
        try:
            store.blocking(
                store.append_message("s", ChatMessage("user", f"overflow {n} " + "x" * 4000))
            )
        except StorageFullError as exc:
            return exc
    raise AssertionError("1000 messages of 4 kB fitted on a full 1 MiB disk")


def test_a_full_disk_fails_the_write_as_full_and_keeps_what_was_stored(
    small_disk: SmallDisk,
) -> None:
    path = small_disk.path / "zeroclaw.db"
    with MemoryStore.open(path) as store:
        store.blocking(store.ensure_session("s"))
        stored = [f"kept {n}" for n in range(20)]
        for text in stored:
            store.blocking(store.append_message("s", ChatMessage("user", text)))
        small_disk.fill()
        full = append_until_full(store)
        small_disk.free()
        # The store still works once there is room again.
        store.blocking(store.append_message("s", ChatMessage("user", "after")))

    assert "disk is full" in full.message
    assert full.hint is not None
    assert "free space" in full.hint
    with MemoryStore.open(path) as reopened:
        contents = [s.message.content for s in reopened.blocking(reopened.session_messages("s"))]
    assert contents[: len(stored)] == stored
    assert contents[-1] == "after"
    assert check_integrity(path).ok


def test_a_full_disk_is_refused_at_start(small_disk: SmallDisk) -> None:
    small_disk.fill()

    with pytest.raises(StorageFullError) as caught:
        require_writable_dir(small_disk.path, what="data dir", key="data_dir")

    assert str(small_disk.path) in caught.value.message
    assert caught.value.hint is not None
    assert "data_dir" in caught.value.hint


def test_a_closed_store_is_still_a_memory_store_error(db_path: Path) -> None:
    store = MemoryStore.open(db_path)
    store.close()
    with pytest.raises(MemoryStoreError, match="closed"):
        store.blocking(store.session_messages(FILLED_SESSION))
