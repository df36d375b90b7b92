"""Per-caller rate limits shared by every replica: GCRA over one row per caller.

The in-process limiter (gateway/ratelimit.py) is a token bucket; across replicas the
bucket must live in the database and change in one statement, or two replicas reading
the same count would both let a request through. The generic cell rate algorithm keeps
the same limit (bursts up to `per_minute`, then one every 60/per_minute seconds) in one
number per caller, its theoretical arrival time (TAT), and decides with one conditional
upsert: a request passes when the TAT it would leave is at most one burst ahead of now.
Time is the database server's clock, so replicas with skewed clocks agree.

Why not the `limits` library: its storages are in-memory, Redis, Memcached and MongoDB;
none is PostgreSQL, and bringing a Redis in only for this would add a second shared
service to every deployment. PostgreSQL only: on SQLite the gateway keeps its bucket.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory.database import Database

_NOW: Final = "extract(epoch FROM clock_timestamp())::float8"

_TAKE = text(f"""
    INSERT INTO rate_limits (key, tat) VALUES (:key, {_NOW} + :interval)
    ON CONFLICT (key) DO UPDATE
        SET tat = GREATEST(rate_limits.tat, EXCLUDED.tat - :interval) + :interval
        WHERE GREATEST(rate_limits.tat, EXCLUDED.tat - :interval) - (EXCLUDED.tat - :interval)
            <= :burst - :interval
    RETURNING tat
""")
_WAIT = text(f"""
    SELECT GREATEST(tat, now.t) + :interval - :burst - now.t
    FROM rate_limits, (SELECT {_NOW} AS t) AS now
    WHERE key = :key
""")
# A row whose TAT has passed is a full bucket: it says nothing and may go.
_FORGET = text(f"DELETE FROM rate_limits WHERE tat < {_NOW}")


class SharedRateLimits:
    """`per_minute` requests per key, across every process sharing the database."""

    def __init__(self, database: Database, per_minute: int) -> None:
        self._database = database
        self._per_minute = per_minute

    async def take(self, key: str) -> float | None:
        """Take one request for `key`: None if allowed, else the seconds to wait."""
        if self._per_minute <= 0:
            return None
        interval = 60.0 / self._per_minute
        params = {"key": key, "interval": interval, "burst": 60.0}

        async def work(conn: AsyncConnection) -> float | None:
            if (await conn.execute(_TAKE, params)).first() is not None:
                return None
            wait = await conn.scalar(_WAIT, params)
            return max(float(wait or 0.0), 0.001)

        return await self._database.write(work)

    async def forget_idle(self) -> None:
        async def work(conn: AsyncConnection) -> None:
            await conn.execute(_FORGET)

        await self._database.write(work)
