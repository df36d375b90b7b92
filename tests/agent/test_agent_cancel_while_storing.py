"""A turn cancelled while its question is being stored, and again while its cancellation
is: the session holds one answer for it (CANCELLED_TURN), never that and the
"interrupted" one the next turn would add for a turn it found open; on SQLite and on a
real PostgreSQL, where nothing but the session's row serializes two writes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.agent import CANCELLED_TURN, Agent
from zeroclaw.config import Config
from zeroclaw.memory import MemoryStore, postgres_location
from zeroclaw.providers import OfflineProvider

MakeAgent = Callable[..., Agent]
# How long each write holds its transaction open once its statements ran.
HOLD_S = 0.3


@pytest.fixture(params=["sqlite", "postgres"])
def memory(request: pytest.FixtureRequest, config: Config) -> Iterator[MemoryStore]:
    if request.param == "sqlite":
        location = config.memory_path
    else:
        location = postgres_location(request.getfixturevalue("postgres_url"))
    with MemoryStore.open(location) as store:
        yield store


class SlowCommits:
    """Wraps the store's writes: each runs its statements, says so, and holds its
    transaction open a moment before it commits (a slow disk, a busy server)."""

    def __init__(self, memory: MemoryStore) -> None:
        self.real = memory.database.write
        # One per write, in order: set once its statements ran (before it commits).
        self.written = [threading.Event() for _ in range(8)]
        self.writes = 0
        self.on = True

    async def write(self, work: Callable[[AsyncConnection], Any]) -> Any:
        if not self.on:
            return await self.real(work)
        done = self.written[self.writes]
        self.writes += 1

        async def held(conn: AsyncConnection) -> Any:
            result = await work(conn)
            done.set()  # from the storage loop's thread
            await asyncio.sleep(HOLD_S)
            return result

        return await self.real(held)

    async def wait_for_write(self, index: int) -> None:
        assert await asyncio.to_thread(self.written[index].wait, 10)


async def test_a_turn_cancelled_twice_while_storing_gets_one_answer(
    make_agent: MakeAgent, memory: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowCommits(memory)
    monkeypatch.setattr(memory.database, "write", slow.write)
    agent = make_agent(OfflineProvider())

    turn = asyncio.create_task(agent.turn("s", "a question"))
    await slow.wait_for_write(0)  # the question is being stored
    turn.cancel()
    await slow.wait_for_write(1)  # ... and now its cancellation
    turn.cancel()
    await asyncio.gather(turn, return_exceptions=True)
    assert turn.cancelled()
    # The turn ended only once its cancellation was stored: whoever holds the session
    # next (its lock is let go now) finds it settled.
    assert await memory.open_turn_of("s") is None

    slow.on = False
    await agent.turn("s", "the next one")

    stored = [(s.message.role, s.message.content) for s in await memory.session_messages("s")]
    assert stored[:3] == [
        ("user", "a question"),
        ("assistant", CANCELLED_TURN.content),
        ("user", "the next one"),
    ]
    assert len(stored) == 4
