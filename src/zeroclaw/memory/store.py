"""`MemoryStore`: sessions, messages, tool results, summaries and key-value memories in
one SQLite file.

Every write commits before it returns, so a process killed mid-turn loses nothing it
already stored; WAL mode lets readers (the gateway's history API) run beside the writer.
One connection is shared by the threads of the process behind a lock. Every read and
write goes through `_reading` or `_transaction`, where SQLite's errors become the typed
ones of `memory.errors` (damaged file, read-only, disk full, locked): no raw `sqlite3`
exception leaves this module.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from zeroclaw.memory.errors import (
    DAMAGED_CODES,
    MemoryStoreError,
    SessionOwnerError,
    UnknownSessionError,
    UnreadableDatabaseError,
    recovery_hint,
    sqlite_code,
    storage_error,
)
from zeroclaw.memory.fts import match_expression
from zeroclaw.memory.records import Memory, SessionInfo, StoredMessage, Summary
from zeroclaw.memory.schema import migrate
from zeroclaw.messages import ChatMessage, Role, ToolCall, ToolResult, valid_text

BUSY_TIMEOUT_MS = 5000
DEFAULT_NAMESPACE = "default"
# Long enough to recognise a conversation in a session list.
TITLE_CHARS = 80

_MESSAGE_COLUMNS = "id, role, content, tool_calls, tool_call_id, name, created_at, compacted"
_SESSION_COLUMNS = (
    "s.id, s.user_id, s.channel, s.title, s.created_at, s.updated_at, "
    "(SELECT count(*) FROM messages m WHERE m.session_id = s.id)"
)
_SUMMARY_COLUMNS = "s.id, s.session_id, s.user_id, s.kind, s.content, s.created_at"
_MEMORY_COLUMNS = "m.namespace, m.key, m.value, m.created_at, m.updated_at"


class MemoryStore:
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        """Use `MemoryStore.open`; this takes a connection that is already migrated."""
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        # Reentrant: a transaction holds the lock while its statements take it again.
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> MemoryStore:
        """Open (or create) the database at `path`, migrating it to the current schema."""
        path = Path(path).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MemoryStoreError(
                f"cannot create the directory of the memory database {path}: {exc.strerror or exc}",
                hint="check the permissions, or set memory.path to a writable location",
            ) from exc
        conn = _connect(path)
        try:
            _configure(conn, path)
            migrate(conn, path)
        except sqlite3.Error as exc:
            conn.close()
            raise storage_error(exc, path, "open") from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sessions -----------------------------------------------------------------------

    def ensure_session(
        self,
        session_id: str,
        *,
        channel: str = "terminal",
        user_id: str | None = None,
        title: str | None = None,
    ) -> None:
        """Create the session if it is new. A `user_id` given for an existing session must
        be its owner's (None asserts nothing), so one user cannot continue another's."""
        now = _now()
        with self._transaction() as conn:
            row = conn.execute("SELECT user_id FROM sessions WHERE id = ?", (session_id,))
            existing = row.fetchone()
            if existing is None:
                conn.execute(
                    "INSERT INTO sessions (id, user_id, channel, title, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (session_id, user_id, channel, title, now, now),
                )
                return
            owner = existing[0]
            if user_id is not None and owner != user_id:
                raise SessionOwnerError(
                    f"session {session_id!r} belongs to another user",
                    hint="start a new session id for this user",
                )
            if title is not None:
                conn.execute(
                    "UPDATE sessions SET title = ? WHERE id = ? AND title IS NULL",
                    (title, session_id),
                )

    def get_session(self, session_id: str) -> SessionInfo | None:
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.id = ?", (session_id,)
            )
            found = row.fetchone()
        return None if found is None else _session(found)

    def list_sessions(self, limit: int = 50) -> list[SessionInfo]:
        """The most recently active sessions first."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions s"
                " ORDER BY s.updated_at DESC, s.rowid DESC LIMIT ?",
                (_bounded(limit),),
            )
            return [_session(row) for row in rows.fetchall()]

    # -- messages -----------------------------------------------------------------------

    def append_message(self, session_id: str, message: ChatMessage) -> int:
        """Store `message` at the end of the session; return its row id."""
        with self._transaction() as conn:
            return self._insert_message(conn, session_id, message, _now())

    def append_messages(self, session_id: str, messages: Sequence[ChatMessage]) -> None:
        """Store `messages` at the end of the session, all of them or none: one transaction,
        so a long conversation costs one commit, not one per message."""
        now = _now()
        with self._transaction() as conn:
            for message in messages:
                self._insert_message(conn, session_id, message, now)

    def _insert_message(
        self, conn: sqlite3.Connection, session_id: str, message: ChatMessage, now: str
    ) -> int:
        try:
            cursor = conn.execute(
                "INSERT INTO messages"
                " (session_id, role, content, tool_calls, tool_call_id, name, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    message.role,
                    valid_text(message.content),
                    _tool_calls_json(message.tool_calls),
                    _valid(message.tool_call_id),
                    _valid(message.name),
                    now,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise _unknown_session(session_id) from exc
        conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))
        if message.role == "user" and message.content.strip():
            # The first thing the user said names the session in lists.
            conn.execute(
                "UPDATE sessions SET title = ? WHERE id = ? AND title IS NULL",
                (_title_of(message.content), session_id),
            )
        return cast(int, cursor.lastrowid)

    def load_history(self, session_id: str, limit: int) -> list[StoredMessage]:
        """The `limit` most recent messages not yet compacted, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages"
                " WHERE session_id = ? AND compacted = 0 ORDER BY id DESC LIMIT ?",
                (session_id, _bounded(limit)),
            )
            found = rows.fetchall()
        return [_stored_message(row) for row in reversed(found)]

    def session_messages(self, session_id: str) -> list[StoredMessage]:
        """Every message of the session, compacted ones included, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE session_id = ? ORDER BY id",
                (session_id,),
            )
            return [_stored_message(row) for row in rows.fetchall()]

    def record_tool_result(self, session_id: str, call: ToolCall, result: ToolResult) -> None:
        with self._transaction() as conn:
            try:
                conn.execute(
                    "INSERT INTO tool_results (session_id, call_id, tool_name, arguments,"
                    " success, output, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        valid_text(call.id),
                        valid_text(call.name),
                        valid_text(call.arguments_json()),
                        int(result.success),
                        valid_text(result.output),
                        _valid(result.error),
                        _now(),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise _unknown_session(session_id) from exc

    # -- summaries ----------------------------------------------------------------------

    def compact(self, session_id: str, summary: str, upto_message_id: int) -> None:
        """Store `summary` and retire the messages it replaces, both or neither."""
        with self._transaction() as conn:
            self._insert_summary(conn, session_id, summary, kind="compaction", user_id=None)
            conn.execute(
                "UPDATE messages SET compacted = 1 WHERE session_id = ? AND id <= ?",
                (session_id, upto_message_id),
            )

    def add_summary(
        self, session_id: str, content: str, *, kind: str, user_id: str | None = None
    ) -> int:
        """Store a summary; without `user_id` it belongs to the session's user."""
        with self._transaction() as conn:
            return self._insert_summary(conn, session_id, content, kind=kind, user_id=user_id)

    def latest_summary(self, session_id: str, kind: str = "compaction") -> str | None:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT content FROM summaries WHERE session_id = ? AND kind = ?"
                " ORDER BY id DESC LIMIT 1",
                (session_id, kind),
            )
            found = row.fetchone()
        return None if found is None else str(found[0])

    def recall_summaries(self, query: str, *, user_id: str | None, limit: int) -> list[Summary]:
        """Summaries of `user_id` (None: of no user) best matching `query`; an empty
        query gives the most recent. Other users' summaries are never returned."""
        expression = match_expression(query)
        with self._reading() as conn:
            if expression is None:
                rows = conn.execute(
                    f"SELECT {_SUMMARY_COLUMNS} FROM summaries s WHERE s.user_id IS ?"
                    " ORDER BY s.id DESC LIMIT ?",
                    (user_id, _bounded(limit)),
                )
            else:
                rows = conn.execute(
                    f"SELECT {_SUMMARY_COLUMNS} FROM summaries_fts"
                    " JOIN summaries s ON s.id = summaries_fts.rowid"
                    " WHERE summaries_fts MATCH ? AND s.user_id IS ?"
                    " ORDER BY summaries_fts.rank, s.id DESC LIMIT ?",
                    (expression, user_id, _bounded(limit)),
                )
            return [_summary(row) for row in rows.fetchall()]

    def _insert_summary(
        self,
        conn: sqlite3.Connection,
        session_id: str,
        content: str,
        *,
        kind: str,
        user_id: str | None,
    ) -> int:
        owner = conn.execute("SELECT user_id FROM sessions WHERE id = ?", (session_id,))
        session = owner.fetchone()
        if session is None:
            raise _unknown_session(session_id)
        cursor = conn.execute(
            "INSERT INTO summaries (session_id, user_id, kind, content, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (session_id, user_id if user_id is not None else session[0], kind, content, _now()),
        )
        return cast(int, cursor.lastrowid)

    # -- key-value memories ---------------------------------------------------------------

    def remember(self, key: str, value: str, *, namespace: str = DEFAULT_NAMESPACE) -> None:
        """Store `value` under `key`, replacing what was there."""
        now = _now()
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO memories (namespace, key, value, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (namespace, key)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (namespace, key, value, now, now),
            )

    def get_memory(self, key: str, namespace: str = DEFAULT_NAMESPACE) -> Memory | None:
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {_MEMORY_COLUMNS} FROM memories m WHERE m.namespace = ? AND m.key = ?",
                (namespace, key),
            )
            found = row.fetchone()
        return None if found is None else _memory(found)

    def forget(self, key: str, *, namespace: str = DEFAULT_NAMESPACE) -> bool:
        """Delete the memory; False when there was none."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM memories WHERE namespace = ? AND key = ?", (namespace, key)
            )
            return cursor.rowcount > 0

    def recall(self, query: str, *, limit: int, namespace: str | None = None) -> list[Memory]:
        """Memories best matching `query` (in `namespace`, or all); an empty query, or one
        without any word, gives the most recently updated."""
        expression = match_expression(query)
        with self._reading() as conn:
            if expression is None:
                rows = conn.execute(
                    f"SELECT {_MEMORY_COLUMNS} FROM memories m"
                    " WHERE ?1 IS NULL OR m.namespace = ?1"
                    " ORDER BY m.updated_at DESC, m.id DESC LIMIT ?2",
                    (namespace, _bounded(limit)),
                )
            else:
                # A key match weighs twice a value match: keys are what the fact is about.
                rows = conn.execute(
                    f"SELECT {_MEMORY_COLUMNS} FROM memories_fts"
                    " JOIN memories m ON m.id = memories_fts.rowid"
                    " WHERE memories_fts MATCH ?1 AND (?2 IS NULL OR m.namespace = ?2)"
                    " ORDER BY bm25(memories_fts, 2.0, 1.0), m.updated_at DESC LIMIT ?3",
                    (expression, namespace, _bounded(limit)),
                )
            return [_memory(row) for row in rows.fetchall()]

    # -- plumbing -----------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise MemoryStoreError(f"the memory store {self.path} is closed")
        return self._conn

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, held for a read; SQLite's errors become typed ones."""
        with self._lock:
            conn = self._db()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise storage_error(exc, self.path, "read") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed unit of writes: committed on success, rolled back on any error
        (SQLite's errors become typed ones: damaged file, read-only, disk full, locked)."""
        with self._lock:
            conn = self._db()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                _roll_back(conn)
                if isinstance(exc, sqlite3.Error):
                    raise storage_error(exc, self.path, "write to") from exc
                raise


def _roll_back(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already (it may, on a full disk)."""
    if not conn.in_transaction:
        return
    # A rollback that fails (a damaged or vanished file) must not hide the error that
    # caused it; SQLite undoes the transaction from its journal on the next open.
    with contextlib.suppress(sqlite3.Error):
        conn.execute("ROLLBACK")


def _connect(path: Path) -> sqlite3.Connection:
    try:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so nothing is left
        # uncommitted behind the caller's back. The lock makes cross-thread use safe.
        return sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as exc:
        raise storage_error(exc, path, "open") from exc


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    try:
        # Reading the schema first: on a file that is not a database this fails before
        # anything (like switching to WAL) could write to it.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if sqlite_code(exc) not in DAMAGED_CODES:
            raise  # read-only, locked, full: open() types it
        raise UnreadableDatabaseError(
            f"{path} is not a readable SQLite database ({exc})",
            hint="if it is not ZeroClaw's, set memory.path to another file (ZeroClaw does not "
            f"overwrite it); if it held your memory, {recovery_hint(path)}",
        ) from exc
    if str(mode).lower() != "wal":
        raise MemoryStoreError(
            f"cannot switch the memory database {path} to WAL mode (got {mode!r})",
            hint="put the database on a local filesystem",
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _unknown_session(session_id: str) -> UnknownSessionError:
    return UnknownSessionError(
        f"no session {session_id!r} in the memory database",
        hint="call ensure_session before writing to a session",
    )


def _title_of(content: str) -> str:
    line = " ".join(content.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def _tool_calls_json(calls: tuple[ToolCall, ...]) -> str | None:
    if not calls:
        return None
    return valid_text(
        json.dumps(
            [{"id": call.id, "name": call.name, "arguments": call.arguments} for call in calls],
            ensure_ascii=False,
        )
    )


def _valid(text: str | None) -> str | None:
    # Text that cannot be encoded as UTF-8 (lone surrogates) would fail the insert and lose
    # the message: it is stored with U+FFFD in their place instead.
    return None if text is None else valid_text(text)


def _tool_calls(raw: str | None) -> tuple[ToolCall, ...]:
    if not raw:
        return ()
    items: list[dict[str, Any]] = json.loads(raw)
    return tuple(ToolCall(item["id"], item["name"], item["arguments"]) for item in items)


def _stored_message(row: tuple[Any, ...]) -> StoredMessage:
    row_id, role, content, tool_calls, tool_call_id, name, created_at, compacted = row
    message = ChatMessage(
        role=cast(Role, role),
        content=content,
        tool_calls=_tool_calls(tool_calls),
        tool_call_id=tool_call_id,
        name=name,
    )
    return StoredMessage(row_id, message, _time(created_at), bool(compacted))


def _session(row: tuple[Any, ...]) -> SessionInfo:
    session_id, user_id, channel, title, created_at, updated_at, count = row
    return SessionInfo(
        session_id, user_id, channel, title, _time(created_at), _time(updated_at), count
    )


def _summary(row: tuple[Any, ...]) -> Summary:
    row_id, session_id, user_id, kind, content, created_at = row
    return Summary(row_id, session_id, user_id, kind, content, _time(created_at))


def _memory(row: tuple[Any, ...]) -> Memory:
    namespace, key, value, created_at, updated_at = row
    return Memory(namespace, key, value, _time(created_at), _time(updated_at))


def _bounded(limit: int) -> int:
    # SQLite reads a negative LIMIT as "no limit"; a caller's bad arithmetic must not
    # turn into loading a whole table.
    return max(limit, 0)
