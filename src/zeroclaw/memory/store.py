"""`MemoryStore`: sessions, messages, tool results, summaries and key-value memories, in a
SQLite file (the embedded default) or a PostgreSQL database, behind one async API.

Every method is a coroutine whose work runs on the storage loop (`memory.database`): the
caller's event loop never waits on a disk or a socket. Every write is one transaction,
committed before the call returns, so a process killed mid-turn loses nothing it already
stored; a batch (`append_messages`) is one transaction too: all of it or none. Errors of
either backend arrive as the typed ones of `memory.errors` (damaged file, read-only, disk
full, locked, database unavailable); no driver exception leaves this module.

The queries are SQLAlchemy Core statements over `memory.tables`, written once for both
backends; only full-text recall differs, and comes from `memory.search`. Synchronous
callers on threads without an event loop (a plugin's host call) use `blocking`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnClause

from zeroclaw.memory import search
from zeroclaw.memory.database import Database
from zeroclaw.memory.errors import SessionOwnerError, TurnSupersededError, UnknownSessionError
from zeroclaw.memory.location import DatabaseLocation, sqlite_location
from zeroclaw.memory.records import (
    HookStepRecord,
    Memory,
    OpenedTurn,
    SessionInfo,
    StoredMessage,
    StoredToolCall,
    Summary,
    ToolProvenance,
    TurnContext,
    TurnWrites,
)
from zeroclaw.memory.tables import (
    PROVENANCE_COLUMNS,
    memories,
    messages,
    responses,
    sessions,
    summaries,
    tool_results,
)
from zeroclaw.messages import ChatMessage, Role, ToolCall, ToolResult, valid_text

T = TypeVar("T")
DEFAULT_NAMESPACE = "default"
# Long enough to recognise a conversation in a session list.
TITLE_CHARS = 80
# What memory holds as the answer of a turn that never settled (the process stopped, or
# lost the database, before the turn's work was stored), once the session moves on.
UNSETTLED_TURN = ChatMessage(
    "assistant", "(no answer: this turn was interrupted before its answer could be stored)"
)

_MESSAGE_COLUMNS = (
    messages.c.id,
    messages.c.role,
    messages.c.content,
    messages.c.tool_calls,
    messages.c.tool_call_id,
    messages.c.name,
    messages.c.created_at,
    messages.c.compacted,
)
_MESSAGE_COUNT = (
    sa.select(sa.func.count())
    .where(messages.c.session_id == sessions.c.id)
    .correlate(sessions)
    .scalar_subquery()
)
_SESSION_COLUMNS = (
    sessions.c.id,
    sessions.c.user_id,
    sessions.c.channel,
    sessions.c.title,
    sessions.c.created_at,
    sessions.c.updated_at,
    _MESSAGE_COUNT,
    sessions.c.open_turn,
)
_TOOL_CALL_COLUMNS = (
    tool_results.c.id,
    tool_results.c.session_id,
    tool_results.c.call_id,
    tool_results.c.tool_name,
    tool_results.c.arguments,
    tool_results.c.success,
    tool_results.c.output,
    tool_results.c.error,
    tool_results.c.created_at,
    tool_results.c.owner_kind,
    tool_results.c.owner_name,
    tool_results.c.owner_version,
    tool_results.c.approval,
    tool_results.c.hooks,
    tool_results.c.blocked_by,
    tool_results.c.duration_ms,
)
_SUMMARY_COLUMNS = (
    summaries.c.id,
    summaries.c.session_id,
    summaries.c.user_id,
    summaries.c.kind,
    summaries.c.content,
    summaries.c.created_at,
)
_MEMORY_COLUMNS = (
    memories.c.namespace,
    memories.c.key,
    memories.c.value,
    memories.c.created_at,
    memories.c.updated_at,
)
# The PostgreSQL-only full-text columns (memory/search.py): read in place, written by id.
_MEMORY_VECTOR: ColumnClause[Any] = sa.literal_column("memories.search")
_SUMMARY_VECTOR: ColumnClause[Any] = sa.literal_column("summaries.search")
_MEMORY_SEARCH = sa.table("memories", sa.column("id"), sa.column("search"))
_SUMMARY_SEARCH = sa.table("summaries", sa.column("id"), sa.column("search"))
_FTS_MEMORIES = sa.table("memories_fts", sa.column("rowid"))
_FTS_SUMMARIES = sa.table("summaries_fts", sa.column("rowid"))


class MemoryStore:
    def __init__(self, database: Database) -> None:
        """Use `MemoryStore.open`; this takes a database that is already migrated."""
        self.database = database

    @classmethod
    def open(cls, where: DatabaseLocation | Path) -> MemoryStore:
        """Open (or create) the database at `where` (a SQLite file's path, or a location),
        migrating it to the current schema. Start-up work: blocks until done."""
        location = where if isinstance(where, DatabaseLocation) else sqlite_location(where)
        return cls(Database.open(location))

    @property
    def location(self) -> DatabaseLocation:
        return self.database.location

    @property
    def path(self) -> Path | None:
        """The SQLite file; None on PostgreSQL."""
        return self.database.location.path

    def blocking(self, call: Coroutine[Any, Any, T]) -> T:
        """The bridge for synchronous callers on worker threads (no running event loop):
        `store.blocking(store.recall("tea", limit=3))`. On a thread whose event loop is
        running it raises RuntimeError: that caller must await instead."""
        return self.database.blocking(call)

    async def aclose(self) -> None:
        await self.database.aclose()

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> MemoryStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def _postgres(self) -> bool:
        return not self.database.location.is_sqlite

    # -- sessions -----------------------------------------------------------------------

    async def ensure_session(
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

        async def work(conn: AsyncConnection) -> None:
            await self._ensure_session(conn, session_id, channel, user_id, title, now)

        await self.database.write(work)

    async def begin_turn(
        self,
        session_id: str,
        message: ChatMessage,
        *,
        channel: str,
        user_id: str | None,
        history: int | None = None,
    ) -> OpenedTurn:
        """A turn's first write, one transaction (one commit): make sure of the session,
        store the user's `message` and mark the turn open; returns the message's row id,
        the turn `settle_turn` settles.

        A turn of the session left open (never settled) is closed first: if its message
        is the session's last and says the same (a client sending it again after an
        error), the new turn continues on it and nothing is stored twice; otherwise
        `UNSETTLED_TURN` is stored as its answer, before the new message.

        With `history`, the turn's context comes back too: what `turn_context(session_id,
        history)` reads once the message is stored, read in this same transaction, so a
        turn needs no second one (and no second pair of hand-offs to the storage loop)
        before its prompt. A session this call creates holds nothing but the message (its
        messages and summaries could only reference it once it existed: foreign keys), so
        its context is made from what was written, without reading."""
        now = _now()
        content = valid_text(message.content)

        async def work(conn: AsyncConnection) -> OpenedTurn:
            created, left_open = await self._ensure_session(
                conn, session_id, channel, user_id, None, now
            )
            if left_open is not None:
                last = (await conn.execute(_LAST_MESSAGE, {"sid": session_id})).first()
                if last is not None and tuple(last) == (left_open, "user", content):
                    return await _opened(conn, session_id, left_open, history)
                await conn.execute(_INSERT_MESSAGE, _message_row(session_id, UNSETTLED_TURN, now))
            message_id = await _append(conn, session_id, message, now, opening=True)
            if created and history is not None:
                stored = _stored_message(_read_back(message_id, session_id, message, now))
                return OpenedTurn(message_id, TurnContext([stored][: _bounded(history)], None))
            return await _opened(conn, session_id, message_id, history)

        return await self.database.write(work)

    async def _ensure_session(
        self,
        conn: AsyncConnection,
        session_id: str,
        channel: str,
        user_id: str | None,
        title: str | None,
        now: str,
    ) -> tuple[bool, int | None]:
        """Create the session or check its owner. Whether this call created it, and the
        turn an existing session has left open (`sessions.open_turn`, read with the
        owner; None for a new session)."""
        # Insert-or-keep first: two replicas creating one session never collide.
        created = await conn.execute(
            _NEW_SESSION[self._postgres],
            {
                "id": session_id,
                "user_id": user_id,
                "channel": channel,
                "title": title,
                "created_at": now,
                "updated_at": now,
            },
        )
        if created.rowcount == 1:
            return True, None
        owner, left_open = (await conn.execute(_OWNER, {"sid": session_id})).one()
        if user_id is not None and owner != user_id:
            raise SessionOwnerError(
                f"session {session_id!r} belongs to another user",
                hint="start a new session id for this user",
            )
        if title is not None:
            await conn.execute(_set_title_if_unset(session_id, title))
        return False, None if left_open is None else int(left_open)

    async def get_session(self, session_id: str) -> SessionInfo | None:
        async def work(conn: AsyncConnection) -> SessionInfo | None:
            row = (
                await conn.execute(sa.select(*_SESSION_COLUMNS).where(sessions.c.id == session_id))
            ).first()
            return None if row is None else _session(row)

        return await self.database.read(work)

    async def list_sessions(self, limit: int = 50) -> list[SessionInfo]:
        """The most recently active sessions first."""

        async def work(conn: AsyncConnection) -> list[SessionInfo]:
            rows = await conn.execute(
                sa.select(*_SESSION_COLUMNS)
                .order_by(sessions.c.updated_at.desc(), sessions.c.created_at.desc(), sessions.c.id)
                .limit(_bounded(limit))
            )
            return [_session(row) for row in rows]

        return await self.database.read(work)

    # -- messages -----------------------------------------------------------------------

    async def append_message(self, session_id: str, message: ChatMessage) -> int:
        """Store `message` at the end of the session; return its row id."""
        now = _now()

        async def work(conn: AsyncConnection) -> int:
            return await _append(conn, session_id, message, now)

        return await self.database.write(work)

    async def append_messages(self, session_id: str, batch: Sequence[ChatMessage]) -> None:
        """Store `batch` at the end of the session, all of it or none: one transaction and
        one multi-row insert, so a long conversation costs one commit, not one per
        message, and the storage loop stays responsive."""
        if not batch:
            return
        now = _now()
        rows = [_message_row(session_id, message, now) for message in batch]

        async def work(conn: AsyncConnection) -> None:
            if (
                await conn.scalar(sa.select(sessions.c.id).where(sessions.c.id == session_id))
                is None
            ):
                raise _unknown_session(session_id)
            await conn.execute(messages.insert(), rows)
            await _touch(conn, session_id, batch, now)

        await self.database.write(work)

    async def settle_turn(
        self, session_id: str, writes: TurnWrites, *, opened: int | None = None
    ) -> None:
        """Store everything a turn produced, and mark the turn `opened` settled: one
        transaction, all of it or none. If the session's open turn is no longer `opened`
        (another request closed it: this turn lost its session lock), nothing is stored
        (`TurnSupersededError`)."""
        now = _now()
        rows = [_message_row(session_id, message, now) for message in writes.messages]
        results = [
            _tool_result_row(session_id, call, result, provenance, now)
            for call, result, provenance in writes.tool_results
        ]

        async def work(conn: AsyncConnection) -> None:
            if opened is not None:
                # The session's touch settles the turn too: one UPDATE, first, so a
                # superseded turn stores nothing.
                if not await _touch(conn, session_id, writes.messages, now, settling=opened):
                    raise TurnSupersededError(
                        f"the turn of session {session_id!r} was closed by another request "
                        "while it ran (its session lock was lost with its connection): "
                        "its work was not stored",
                        hint="send the message again",
                    )
            elif (
                await conn.scalar(sa.select(sessions.c.id).where(sessions.c.id == session_id))
                is None
            ):
                raise _unknown_session(session_id)
            if results:
                await conn.execute(_INSERT_TOOL_RESULT, results)
            if rows:
                await conn.execute(_INSERT_MESSAGE, rows)
            if opened is None:
                await _touch(conn, session_id, writes.messages, now)

        await self.database.write(work)

    async def open_turn_of(self, session_id: str) -> int | None:
        """The id of the user message whose turn is open in `session_id`, if any."""

        async def work(conn: AsyncConnection) -> int | None:
            found = await conn.scalar(
                sa.select(sessions.c.open_turn).where(sessions.c.id == session_id)
            )
            return None if found is None else int(found)

        return await self.database.read(work)

    async def load_history(self, session_id: str, limit: int) -> list[StoredMessage]:
        """The `limit` most recent messages not yet compacted, oldest first."""

        async def work(conn: AsyncConnection) -> list[StoredMessage]:
            return await _history(conn, session_id, limit)

        return await self.database.read(work)

    async def turn_context(self, session_id: str, limit: int) -> TurnContext:
        """`load_history` and `latest_summary` (of compactions) in one read: what a turn
        builds its prompt from."""

        async def work(conn: AsyncConnection) -> TurnContext:
            return await _turn_context(conn, session_id, limit)

        return await self.database.read(work)

    async def session_messages(self, session_id: str) -> list[StoredMessage]:
        """Every message of the session, compacted ones included, oldest first."""

        async def work(conn: AsyncConnection) -> list[StoredMessage]:
            rows = await conn.execute(
                sa.select(*_MESSAGE_COLUMNS)
                .where(messages.c.session_id == session_id)
                .order_by(messages.c.id)
            )
            return [_stored_message(row) for row in rows]

        return await self.database.read(work)

    async def record_tool_result(
        self,
        session_id: str,
        call: ToolCall,
        result: ToolResult,
        provenance: ToolProvenance | None = None,
    ) -> None:
        """Store a tool call's result and, in the same row, where the call went and what
        stood in its way (`provenance`; None stores "not recorded"). A turn's results go
        in its settling write instead (`settle_turn`)."""
        row = _tool_result_row(session_id, call, result, provenance, _now())

        async def work(conn: AsyncConnection) -> None:
            try:
                await conn.execute(tool_results.insert().values(row))
            except IntegrityError as exc:
                raise _unknown_session(session_id) from exc

        await self.database.write(work)

    async def session_tool_calls(self, session_id: str) -> list[StoredToolCall]:
        """Every tool result stored for the session, with its provenance, oldest first."""

        async def work(conn: AsyncConnection) -> list[StoredToolCall]:
            rows = await conn.execute(
                sa.select(*_TOOL_CALL_COLUMNS)
                .where(tool_results.c.session_id == session_id)
                .order_by(tool_results.c.id)
            )
            return [_stored_tool_call(row) for row in rows]

        return await self.database.read(work)

    # -- summaries ----------------------------------------------------------------------

    async def compact(self, session_id: str, summary: str, upto_message_id: int) -> None:
        """Store `summary` and retire the messages it replaces, both or neither."""

        async def work(conn: AsyncConnection) -> None:
            await self._insert_summary(conn, session_id, summary, kind="compaction", user_id=None)
            await conn.execute(
                messages.update()
                .where(messages.c.session_id == session_id, messages.c.id <= upto_message_id)
                .values(compacted=1)
            )

        await self.database.write(work)

    async def add_summary(
        self, session_id: str, content: str, *, kind: str, user_id: str | None = None
    ) -> int:
        """Store a summary; without `user_id` it belongs to the session's user."""

        async def work(conn: AsyncConnection) -> int:
            return await self._insert_summary(conn, session_id, content, kind=kind, user_id=user_id)

        return await self.database.write(work)

    async def latest_summary(self, session_id: str, kind: str = "compaction") -> str | None:
        async def work(conn: AsyncConnection) -> str | None:
            return await _latest_summary(conn, session_id, kind)

        return await self.database.read(work)

    async def recall_summaries(
        self, query: str, *, user_id: str | None, limit: int
    ) -> list[Summary]:
        """Summaries of `user_id` (None: of no user) best matching `query`; an empty
        query gives the most recent. Other users' summaries are never returned."""
        terms = search.search_terms(query)
        owner = summaries.c.user_id.is_(None) if user_id is None else summaries.c.user_id == user_id
        statement = sa.select(*_SUMMARY_COLUMNS).where(owner).limit(_bounded(limit))
        if not terms:
            statement = statement.order_by(summaries.c.id.desc())
        elif self._postgres:
            vector, query_vector = _SUMMARY_VECTOR, search.tsquery(terms)
            statement = statement.where(vector.op("@@")(query_vector)).order_by(
                sa.func.ts_rank(vector, query_vector).desc(), summaries.c.id.desc()
            )
        else:
            statement = (
                statement.join_from(
                    summaries, _FTS_SUMMARIES, _FTS_SUMMARIES.c.rowid == summaries.c.id
                )
                .where(
                    sa.text("summaries_fts MATCH :match").bindparams(match=search.fts5_match(terms))
                )
                .order_by(sa.text("summaries_fts.rank"), summaries.c.id.desc())
            )

        async def work(conn: AsyncConnection) -> list[Summary]:
            return [_summary(row) for row in await conn.execute(statement)]

        return await self.database.read(work)

    async def _insert_summary(
        self,
        conn: AsyncConnection,
        session_id: str,
        content: str,
        *,
        kind: str,
        user_id: str | None,
    ) -> int:
        session = (
            await conn.execute(sa.select(sessions.c.user_id).where(sessions.c.id == session_id))
        ).first()
        if session is None:
            raise _unknown_session(session_id)
        inserted = await conn.execute(
            summaries.insert().values(
                session_id=session_id,
                user_id=user_id if user_id is not None else session[0],
                kind=kind,
                content=content,
                created_at=_now(),
            )
        )
        row_id = int(cast(Any, inserted.inserted_primary_key)[0])
        if self._postgres:
            await conn.execute(
                _SUMMARY_SEARCH.update()
                .where(_SUMMARY_SEARCH.c.id == row_id)
                .values(search=search.summary_vector(content))
            )
        return row_id

    # -- key-value memories ---------------------------------------------------------------

    async def remember(self, key: str, value: str, *, namespace: str = DEFAULT_NAMESPACE) -> None:
        """Store `value` under `key`, replacing what was there."""
        now = _now()
        insert = self._insert(memories).values(
            namespace=namespace, key=key, value=value, created_at=now, updated_at=now
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[memories.c.namespace, memories.c.key],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
        ).returning(memories.c.id)

        async def work(conn: AsyncConnection) -> None:
            row_id = (await conn.execute(upsert)).scalar_one()
            if self._postgres:
                await conn.execute(
                    _MEMORY_SEARCH.update()
                    .where(_MEMORY_SEARCH.c.id == row_id)
                    .values(search=search.memory_vector(key, value))
                )

        await self.database.write(work)

    async def get_memory(self, key: str, namespace: str = DEFAULT_NAMESPACE) -> Memory | None:
        async def work(conn: AsyncConnection) -> Memory | None:
            row = (
                await conn.execute(
                    sa.select(*_MEMORY_COLUMNS).where(
                        memories.c.namespace == namespace, memories.c.key == key
                    )
                )
            ).first()
            return None if row is None else _memory(row)

        return await self.database.read(work)

    async def forget(self, key: str, *, namespace: str = DEFAULT_NAMESPACE) -> bool:
        """Delete the memory; False when there was none."""

        async def work(conn: AsyncConnection) -> bool:
            deleted = await conn.execute(
                memories.delete().where(memories.c.namespace == namespace, memories.c.key == key)
            )
            return deleted.rowcount > 0

        return await self.database.write(work)

    async def recall(self, query: str, *, limit: int, namespace: str | None = None) -> list[Memory]:
        """Memories best matching `query` (in `namespace`, or all); an empty query, or one
        without any word, gives the most recently updated."""
        terms = search.search_terms(query)
        statement = sa.select(*_MEMORY_COLUMNS).limit(_bounded(limit))
        if namespace is not None:
            statement = statement.where(memories.c.namespace == namespace)
        if not terms:
            statement = statement.order_by(memories.c.updated_at.desc(), memories.c.id.desc())
        elif self._postgres:
            vector, query_vector = _MEMORY_VECTOR, search.tsquery(terms)
            statement = statement.where(vector.op("@@")(query_vector)).order_by(
                search.memory_rank(vector, query_vector).desc(), memories.c.updated_at.desc()
            )
        else:
            statement = (
                statement.join_from(memories, _FTS_MEMORIES, _FTS_MEMORIES.c.rowid == memories.c.id)
                .where(
                    sa.text("memories_fts MATCH :match").bindparams(match=search.fts5_match(terms))
                )
                # A key match weighs twice a value match: keys are what the fact is about.
                .order_by(sa.text("bm25(memories_fts, 2.0, 1.0)"), memories.c.updated_at.desc())
            )

        async def work(conn: AsyncConnection) -> list[Memory]:
            return [_memory(row) for row in await conn.execute(statement)]

        return await self.database.read(work)

    # -- response ids (the gateway's Responses API) --------------------------------------

    async def record_response(self, response_id: str, session_id: str) -> None:
        """`response_id` was a turn of `session_id` (which must exist)."""
        insert = self._insert(responses).values(
            id=response_id, session_id=session_id, created_at=_now()
        )

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(insert)

        await self.database.write(work)

    async def response_session(self, response_id: str) -> str | None:
        """The session `response_id` was a turn of; None for an id never recorded."""

        async def work(conn: AsyncConnection) -> str | None:
            found = await conn.scalar(
                sa.select(responses.c.session_id).where(responses.c.id == response_id)
            )
            return None if found is None else str(found)

        return await self.database.read(work)

    async def latest_response(self, session_id: str) -> str | None:
        """The id of the last response recorded for `session_id`, if any."""
        statement = (
            sa.select(responses.c.id)
            .where(responses.c.session_id == session_id)
            .order_by(responses.c.created_at.desc())
            .limit(1)
        )

        async def work(conn: AsyncConnection) -> str | None:
            found = await conn.scalar(statement)
            return None if found is None else str(found)

        return await self.database.read(work)

    # -- plumbing -----------------------------------------------------------------------

    def _insert(self, table: sa.Table) -> Any:
        """INSERT for this backend, with its ON CONFLICT clauses."""
        return postgresql.insert(table) if self._postgres else sqlite_dialect.insert(table)


# A turn's statements, built once with bound parameters: SQLAlchemy finds each in its
# compiled cache by a memoized key, where a statement built per call (values inlined) has
# its key made anew by walking it, which was most of a small write's time in the profile.
_INSERT_MESSAGE = messages.insert()
_INSERT_TOOL_RESULT = tool_results.insert()
_TOUCH = (
    sessions.update()
    .where(sessions.c.id == sa.bindparam("sid"))
    .values(updated_at=sa.bindparam("now"))
)
# ... and the first thing its user said names it, unless it has a title.
_TOUCH_AND_NAME = _TOUCH.values(title=sa.func.coalesce(sessions.c.title, sa.bindparam("said")))
# ... and, opening a turn, marks it open (`sessions.open_turn`) in the same UPDATE.
_TOUCH_OPENING = _TOUCH.values(open_turn=sa.bindparam("turn"))
_TOUCH_AND_NAME_OPENING = _TOUCH_AND_NAME.values(open_turn=sa.bindparam("turn"))
# ... and, settling the turn `opened`, marks it settled if it is still the session's open
# one (no row updated: it is not).
_TOUCH_SETTLING = _TOUCH.where(sessions.c.open_turn == sa.bindparam("opened")).values(
    open_turn=None
)
_TOUCH_AND_NAME_SETTLING = _TOUCH_AND_NAME.where(
    sessions.c.open_turn == sa.bindparam("opened")
).values(open_turn=None)
# FOR UPDATE (PostgreSQL; SQLite's write lock already serializes): a turn settling
# concurrently is waited for, so a settled turn is never closed a second time.
_OWNER = (
    sa.select(sessions.c.user_id, sessions.c.open_turn)
    .where(sessions.c.id == sa.bindparam("sid"))
    .with_for_update()
)


def _last_message(compacted: int) -> sa.Subquery:
    return (
        sa.select(messages.c.id, messages.c.role, messages.c.content)
        .where(messages.c.session_id == sa.bindparam("sid"), messages.c.compacted == compacted)
        .order_by(messages.c.id.desc())
        .limit(1)
        .subquery()
    )


# The session's last message, for a turn left open: the later of its last message not
# compacted and its last compacted one, each one step back along the index
# `messages_by_session` (session_id, compacted, id). Ordered by id over the session alone,
# the query could not use that index: SQLite read and sorted every message of the session,
# PostgreSQL walked the primary key back over every later message of every session.
_LAST_TWO = sa.union_all(*(sa.select(_last_message(flag)) for flag in (0, 1))).subquery()
_LAST_MESSAGE = sa.select(_LAST_TWO).order_by(_LAST_TWO.c.id.desc()).limit(1)
# Keyed by "is it PostgreSQL": each backend's INSERT ... ON CONFLICT DO NOTHING.
_NEW_SESSION = {
    postgres: insert(sessions).on_conflict_do_nothing(index_elements=[sessions.c.id])
    for postgres, insert in ((False, sqlite_dialect.insert), (True, postgresql.insert))
}
_HISTORY = (
    sa.select(*_MESSAGE_COLUMNS)
    .where(messages.c.session_id == sa.bindparam("sid"), messages.c.compacted == 0)
    .order_by(messages.c.id.desc())
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_LATEST_SUMMARY = (
    sa.select(summaries.c.content)
    .where(summaries.c.session_id == sa.bindparam("sid"), summaries.c.kind == sa.bindparam("kind"))
    .order_by(summaries.c.id.desc())
    .limit(1)
)


async def _append(
    conn: AsyncConnection,
    session_id: str,
    message: ChatMessage,
    now: str,
    *,
    opening: bool = False,
) -> int:
    """Store `message`; `opening`: it opens a turn, marked open in the session's touch."""
    try:
        inserted = await conn.execute(_INSERT_MESSAGE, _message_row(session_id, message, now))
    except IntegrityError as exc:
        raise _unknown_session(session_id) from exc
    message_id = int(cast(Any, inserted.inserted_primary_key)[0])
    await _touch(conn, session_id, [message], now, opening=message_id if opening else None)
    return message_id


async def _history(conn: AsyncConnection, session_id: str, limit: int) -> list[StoredMessage]:
    rows = await conn.execute(_HISTORY, {"sid": session_id, "limit": _bounded(limit)})
    return [_stored_message(row) for row in reversed(rows.all())]


async def _latest_summary(conn: AsyncConnection, session_id: str, kind: str) -> str | None:
    found = await conn.scalar(_LATEST_SUMMARY, {"sid": session_id, "kind": kind})
    return None if found is None else str(found)


async def _opened(
    conn: AsyncConnection, session_id: str, message_id: int, history: int | None
) -> OpenedTurn:
    """The turn opened on `message_id`, with its context read when asked for."""
    if history is None:
        return OpenedTurn(message_id)
    context = await _turn_context(conn, session_id, history)
    return OpenedTurn(message_id, context)


async def _turn_context(conn: AsyncConnection, session_id: str, limit: int) -> TurnContext:
    history = await _history(conn, session_id, limit)
    return TurnContext(history, await _latest_summary(conn, session_id, "compaction"))


async def _touch(
    conn: AsyncConnection,
    session_id: str,
    added: Sequence[ChatMessage],
    now: str,
    *,
    opening: int | None = None,
    settling: int | None = None,
) -> bool:
    """The session was active now; the first thing its user said names it in lists (one
    UPDATE: a title already set is kept). In the same UPDATE, `opening`, the message
    opening a turn, is marked the session's open turn, or the turn `settling` is marked
    settled if it is still the open one. Whether the session's row was updated."""
    said = next((m.content for m in added if m.role == "user" and m.content.strip()), None)
    values: dict[str, Any] = {"sid": session_id, "now": now}
    if said is not None:
        values["said"] = _title_of(valid_text(said))
    if opening is not None:
        values["turn"] = opening
        statement = _TOUCH_OPENING if said is None else _TOUCH_AND_NAME_OPENING
    elif settling is not None:
        values["opened"] = settling
        statement = _TOUCH_SETTLING if said is None else _TOUCH_AND_NAME_SETTLING
    else:
        statement = _TOUCH if said is None else _TOUCH_AND_NAME
    return bool((await conn.execute(statement, values)).rowcount == 1)


def _set_title_if_unset(session_id: str, title: str) -> sa.Update:
    return (
        sessions.update()
        .where(sessions.c.id == session_id, sessions.c.title.is_(None))
        .values(title=title)
    )


def _message_row(session_id: str, message: ChatMessage, now: str) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "role": message.role,
        "content": valid_text(message.content),
        "tool_calls": _tool_calls_json(message.tool_calls),
        "tool_call_id": _valid(message.tool_call_id),
        "name": _valid(message.name),
        "created_at": now,
    }


def _tool_result_row(
    session_id: str,
    call: ToolCall,
    result: ToolResult,
    provenance: ToolProvenance | None,
    now: str,
) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "call_id": valid_text(call.id),
        "tool_name": valid_text(call.name),
        "arguments": valid_text(call.arguments_json()),
        "success": int(result.success),
        "output": valid_text(result.output),
        "error": _valid(result.error),
        "created_at": now,
        **_provenance_row(provenance),
    }


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


def _read_back(message_id: int, session_id: str, message: ChatMessage, now: str) -> tuple[Any, ...]:
    """The row of `_HISTORY` that reading the message just stored would give."""
    row = _message_row(session_id, message, now)
    return (
        message_id,
        row["role"],
        row["content"],
        row["tool_calls"],
        row["tool_call_id"],
        row["name"],
        row["created_at"],
        0,
    )


def _stored_message(row: Sequence[Any]) -> StoredMessage:
    row_id, role, content, tool_calls, tool_call_id, name, created_at, compacted = row
    message = ChatMessage(
        role=cast(Role, role),
        content=content,
        tool_calls=_tool_calls(tool_calls),
        tool_call_id=tool_call_id,
        name=name,
    )
    return StoredMessage(row_id, message, _time(created_at), bool(compacted))


def _provenance_row(provenance: ToolProvenance | None) -> dict[str, Any]:
    """The provenance columns of a tool result's row, every one of them (NULL: not
    recorded), so rows with and without provenance go in one multi-row insert."""
    if provenance is None:
        return dict.fromkeys(PROVENANCE_COLUMNS)
    return {
        "owner_kind": provenance.owner_kind,
        "owner_name": _valid(provenance.owner_name),
        "owner_version": _valid(provenance.owner_version),
        "approval": provenance.approval,
        "hooks": _hooks_json(provenance.hooks),
        "blocked_by": _valid(provenance.blocked_by),
        "duration_ms": provenance.duration_ms,
    }


# The hooks column of the calls whose steps are one shared tuple (agent/provenance.py
# shares a tuple per distinct sequence of steps), keyed by the tuple's identity: a call
# through ten hook plugins would otherwise look ten steps up and join their text. An
# entry holds its tuple, so its id is not reused while the entry is there; bounded.
_HOOKS_TEXT: dict[int, tuple[tuple[HookStepRecord, ...], str]] = {}
_MAX_HOOKS_TEXT = 1024


def _hooks_json(hooks: tuple[HookStepRecord, ...]) -> str:
    """What json.dumps(list of the steps' objects) writes, made once per shared tuple."""
    cached = _HOOKS_TEXT.get(id(hooks))
    if cached is not None and cached[0] is hooks:
        return cached[1]
    text = valid_text("[" + ", ".join([_hook_step_json(step) for step in hooks]) + "]")
    if len(_HOOKS_TEXT) >= _MAX_HOOKS_TEXT:
        _HOOKS_TEXT.clear()
    _HOOKS_TEXT[id(hooks)] = (hooks, text)
    return text


@functools.lru_cache(maxsize=4096)
def _hook_step_json(step: HookStepRecord) -> str:
    """One hook step as stored: a JSON object. The steps of a handler repeat from tool
    call to tool call (the provenance records are shared, agent/provenance.py), so the
    text is made once per distinct step."""
    return json.dumps(
        {
            "event": step.event,
            "handler": step.handler,
            "source": step.source,
            "verdict": step.verdict,
            "detail": step.detail,
            "fields": list(step.fields),
        },
        ensure_ascii=False,
    )


def _stored_tool_call(row: Sequence[Any]) -> StoredToolCall:
    (row_id, session_id, call_id, tool_name, arguments, success, output, error, created_at) = row[
        :9
    ]
    return StoredToolCall(
        row_id,
        session_id,
        call_id,
        tool_name,
        arguments,
        bool(success),
        output,
        error,
        _time(created_at),
        _provenance(row[9:]),
    )


def _provenance(columns: Sequence[Any]) -> ToolProvenance | None:
    owner_kind, owner_name, owner_version, approval, hooks, blocked_by, duration_ms = columns
    if owner_kind is None:
        return None  # stored before provenance was kept
    try:
        steps = tuple(
            HookStepRecord(
                str(step["event"]),
                str(step["handler"]),
                str(step["source"]),
                step["verdict"],
                step.get("detail"),
                tuple(str(name) for name in step.get("fields", ())),
            )
            for step in json.loads(hooks or "[]")
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # an imported row whose hooks are not ours to read: not recorded
    return ToolProvenance(
        owner_kind,
        owner_name,
        owner_version,
        approval or "not_needed",
        steps,
        blocked_by,
        None if duration_ms is None else float(duration_ms),
    )


def _session(row: Sequence[Any]) -> SessionInfo:
    session_id, user_id, channel, title, created_at, updated_at, count, open_turn = row
    return SessionInfo(
        session_id,
        user_id,
        channel,
        title,
        _time(created_at),
        _time(updated_at),
        count,
        open_turn,
    )


def _summary(row: Sequence[Any]) -> Summary:
    row_id, session_id, user_id, kind, content, created_at = row
    return Summary(row_id, session_id, user_id, kind, content, _time(created_at))


def _memory(row: Sequence[Any]) -> Memory:
    namespace, key, value, created_at, updated_at = row
    return Memory(namespace, key, value, _time(created_at), _time(updated_at))


def _bounded(limit: int) -> int:
    # A negative LIMIT means "no limit" to SQLite and an error to PostgreSQL; a caller's
    # bad arithmetic must not turn into loading a whole table.
    return max(limit, 0)
