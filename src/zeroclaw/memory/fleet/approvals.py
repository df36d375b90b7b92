"""Plugin approvals in the database, so one `zeroclaw plugins approve` counts on every
replica: rows of (plugin, grant-set hash, grants, when). What an approval means, and the
hash, belong to the plugin runtime (plugins/contract/permissions.py); this is storage.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory.database import Database
from zeroclaw.memory.tables import plugin_approvals

# grant-set hash -> (the grants, approved_at)
ApprovalRows = dict[str, tuple[tuple[str, ...], str]]


async def approval_rows(database: Database, plugin: str) -> ApprovalRows:
    async def work(conn: AsyncConnection) -> ApprovalRows:
        rows = await conn.execute(
            sa.select(
                plugin_approvals.c.grant_hash,
                plugin_approvals.c.grants,
                plugin_approvals.c.approved_at,
            ).where(plugin_approvals.c.plugin == plugin)
        )
        return {
            digest: (tuple(str(g) for g in json.loads(grants)), approved_at)
            for digest, grants, approved_at in rows
        }

    return await database.read(work)


async def record_approval(
    database: Database, plugin: str, grant_hash: str, grants: tuple[str, ...], approved_at: str
) -> None:
    async def work(conn: AsyncConnection) -> None:
        # Approving a set again only renews its date.
        await conn.execute(
            sa.delete(plugin_approvals).where(
                plugin_approvals.c.plugin == plugin, plugin_approvals.c.grant_hash == grant_hash
            )
        )
        await conn.execute(
            sa.insert(plugin_approvals).values(
                plugin=plugin,
                grant_hash=grant_hash,
                grants=json.dumps(list(grants)),
                approved_at=approved_at,
            )
        )

    await database.write(work)


async def every_approval(database: Database) -> list[dict[str, str]]:
    """Every approval row, as the table holds it (for `memory import` into SQLite)."""

    async def work(conn: AsyncConnection) -> list[dict[str, str]]:
        rows = await conn.execute(sa.select(plugin_approvals))
        return [dict(row) for row in rows.mappings()]

    return await database.read(work)
