"""The plugins' key-value file behind `zeroclaw:host/kv`, private to each plugin.

Every plugin's keys live in one SQLite file, DATA_DIR/plugins/kv.db (WAL mode), in rows
keyed by (plugin name, key): a plugin reaches only rows under its own name, so two plugins
may use the same key without meeting. Data survives restarts and reloads.

Limits: a key is 1 to `MAX_KEY_BYTES` bytes of UTF-8 without NUL; a value at most
`MAX_VALUE_BYTES`; a plugin's keys and values together, plus `ENTRY_OVERHEAD_BYTES` per
entry (so a plugin cannot fill the disk with empty values), at most `QUOTA_BYTES`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zeroclaw.plugins.host.wit_values import HostCallError

MAX_KEY_BYTES = 256
# wasmtime-py moves a list<u8> across the boundary a byte at a time (~1-2 us a byte): a
# larger value would spend a call's whole time limit in the copy.
MAX_VALUE_BYTES = 256 * 1024
QUOTA_BYTES = 16 * 1024 * 1024
ENTRY_OVERHEAD_BYTES = 64
BUSY_TIMEOUT_MS = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS plugin_kv (
    plugin TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (plugin, key)
) WITHOUT ROWID
"""
# Bytes, not characters: length() of TEXT counts characters.
_ENTRY_SIZE = f"length(CAST(key AS BLOB)) + length(value) + {ENTRY_OVERHEAD_BYTES}"


class KvError(HostCallError):
    """A case of the WIT `kv-error` variant."""

    @classmethod
    def not_found(cls) -> KvError:
        return cls("not-found")

    @classmethod
    def invalid_key(cls, why: str) -> KvError:
        return cls("invalid-key", why)

    @classmethod
    def storage(cls, why: str) -> KvError:
        return cls("storage", why)


def check_key(key: str) -> None:
    size = len(key.encode("utf-8"))
    if size == 0:
        raise KvError.invalid_key("the key is empty")
    if size > MAX_KEY_BYTES:
        raise KvError.invalid_key(f"the key is {size} bytes long; the limit is {MAX_KEY_BYTES}")
    if "\x00" in key:
        raise KvError.invalid_key("the key contains a NUL character")


def entry_size(key: str, value: bytes) -> int:
    return len(key.encode("utf-8")) + len(value) + ENTRY_OVERHEAD_BYTES


class KvStore:
    """The plugins' key-value file. Every method takes the plugin's name and touches only
    that plugin's rows. One connection, shared by threads behind a lock."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        """Use `KvStore.open`."""
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> KvStore:
        """Open (or create) the kv file at `path`; `KvError` (storage) when it cannot."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        except (OSError, sqlite3.Error) as exc:
            raise KvError.storage(f"cannot open the plugin key-value store {path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SCHEMA)
        except sqlite3.Error as exc:
            conn.close()
            raise KvError.storage(
                f"cannot use the plugin key-value store {path}: {exc} (move the file aside if "
                "it is not a ZeroClaw kv database)"
            ) from exc
        return cls(conn, path)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def get(self, plugin: str, key: str) -> bytes:
        check_key(key)
        with self._db() as db:
            row = db.execute(
                "SELECT value FROM plugin_kv WHERE plugin = ? AND key = ?", (plugin, key)
            ).fetchone()
        if row is None:
            raise KvError.not_found()
        return bytes(row[0])

    def set(self, plugin: str, key: str, value: bytes) -> None:
        check_key(key)
        if len(value) > MAX_VALUE_BYTES:
            raise KvError("value-too-large", MAX_VALUE_BYTES)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                others = db.execute(
                    f"SELECT coalesce(sum({_ENTRY_SIZE}), 0) FROM plugin_kv"
                    " WHERE plugin = ? AND key != ?",
                    (plugin, key),
                ).fetchone()[0]
                if others + entry_size(key, value) > QUOTA_BYTES:
                    raise KvError("quota-exceeded", QUOTA_BYTES)
                db.execute(
                    "INSERT INTO plugin_kv (plugin, key, value) VALUES (?, ?, ?)"
                    " ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value",
                    (plugin, key, value),
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def delete(self, plugin: str, key: str) -> None:
        check_key(key)
        with self._db() as db:
            db.execute("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", (plugin, key))

    def list_keys(self, plugin: str, prefix: str) -> list[str]:
        """The plugin's keys starting with `prefix`, sorted by code point."""
        with self._db() as db:
            # Keys sort by their UTF-8 bytes (code points): those with the prefix come in one
            # run starting at the prefix itself.
            rows = db.execute(
                "SELECT key FROM plugin_kv WHERE plugin = ? AND key >= ? ORDER BY key",
                (plugin, prefix),
            )
            keys = []
            for (key,) in rows:
                if not key.startswith(prefix):
                    break
                keys.append(key)
            return keys

    def usage(self, plugin: str) -> int:
        """Bytes the plugin's entries count against its quota."""
        with self._db() as db:
            used: int = db.execute(
                f"SELECT coalesce(sum({_ENTRY_SIZE}), 0) FROM plugin_kv WHERE plugin = ?",
                (plugin,),
            ).fetchone()[0]
            return used

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise KvError.storage(f"the plugin key-value store {self.path} is closed")
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise KvError.storage(
                    f"the plugin key-value store {self.path} failed: {exc}; retrying later may work"
                ) from exc
