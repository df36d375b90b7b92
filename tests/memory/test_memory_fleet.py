"""What replicas share through the database, two stores standing for two processes: a
session's lock (PostgreSQL advisory lock; a no-op on SQLite), the GCRA rate limit, paired
tokens and the replicas table; and revision 0004 on both backends."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory import DatabaseLocation, MemoryStore, postgres_location
from zeroclaw.memory.fleet.paired_tokens import PairedTokens
from zeroclaw.memory.fleet.rate_limits import SharedRateLimits
from zeroclaw.memory.fleet.reload_channel import LISTENER_NAME, ReloadListener, announce
from zeroclaw.memory.fleet.replicas import Replica, fleet, now_text, report, withdraw
from zeroclaw.memory.fleet.session_lock import hold_session


@pytest.fixture
async def two_stores(postgres_url: str) -> AsyncIterator[tuple[MemoryStore, MemoryStore]]:
    """Two stores on one PostgreSQL database: two replicas, as far as it can tell."""
    location = postgres_location(postgres_url)
    async with MemoryStore.open(location) as one, MemoryStore.open(location) as other:
        yield one, other


# A lock that is free is entered within this (a connection and a round trip; generous,
# as a loaded machine can take long); a held one is shown waiting for HELD_S.
FREE_S = 10.0
HELD_S = 0.3


async def _waits(lock: AbstractAsyncContextManager[None], seconds: float = HELD_S) -> bool:
    """Whether entering `lock` waits longer than `seconds` (then the wait is cancelled)."""
    entering = asyncio.ensure_future(lock.__aenter__())
    done, _ = await asyncio.wait({entering}, timeout=seconds)
    if done:
        await lock.__aexit__(None, None, None)
        return False
    entering.cancel()
    with pytest.raises(asyncio.CancelledError):
        await entering
    return True


async def test_a_session_lock_held_by_one_replica_makes_the_other_wait(
    two_stores: tuple[MemoryStore, MemoryStore],
) -> None:
    one, other = two_stores
    async with hold_session(one.database, "s1"):
        assert await _waits(hold_session(other.database, "s1"))
        # another session is not held up
        assert not await _waits(hold_session(other.database, "s2"), FREE_S)
    # released at the end of the block, and the cancelled waiter left nothing behind
    assert not await _waits(hold_session(other.database, "s1"), FREE_S)


async def test_a_cancelled_wait_for_a_session_lock_releases_it_when_granted(
    two_stores: tuple[MemoryStore, MemoryStore],
) -> None:
    one, other = two_stores
    for _ in range(5):
        async with hold_session(one.database, "busy"):
            assert await _waits(hold_session(other.database, "busy"), seconds=0.05)
    async with asyncio.timeout(5):
        async with hold_session(other.database, "busy"):
            pass
        async with hold_session(one.database, "busy"):
            pass


async def test_on_sqlite_the_session_lock_is_this_process_s_alone(
    sqlite_store: MemoryStore,
) -> None:
    async with hold_session(sqlite_store.database, "s1"):
        assert not await _waits(hold_session(sqlite_store.database, "s1"), FREE_S)


async def test_the_rate_limit_is_one_budget_across_replicas(
    two_stores: tuple[MemoryStore, MemoryStore],
) -> None:
    one, other = two_stores
    limits = [SharedRateLimits(one.database, 3), SharedRateLimits(other.database, 3)]

    taken = [await limits[i % 2].take("caller") for i in range(3)]
    refused = await limits[1].take("caller")

    assert taken == [None, None, None]
    # the next request passes one interval (60/3 s) after the burst was spent
    assert refused is not None
    assert 0 < refused <= 20.5
    assert await limits[0].take("someone else") is None
    assert await SharedRateLimits(one.database, 0).take("caller") is None  # 0: no limit


async def test_rows_of_refilled_buckets_are_forgotten(
    two_stores: tuple[MemoryStore, MemoryStore],
) -> None:
    one, _ = two_stores
    fast = SharedRateLimits(one.database, 60_000)  # one interval: 1 ms
    slow = SharedRateLimits(one.database, 1)  # one interval: 60 s
    assert await fast.take("came once") is None
    assert await slow.take("busy") is None
    await asyncio.sleep(0.05)

    await fast.forget_idle()

    async def keys(conn: AsyncConnection) -> list[str]:
        return list((await conn.scalars(sa.text("SELECT key FROM rate_limits"))).all())

    assert await one.database.read(keys) == ["busy"]


async def test_a_paired_token_digest_is_known_to_every_replica(
    two_stores: tuple[MemoryStore, MemoryStore],
) -> None:
    one, other = two_stores
    digest = "sha256:" + "ab" * 32

    assert not await PairedTokens(other.database).known(digest)
    await PairedTokens(one.database).add(digest, paired_by="replica-1")
    await PairedTokens(one.database).add(digest, paired_by="replica-1")  # twice: one row

    assert await PairedTokens(other.database).known(digest)


async def test_replicas_report_and_withdraw(two_stores: tuple[MemoryStore, MemoryStore]) -> None:
    one, other = two_stores
    for n, store in enumerate((one, other)):
        now = now_text()
        await report(store.database, Replica(f"r{n}", f"http://h{n}:1", 1, "sha256:x", now, now))
    await report(one.database, Replica("r0", "http://h0:1", 2, "sha256:y", now, now_text()))

    listed = await fleet(other.database)
    assert [(r.id, r.generation, r.snapshot_hash) for r in listed] == [
        ("r0", 2, "sha256:y"),
        ("r1", 1, "sha256:x"),
    ]
    assert all(r.alive for r in listed)
    await withdraw(one.database, "r1")
    assert [r.id for r in await fleet(one.database)] == ["r0"]


async def test_revision_0004_makes_the_shared_tables_on_both_backends(
    location: DatabaseLocation,
) -> None:
    async with MemoryStore.open(location) as store:

        async def counts(conn: AsyncConnection) -> dict[str, int]:
            # Each table answers a query (a missing one raises), on the store's own path.
            return {
                name: await conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
                for name in ("rate_limits", "paired_tokens", "plugin_approvals", "replicas")
            }

        tables = await store.database.read(counts)
    assert tables == {"rate_limits": 0, "paired_tokens": 0, "plugin_approvals": 0, "replicas": 0}


async def test_reloads_are_heard_from_others_and_after_the_listener_is_cut(
    two_stores: tuple[MemoryStore, MemoryStore],
) -> None:
    one, other = two_stores
    heard: list[str] = []
    listener = ReloadListener(one.database, "me", heard.append)
    try:

        async def hears(sender: str) -> None:
            async with asyncio.timeout(20):
                while sender not in heard:
                    await announce(other.database, "other")
                    await asyncio.sleep(0.2)

        await hears("other")
        await announce(one.database, "me")  # its own announcement: not a reason to reload
        await asyncio.sleep(0.3)
        assert "me" not in heard

        # The server cuts the listening connection: it comes back, reloads once in case a
        # notification was missed, and hears the next ones.
        async def cut(conn: AsyncConnection) -> None:
            await conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": LISTENER_NAME},
            )

        await other.database.write(cut)
        heard.clear()
        await hears("(reconnected)")
        await hears("other")
    finally:
        listener.stop()


async def test_once_started_the_listener_hears_the_first_announcement(
    two_stores: tuple[MemoryStore, MemoryStore],
) -> None:
    # A replica says it is up only after `started`: one announcement, sent at once, must
    # reach it (no retries, unlike the test above).
    one, other = two_stores
    heard = threading.Event()
    listener = ReloadListener(one.database, "me", lambda sender: heard.set())
    try:
        async with asyncio.timeout(30):
            await listener.started()
        await announce(other.database, "other")
        assert await asyncio.to_thread(heard.wait, 10)
    finally:
        listener.stop()
