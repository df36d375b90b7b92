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
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass

# Holds a session's lock across processes for a block (a no-op with one process).
AcrossProcesses = Callable[[str], AbstractAsyncContextManager[None]]


@dataclass(slots=True)
class _Entry:
    lock: asyncio.Lock
    users: int = 0  # requests holding or waiting for the lock


def _one_process(_session_id: str) -> AbstractAsyncContextManager[None]:
    return nullcontext()


class SessionLocks:
    def __init__(self, across: AcrossProcesses = _one_process) -> None:
        self._entries: dict[str, _Entry] = {}
        self._across = across

    @asynccontextmanager
    async def hold(self, session_id: str) -> AsyncIterator[None]:
        """Wait for the session's turn, hold it for the block."""
        entry = self._entries.get(session_id)
        if entry is None:
            entry = self._entries[session_id] = _Entry(asyncio.Lock())
        entry.users += 1
        try:
            async with entry.lock, self._across(session_id):
                yield
        finally:
            # Also on cancellation while waiting: the count must not leak.
            entry.users -= 1
            if entry.users == 0:
                del self._entries[session_id]

    def __len__(self) -> int:
        """Sessions with a request running or waiting."""
        return len(self._entries)
