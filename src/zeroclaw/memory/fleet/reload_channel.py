"""Plugin reloads passed between replicas: PostgreSQL's LISTEN/NOTIFY on one channel.

A replica asked to reload (`POST /api/plugins/reload`, `zeroclaw plugins reload`) reloads
itself, then `announce`s it: a NOTIFY whose payload is its id. Every replica `listen`s on
a connection of its own (asyncpg's `add_listener`, on the storage loop) and hands what it
hears from the others to `on_reload`, which must return at once (the reloader's `request`
does). Each replica then reloads from its own plugin dirs and reports the outcome in its
own status; nothing of a plugin travels through the database.

A listening connection that drops is opened again with a backoff; notifications sent
while it was down are lost, so the first reconnect counts as one heard (a reload too
many is harmless; a fleet left on old plugins is not). For the same reason a replica
waits for its listener's first attempt (`started`) before it says it is up: listening,
or failed and retrying, in which case the first success counts as one heard.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]  # ships no type information
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory.database import Database
from zeroclaw.memory.engine import CONNECT_TIMEOUT_S

CHANNEL: Final = "zeroclaw_plugin_reload"
# How the listening connection shows in pg_stat_activity.
LISTENER_NAME: Final = "zeroclaw-fleet-listener"
_RETRY_S: Final = (0.5, 1.0, 2.0, 5.0)

_LOG = logging.getLogger("zeroclaw.fleet")


async def announce(database: Database, sender: str) -> None:
    """Ask every listening replica to reload (the sender ignores its own)."""

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(
            text("SELECT pg_notify(:channel, :sender)"), {"channel": CHANNEL, "sender": sender}
        )

    await database.write(work)


class ReloadListener:
    """Listens on the storage loop until `stop`; see the module docstring."""

    def __init__(self, database: Database, me: str, on_reload: Callable[[str], None]) -> None:
        self._database = database
        self._me = me
        self._on_reload = on_reload
        # Done once the first connection listens or has failed (see `started`).
        self._first_attempt: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._task = database.loop.submit(self._listen())
        self._task.add_done_callback(lambda _task: self._attempted())

    async def started(self) -> None:
        """Return once the first attempt is over: listening (every announcement from now
        on is heard), or failed (the first later success then counts as one heard). Each
        attempt is bounded by the connect timeout."""
        await asyncio.shield(asyncio.wrap_future(self._first_attempt))

    def _attempted(self) -> None:
        # From the storage loop, or from whichever thread ends the task.
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            self._first_attempt.set_result(None)

    async def _listen(self) -> None:
        dsn = self._database.location.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        failures = 0
        while True:
            try:
                conn: Any = await asyncpg.connect(
                    dsn,
                    timeout=CONNECT_TIMEOUT_S,
                    server_settings={"application_name": LISTENER_NAME},
                )
            except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
                delay = _RETRY_S[min(failures, len(_RETRY_S) - 1)]
                _LOG.warning(
                    "fleet reloads: cannot listen on %s (%s); retrying in %.1fs",
                    self._database.location,
                    exc,
                    delay,
                )
                failures += 1
                self._attempted()
                await asyncio.sleep(delay)
                continue
            try:
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _conn, closed=closed: closed.set())
                await conn.add_listener(CHANNEL, self._heard)
                self._attempted()
                if failures:
                    _LOG.info("fleet reloads: listening again; reloading in case one was missed")
                    self._on_reload("(reconnected)")
                failures = 0
                await closed.wait()
                _LOG.warning("fleet reloads: the listening connection closed; reconnecting")
                failures = 1
            finally:
                with contextlib.suppress(Exception):
                    await conn.close(timeout=CONNECT_TIMEOUT_S)

    def _heard(self, _conn: object, _pid: int, _channel: str, sender: str) -> None:
        if sender == self._me:
            return
        _LOG.info("fleet reloads: replica %s asked for a reload", sender)
        self._on_reload(sender)

    def stop(self) -> None:
        self._task.cancel()
