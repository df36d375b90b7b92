"""Real storage faults for tests: a damaged SQLite page, a read-only directory or file, and
a disk that fills up.

Damage is done the way disks do it: a page of a real memory database overwritten with
garbage (`damage_page`), chosen with SQLite's dbstat table so the test knows what it hit.

Real faults, not patched errors. Without root, chmod makes a path read-only. Root ignores
permissions, so there a read-only bind mount does it (the kernel refuses the write with
EROFS, whoever asks); a small tmpfs is a disk that fills up. Where mounting is not allowed
(an unprivileged container), the test is skipped with the reason.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from zeroclaw.memory import MemoryStore
from zeroclaw.messages import ChatMessage

MakeReadOnly = Callable[[Path], None]
FILLED_SESSION = "s"


def filled_memory(path: Path, rows: int = 400) -> list[str]:
    """A real memory database whose session `s` spans many pages; the messages' texts."""
    texts = [f"message {n} " + "lorem ipsum " * 20 for n in range(rows)]
    with MemoryStore.open(path) as store:
        store.blocking(store.ensure_session(FILLED_SESSION))
        for text in texts:
            store.blocking(store.append_message(FILLED_SESSION, ChatMessage("user", text)))
        store.blocking(store.remember("favourite colour", "green"))
    # Closing the last connection checkpoints the WAL: every page is in the main file.
    assert not path.with_name(path.name + "-wal").exists()
    return texts


def page_of(path: Path, table: str, *, root: bool = False) -> int:
    """A page of `table`: its root (an interior page, for a table of many pages), or a
    leaf in the middle of it."""
    with closing(sqlite3.connect(path)) as raw:
        rows = raw.execute(
            "SELECT pageno, pagetype, path FROM dbstat WHERE name = ? ORDER BY pageno", (table,)
        ).fetchall()
    if root:
        [(page, kind)] = [(page, kind) for page, kind, where in rows if where == "/"]
        assert kind == "internal", f"{table} fits in one page"
        return int(page)
    leaves = [page for page, kind, _ in rows if kind == "leaf"]
    assert len(leaves) > 10, f"{table} should span many pages"
    return int(leaves[len(leaves) // 2])


def damage_page(path: Path, page: int) -> bytes:
    """Overwrite page number `page` (from 1) with garbage; the whole file as it is after."""
    with closing(sqlite3.connect(path)) as raw:
        page_size = int(raw.execute("PRAGMA page_size").fetchone()[0])
    with path.open("r+b") as f:
        f.seek((page - 1) * page_size)
        f.write(os.urandom(page_size))
    return path.read_bytes()


AddFinalizer = Callable[[Callable[[], object]], None]
SMALL_DISK_SIZE = "1m"


def read_only_maker(add_finalizer: AddFinalizer) -> MakeReadOnly:
    def make(path: Path) -> None:
        if os.geteuid() != 0:
            mode = stat.S_IMODE(path.stat().st_mode)
            path.chmod(mode & ~0o222)
            add_finalizer(lambda: path.chmod(mode))
            return
        why = _mount("--bind", str(path), str(path))
        if why is not None:
            pytest.skip(f"as root chmod denies nothing, and a bind mount fails: {why}")
        add_finalizer(lambda: _unmount(path))
        why = _mount("-o", "remount,ro,bind", str(path))
        if why is not None:
            pytest.skip(f"as root chmod denies nothing, and a read-only remount fails: {why}")

    return make


class SmallDisk:
    """A directory on a tmpfs of its own, and a filler file to make it full."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / "filler"

    def fill(self) -> None:
        """Write the filler until the disk has no room left."""
        with self._filler.open("ab", buffering=0) as out:
            chunk = b"\0" * 4096
            try:
                while True:
                    out.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)


def mount_small_disk(mount_point: Path, add_finalizer: AddFinalizer) -> SmallDisk:
    mount_point.mkdir(parents=True)
    if os.geteuid() != 0:
        pytest.skip("a full disk needs a small tmpfs, and mounting one needs root")
    why = _mount("-t", "tmpfs", "-o", f"size={SMALL_DISK_SIZE}", "tmpfs", str(mount_point))
    if why is not None:
        pytest.skip(f"cannot mount a small tmpfs to fill up: {why}")
    add_finalizer(lambda: _unmount(mount_point))
    return SmallDisk(mount_point)


def _mount(*args: str) -> str | None:
    """Run mount(8); None if it worked, else why not."""
    try:
        done = subprocess.run(
            ["mount", *args], check=False, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    return None if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def _unmount(path: Path) -> None:
    done = subprocess.run(["umount", str(path)], capture_output=True, timeout=10, check=False)
    if done.returncode != 0:
        # Still busy (a file left open): detach it now, the kernel frees it when closed.
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=10, check=False)
