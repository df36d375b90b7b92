"""Per-session locks: turns of one session run one at a time, sessions run side by side,
whoever asks for them (the gateway's requests, `zeroclaw agent`'s chat: `AgentRuntime`
holds one `SessionLocks` for both).

A session's history is read at the start of a turn and appended during it, so two turns
of one session running together would each miss the other's messages. Locks exist only
while some request holds or waits for them, so a gateway that has seen a million sessions
keeps no million locks.

Across processes (memory.backend = "postgres": gateway replicas, a terminal chat beside
them) a turn first waits here, behind the other turns of its session in this process, then
for the session's lock in the database (`across`: memory/fleet/session_lock.py), behind
those of other processes. Waiting here first keeps it to one database connection per busy
session per process, however many requests queue for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType

# Holds a session's lock across processes for a block (None: one process, nothing to hold).
AcrossProcesses = Callable[[str], AbstractAsyncContextManager[None]]


@dataclass(slots=True)
class _Entry:
    lock: asyncio.Lock
    users: int = 0  # requests holding or waiting for the lock


class SessionLocks:
    def __init__(self, across: AcrossProcesses | None = None) -> None:
        self._entries: dict[str, _Entry] = {}
        self._across = across

    def hold(self, session_id: str) -> AbstractAsyncContextManager[None]:
        """Wait for the session's turn, hold it for the block."""
        return _Hold(self._entries, session_id, self._across)

    def __len__(self) -> int:
        """Sessions with a request running or waiting."""
        return len(self._entries)


class _Hold:
    """One `hold`: a plain async context manager, not a generator-based one (every
    gateway turn takes one; `asynccontextmanager`'s generator and its wrapper cost
    more than the lock)."""

    __slots__ = ("_across", "_entries", "_entry", "_outer", "_session_id")

    def __init__(
        self, entries: dict[str, _Entry], session_id: str, across: AcrossProcesses | None
    ) -> None:
        self._entries = entries
        self._session_id = session_id
        self._across = across
        self._entry: _Entry | None = None
        self._outer: AbstractAsyncContextManager[None] | None = None

    async def __aenter__(self) -> None:
        session_id = self._session_id
        entry = self._entries.get(session_id)
        if entry is None:
            entry = self._entries[session_id] = _Entry(asyncio.Lock())
        entry.users += 1
        self._entry = entry
        try:
            await entry.lock.acquire()
            if self._across is None:
                return
            try:
                outer = self._across(session_id)
                await outer.__aenter__()
            except BaseException:
                entry.lock.release()
                raise
            self._outer = outer
        except BaseException:
            # Also on cancellation while waiting: the count must not leak.
            self._leave(entry)
            raise

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        entry = self._entry
        assert entry is not None, "a hold is left only once entered"
        try:
            if self._outer is not None:
                return await self._outer.__aexit__(kind, error, traceback)
            return None
        finally:
            entry.lock.release()
            self._leave(entry)

    def _leave(self, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._entries[self._session_id]
