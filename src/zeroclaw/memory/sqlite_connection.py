"""SQLite transactions run straight on `sqlite3`, with the statements SQLAlchemy compiled.

The store's work functions (store.py, fleet/, transfer.py) are written once for both
backends against SQLAlchemy's `AsyncConnection`: `execute`, `scalar` and `stream` of Core
statements, and the results' `first`, `one`, `all`, `scalar`, `scalar_one`, `rowcount`,
`inserted_primary_key` and `mappings`. On PostgreSQL they run on SQLAlchemy's async
engine. On SQLite, `SqliteConnection` offers that same surface over a `sqlite3`
connection: each statement is compiled by SQLAlchemy's SQLite dialect once per shape
(`_Compiled`, found by the statement's cache key as SQLAlchemy's own compiled cache finds
it) and its parameters bound the way SQLAlchemy binds them; only the execution differs.
What it skips is what a turn's small transactions paid for most (profiled under load, two
thirds of the gateway's GIL time): the async adaptation (a greenlet per call, aiosqlite's
cursor wrappers), the engine's events, pool checkout and result machinery, some 0.1 ms a
statement, against ~10 us for SQLite itself.

Where statements run. On the storage loop's thread (storage_loop.py), one transaction at
a time per connection, as before. What may take long goes to a worker thread, so the
storage loop keeps serving the other connections: `executemany` (a batch of up to
gateway.max_messages rows), and a `BEGIN IMMEDIATE` that finds the write lock held by
another process (tried first without waiting; only when that fails does it wait, up to
`busy_timeout`, off the loop). The process's own writers never contend: they queue on the
storage loop (database.py). So that first try needs no `PRAGMA busy_timeout` around it,
connections that served a write are kept apart at `busy_timeout = 0`: in WAL mode
nothing after a successful `BEGIN IMMEDIATE` waits for a lock (the write lock is held
and reads use the transaction's snapshot), and a connection that had to wait, or serves
a read (which may meet another process's WAL recovery and must wait for it), is at the
full `busy_timeout`.

Connections are opened (and checked: schema read first, WAL, `synchronous`; engine.py's
`configure_sqlite`) on a worker thread, kept in a small idle list and reused; one that a
failure left in doubt (its ROLLBACK failed, or a worker thread still holds it) is closed,
never reused. Closing the pool closes them all; the last close checkpoints the WAL.
Driver errors surface as SQLAlchemy's wrappers (`IntegrityError`, `OperationalError`,
... with the `sqlite3` error as `orig`), as they did through the engine, so callers and
memory/failures.py read them the same way on both paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, TypeVar, cast

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from zeroclaw.memory.engine import BUSY_TIMEOUT_MS, configure_sqlite
from zeroclaw.memory.location import DatabaseLocation

T = TypeVar("T")
Row = tuple[Any, ...]
# Idle connections kept open for the next transactions: one per request a gateway
# usually has in flight, so a busy one does not open and close connections.
SQLITE_POOL_SIZE: Final = 8
# Rows fetched at a time by `stream` (an export reads whole tables).
STREAM_CHUNK: Final = 256


# `sqlite3` binds a parameter that is not exactly an int, float or str through its
# adapters; with none registered for None it asks the protocol type for `__adapt__`,
# which formats (and drops) an AttributeError for every NULL bound, some nine a turn.
# Adapted to itself, None is bound as NULL as before, in every connection of the process.
# The adapter is `{}.get`: None for None, and a C call, not a Python function's frame.
sqlite3.register_adapter(type(None), cast(Callable[[None], None], {}.get))


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement as SQLite runs it: its SQL, and how to turn SQLAlchemy's parameters
    into the positional ones (qmark) in its order."""

    compiled: SQLCompiler
    sql: str
    names: tuple[str, ...]
    expands: bool  # an IN (...) of a list: its SQL depends on the parameters
    # Per result column, what turns SQLite's value into the column type's (None: as is);
    # empty when no column needs it (ZeroClaw's tables: TEXT, INTEGER, REAL).
    converters: tuple[Callable[[Any], Any] | None, ...]

    def rows(self, fetched: list[Row]) -> list[Row]:
        if not self.converters:
            return fetched
        return [
            tuple(v if f is None else f(v) for f, v in zip(self.converters, row, strict=False))
            for row in fetched
        ]

    # Neither expanded nor processed, no value computed per call: its parameters can be
    # bound from a template (`_Prepared`), without construct_params's per-call work (a
    # batch of 10,000 rows binds on the storage loop's thread).
    plain: bool

    def statement(
        self, params: Mapping[str, Any] | None, extracted: Sequence[Any] | None
    ) -> tuple[str, Row]:
        """The SQL and positional parameters, bound by SQLAlchemy's `construct_params`."""
        compiled = self.compiled
        values = compiled.construct_params(params, extracted_parameters=extracted)
        assert values is not None, "a compiled statement has parameters, if none"
        if self.expands:
            expanded = compiled._process_parameters_for_postcompile(values)
            values, sql = dict(expanded.parameters), expanded.statement
            names: Sequence[str] = expanded.positiontup or ()
        else:
            sql, names = self.sql, self.names
        processors: Mapping[str, Any] = compiled._bind_processors
        if processors:
            for name, process in processors.items():
                if name in values:
                    values[name] = process(values[name])
        return sql, tuple(values[name] for name in names)


