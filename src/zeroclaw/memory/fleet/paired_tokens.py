"""Tokens obtained by pairing, known to every replica: their digests in one table.

Pairing happens on one replica (its code, printed on its console); the client then
talks to whichever replica the load balancer picks, so the token's digest is written
here and a replica that does not know a presented token looks it up before refusing.
Only digests are stored, as in the config. On PostgreSQL a paired token outlives the
replica that paired it (delete its row to revoke it); on SQLite pairing stays in memory,
for the life of the process, as before.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory.database import Database
from zeroclaw.memory.tables import paired_tokens


class PairedTokens:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, digest: str, *, paired_by: str) -> None:
        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                postgresql.insert(paired_tokens)
                .values(
                    digest=digest,
                    paired_by=paired_by,
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
                .on_conflict_do_nothing(index_elements=[paired_tokens.c.digest])
            )

        await self._database.write(work)

    async def known(self, digest: str) -> bool:
        async def work(conn: AsyncConnection) -> bool:
            found = await conn.scalar(
                sa.select(sa.literal(1)).where(paired_tokens.c.digest == digest)
            )
            return found is not None

        return await self._database.read(work)
