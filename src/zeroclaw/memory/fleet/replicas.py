"""The replicas of one gateway fleet, as each reports itself: a row per replica.

Every replica on PostgreSQL writes its id, address, plugin generation and snapshot hash
with a heartbeat (gateway/fleet.py); `zeroclaw plugins status --fleet` reads them. A
replica that stops removes its row; one killed leaves it, shown as silent once its
heartbeat is old, and removed by the others after `FORGET_AFTER_S`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory.database import Database
from zeroclaw.memory.tables import replicas

HEARTBEAT_S: Final = 5.0
# Three heartbeats missed: the replica is presumed gone.
SILENT_AFTER_S: Final = 3 * HEARTBEAT_S
FORGET_AFTER_S: Final = 600.0


@dataclass(frozen=True, slots=True)
class Replica:
    id: str
    address: str
    generation: int
    snapshot_hash: str
    started_at: str
    heartbeat_at: str

    def silent_for(self, now: datetime | None = None) -> float:
        """Seconds since its last heartbeat."""
        beat = datetime.fromisoformat(self.heartbeat_at)
        return max(0.0, ((now or datetime.now(UTC)) - beat).total_seconds())

    @property
    def alive(self) -> bool:
        return self.silent_for() <= SILENT_AFTER_S


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


async def report(database: Database, replica: Replica) -> None:
    """Write `replica`'s row (a heartbeat), and forget replicas silent for long."""
    forget_before = (datetime.now(UTC) - timedelta(seconds=FORGET_AFTER_S)).isoformat(
        timespec="microseconds"
    )

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(sa.delete(replicas).where(replicas.c.id == replica.id))
        await conn.execute(sa.delete(replicas).where(replicas.c.heartbeat_at < forget_before))
        await conn.execute(
            sa.insert(replicas).values(
                id=replica.id,
                address=replica.address,
                generation=replica.generation,
                snapshot_hash=replica.snapshot_hash,
                started_at=replica.started_at,
                heartbeat_at=replica.heartbeat_at,
            )
        )

    await database.write(work)


async def withdraw(database: Database, replica_id: str) -> None:
    async def work(conn: AsyncConnection) -> None:
        await conn.execute(sa.delete(replicas).where(replicas.c.id == replica_id))

    await database.write(work)


async def fleet(database: Database) -> list[Replica]:
    """Every replica with a row, by id."""

    async def work(conn: AsyncConnection) -> list[Replica]:
        rows = await conn.execute(
            sa.select(
                replicas.c.id,
                replicas.c.address,
                replicas.c.generation,
                replicas.c.snapshot_hash,
                replicas.c.started_at,
                replicas.c.heartbeat_at,
            ).order_by(replicas.c.id)
        )
        return [Replica(*row) for row in rows]

    return await database.read(work)