class SqliteResult:
    """What an executed statement gave: its rows (fetched), row count and last row id."""

    def __init__(
        self, rows: list[Row], keys: tuple[str, ...], rowcount: int, lastrowid: int | None
    ) -> None:
        self._rows = rows
        self._keys = keys
        self.rowcount = rowcount
        self._lastrowid = lastrowid

    @property
    def inserted_primary_key(self) -> tuple[int | None]:
        return (self._lastrowid,)

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)

    def all(self) -> list[Row]:
        return list(self._rows)

    def first(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Row:
        if len(self._rows) != 1:
            if not self._rows:
                raise sa_exc.NoResultFound("No row was found when one was required")
            raise sa_exc.MultipleResultsFound(
                "Multiple rows were found when exactly one was required"
            )
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def mappings(self) -> list[dict[str, Any]]:
        return [dict(zip(self._keys, row, strict=True)) for row in self._rows]


class SqliteStream:
    """`stream`'s result: rows fetched a chunk at a time, the loop free between chunks."""

    def __init__(self, cursor: sqlite3.Cursor, compiled: _Compiled) -> None:
        self._cursor = cursor
        self._compiled = compiled
        self._keys = tuple(column[0] for column in cursor.description or ())

    async def mappings(self) -> AsyncIterator[dict[str, Any]]:
        try:
            while rows := self._cursor.fetchmany(STREAM_CHUNK):
                for row in self._compiled.rows(rows):
                    yield dict(zip(self._keys, row, strict=True))
                await asyncio.sleep(0)
        finally:
            self._cursor.close()


class SqliteConnection:
    """The part of `AsyncConnection` the store's work uses, on one `sqlite3` connection
    inside a transaction the pool began (module docstring)."""

    def __init__(self, raw: sqlite3.Connection, statements: _Statements) -> None:
        self.raw = raw
        self._statements = statements
        # A call handed to a worker thread that a cancellation left running: the
        # connection is that thread's until it ends, and is never reused.
        self.elsewhere: asyncio.Future[Any] | None = None

    async def execute(
        self,
        statement: ClauseElement,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> SqliteResult:
        if isinstance(parameters, Sequence) and not isinstance(parameters, Mapping):
            if len(parameters) > 1:
                return await self._execute_many(statement, parameters)
            parameters = parameters[0] if parameters else None
        compiled, sql, values = self._statements.prepare(statement, parameters)
        cursor = self._run(self.raw.execute, sql, values)
        try:
            rows = compiled.rows(cursor.fetchall()) if cursor.description else []
            keys = tuple(column[0] for column in cursor.description or ())
            return SqliteResult(rows, keys, cursor.rowcount, cursor.lastrowid)
        except sqlite3.Error as error:
            raise _wrapped(error, sql, values) from error
        finally:
            cursor.close()

    async def scalar(
        self, statement: ClauseElement, parameters: Mapping[str, Any] | None = None
    ) -> Any:
        return (await self.execute(statement, parameters)).scalar()

    async def stream(self, statement: ClauseElement) -> SqliteStream:
        compiled, sql, values = self._statements.prepare(statement, None)
        return SqliteStream(self._run(self.raw.execute, sql, values), compiled)

    async def _execute_many(
        self, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]
    ) -> SqliteResult:
        prepared = self._statements.prepared(statement, rows[0], many=True)
        sql = prepared.sql
        values = [prepared.bind(row) for row in rows]
        # A batch may be long: on a worker thread, so the storage loop goes on serving.
        cursor = await self.off_loop(self.raw.executemany, sql, values)
        rowcount = cursor.rowcount
        cursor.close()
        return SqliteResult([], (), rowcount, None)

    def _run(self, call: Callable[..., sqlite3.Cursor], sql: str, values: Any) -> sqlite3.Cursor:
        try:
            return call(sql, values)
        except sqlite3.Error as error:
            raise _wrapped(error, sql, values) from error

    async def off_loop(self, call: Callable[..., Any], *args: Any) -> Any:
        """`call(*args)` on a worker thread; a cancelled caller leaves the connection to it."""
        future = asyncio.get_running_loop().run_in_executor(None, call, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            self.elsewhere = future
            raise
        except sqlite3.Error as error:
            raise _wrapped(error, str(args[0]) if args else "", None) from error


class _Statements:
    """Statements compiled once per shape for the engine's SQLite dialect.

    A statement is compiled once per shape: found by its cache key, as SQLAlchemy's own
    compiled cache finds it. The store builds most of its statements once (module
    constants), so each statement object is also remembered by identity (weakly: one
    built per call is forgotten with it), with its cache key's extracted literal values
    and, for a plain statement, the positional parameters as a template: the caller's
    names and the statement's own values (a `LIMIT 1`, a `compacted = 0`). Found that
    way, a statement costs neither a cache key nor SQLAlchemy's `construct_params`, which
    were most of a turn's statement preparation on the storage loop."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._cache: dict[Any, _Compiled] = {}
        self._known: weakref.WeakKeyDictionary[ClauseElement, dict[_Shape, _Prepared]] = (
            weakref.WeakKeyDictionary()
        )

    def prepare(
        self, statement: ClauseElement, parameters: Mapping[str, Any] | None
    ) -> tuple[_Compiled, str, Row]:
        prepared = self.prepared(statement, parameters, many=False)
        return prepared.compiled, *prepared.statement(parameters)

    def prepared(
        self, statement: ClauseElement, parameters: Mapping[str, Any] | None, *, many: bool
    ) -> _Prepared:
        """`statement` compiled for `parameters`' names (`many`: for executemany)."""
        shape = (tuple(parameters) if parameters else (), many)
        shapes = self._known.get(statement)
        found = None if shapes is None else shapes.get(shape)
        if found is None:
            found, cacheable = self._prepare(statement, parameters, shape)
            if cacheable:
                self._known.setdefault(statement, {})[shape] = found
        return found

    def _prepare(
        self, statement: ClauseElement, parameters: Mapping[str, Any] | None, shape: _Shape
    ) -> tuple[_Prepared, bool]:
        """`statement` prepared, and whether it may be remembered."""
        keys, many = shape
        cache_key = statement._generate_cache_key()
        if cache_key is None:  # a statement SQLAlchemy cannot cache: compiled each time
            return _Prepared(self._compile(statement, None, keys, many), None, None), False
        found_key = (cache_key.key, keys, many)
        compiled = self._cache.get(found_key)
        if compiled is None:
            compiled = self._cache[found_key] = self._compile(statement, cache_key, keys, many)
        extracted = cache_key.bindparams
        return _Prepared(compiled, extracted, _template(compiled, parameters, extracted)), True

    def _compile(
        self, statement: ClauseElement, cache_key: Any, keys: tuple[str, ...], many: bool
    ) -> _Compiled:
        compiled = cast(
            SQLCompiler,
            statement.compile(
                dialect=self._dialect,
                cache_key=cache_key,
                column_keys=list(keys) or None,
                for_executemany=many,
            ),
        )
        expands = bool(compiled.post_compile_params or compiled.literal_execute_params)
        names = tuple(compiled.positiontup or ())
        converters = tuple(
            entry.type._cached_result_processor(self._dialect, None)
            for entry in compiled._result_columns
        )
        if not any(converters):
            converters = ()
        plain = (
            not expands
            and not compiled._bind_processors
            and all(bind.callable is None for bind in compiled.binds.values())
        )
        return _Compiled(compiled, compiled.string, names, expands, converters, plain)


# A statement's parameter names, and whether it is compiled for executemany.
_Shape = tuple[tuple[str, ...], bool]
# In a template: this position takes the caller's parameter of its name.
_GIVEN: Final = object()
_NO_PARAMETERS: Final[Mapping[str, Any]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One statement object compiled for one shape of parameters, its literal values
    known (`_Statements`)."""

    compiled: _Compiled
    extracted: Sequence[Any] | None
    # A plain statement's positional parameters: (name, _GIVEN) takes the caller's value,
    # (name, value) the statement's own unless the caller gives one of that name (as
    # construct_params does); None: SQLAlchemy's construct_params binds each call.
    template: tuple[tuple[str, Any], ...] | None

    @property
    def sql(self) -> str:
        return self.compiled.sql

    def bind(self, params: Mapping[str, Any] | None) -> Row:
        template = self.template
        if template is not None:
            if params is None:
                params = _NO_PARAMETERS
            try:
                return tuple(
                    [
                        params[name] if own is _GIVEN else params.get(name, own)
                        for name, own in template
                    ]
                )
            except KeyError:
                pass  # a row without one of the first row's names (executemany)
        return self.compiled.statement(params, self.extracted)[1]

    def statement(self, params: Mapping[str, Any] | None) -> tuple[str, Row]:
        if self.template is not None:
            return self.sql, self.bind(params)
        return self.compiled.statement(params, self.extracted)


def _template(
    compiled: _Compiled, parameters: Mapping[str, Any] | None, extracted: Sequence[Any] | None
) -> tuple[tuple[str, Any], ...] | None:
    """The positional parameters of a plain statement for `parameters`' names: which
    come from the caller, and the values of the others (bound once, as SQLAlchemy would)."""
    if not compiled.plain:
        return None
    if parameters is None:
        parameters = _NO_PARAMETERS
    values = compiled.compiled.construct_params(parameters, extracted_parameters=extracted)
    assert values is not None, "a compiled statement has parameters, if none"
    return tuple((name, _GIVEN if name in parameters else values[name]) for name in compiled.names)


class SqlitePool:
    """Open `sqlite3` connections to one file, and the transactions run on them."""

    def __init__(self, location: DatabaseLocation, dialect: Dialect) -> None:
        assert location.path is not None, "a SQLite location names its file"
        self._location = location
        self._statements = _Statements(dialect)
        self._idle: list[sqlite3.Connection] = []  # at the full busy_timeout
        self._idle_writers: list[sqlite3.Connection] = []  # at busy_timeout 0
        self._closed = False

    async def run(self, work: Callable[[Any], Awaitable[T]], *, writes: bool) -> T:
        """`work(connection)` in a transaction (BEGIN IMMEDIATE for a write), committed
        when it returns and rolled back when it raises. The connection is a
        `SqliteConnection`, typed for the work as SQLAlchemy's `AsyncConnection`: the
        same calls (module docstring)."""
        waits = not (writes and self._idle_writers)
        if not waits:
            raw = self._idle_writers.pop()
        else:
            raw = self._idle.pop() if self._idle else await self._open()
        conn = SqliteConnection(raw, self._statements)
        reusable = False
        try:
            if not writes:
                conn._run(raw.execute, "BEGIN", ())
            else:
                if waits:
                    raw.execute("PRAGMA busy_timeout = 0")
                    waits = False
                if not _write_lock_now(raw):
                    # Another process holds the write lock (or recovers the WAL): wait
                    # for it, up to busy_timeout, on a worker thread.
                    raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                    waits = True
                    await conn.off_loop(raw.execute, "BEGIN IMMEDIATE")
            try:
                result = await work(conn)
                conn._run(raw.execute, "COMMIT", ())
            except BaseException:
                if conn.elsewhere is None and raw.in_transaction:
                    raw.execute("ROLLBACK")
                raise
            reusable = conn.elsewhere is None
            return result
        finally:
            self._give_back(conn, reusable, waits)

    async def _open(self) -> sqlite3.Connection:
        if self._closed:
            raise sa_exc.ResourceClosedError("the memory store is closed")
        return await asyncio.get_running_loop().run_in_executor(None, self._connect)

    def _connect(self) -> sqlite3.Connection:
        path = self._location.path
        raw = sqlite3.connect(
            path,  # type: ignore[arg-type]  # checked in __init__
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,  # opened on a worker, used on the storage loop's thread
            isolation_level=None,  # BEGIN and COMMIT are ours
        )
        try:
            configure_sqlite(raw, self._location)
        except BaseException:
            raw.close()
            raise
        return raw

    def _give_back(self, conn: SqliteConnection, reusable: bool, waits: bool) -> None:
        """Keep the connection for the next transaction (by its busy_timeout: `waits`,
        full, or 0) or close it."""
        raw = conn.raw
        if (
            reusable
            and not self._closed
            and len(self._idle) + len(self._idle_writers) < SQLITE_POOL_SIZE
        ):
            (self._idle if waits else self._idle_writers).append(raw)
        elif conn.elsewhere is not None:
            conn.elsewhere.add_done_callback(lambda _: raw.close())
        else:
            with contextlib.suppress(sqlite3.Error):
                raw.close()

    def close(self) -> None:
        """Close every idle connection (the last close checkpoints the WAL)."""
        self._closed = True
        idle, self._idle, self._idle_writers = self._idle + self._idle_writers, [], []
        for raw in idle:
            with contextlib.suppress(sqlite3.Error):
                raw.close()


def _write_lock_now(raw: sqlite3.Connection) -> bool:
    """Run `BEGIN IMMEDIATE` on a connection at `busy_timeout = 0` if the write lock is
    free now; False if another process holds it (the caller then waits for it off the
    loop)."""
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            return False
        raise _wrapped(error, "BEGIN IMMEDIATE", ()) from error
    return True


def _wrapped(error: sqlite3.Error, sql: str, values: Any) -> sa_exc.StatementError:
    """`error` as SQLAlchemy would have raised it (IntegrityError, OperationalError, ...)."""
    return sa_exc.DBAPIError.instance(sql, values, error, sqlite3.Error)
