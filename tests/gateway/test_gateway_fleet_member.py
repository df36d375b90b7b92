"""This gateway as a fleet replica (gateway/fleet.py) on a real PostgreSQL database: a
replica that leaves takes its row with it even when it leaves mid-heartbeat."""

from __future__ import annotations

import asyncio

import pytest

from zeroclaw.gateway import fleet as fleet_member
from zeroclaw.gateway.fleet import FleetMember
from zeroclaw.memory import MemoryStore, postgres_location
from zeroclaw.memory.fleet.replicas import fleet


async def test_a_replica_leaving_mid_heartbeat_leaves_no_row(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Heartbeats back to back: `leave` always comes while one is being written.
    monkeypatch.setattr(fleet_member, "HEARTBEAT_S", 0.0)
    async with MemoryStore.open(postgres_location(postgres_url)) as memory:
        for attempt in range(30):
            member = FleetMember(memory, None, f"r{attempt}")
            await member.join("http://127.0.0.1:1")
            await asyncio.sleep(0.003 * (attempt % 10))
            await member.leave()
            assert [r.id for r in await fleet(memory.database)] == [], f"attempt {attempt}"
