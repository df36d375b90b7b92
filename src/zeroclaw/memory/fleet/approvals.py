"""Plugin approvals and refusals in the database, so one `zeroclaw plugins approve` (or
`refuse`) counts on every replica: rows of (plugin, grant-set hash, grants, when, decision,
by whom). What a decision means, and the hash, belong to the plugin runtime
(plugins/contract/permissions.py); this is storage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.memory.database import Database
from zeroclaw.memory.tables import plugin_approvals

Decision = Literal["approved", "refused"]


@dataclass(frozen=True, slots=True)
class DecisionRow:
    grant_hash: str
    grants: tuple[str, ...]
    decided_at: str
    decision: Decision
    decided_by: str | None


async def decision_rows(database: Database, plugin: str) -> list[DecisionRow]:
    """Every decision recorded on `plugin`'s grant sets."""

    async def work(conn: AsyncConnection) -> list[DecisionRow]:
        rows = await conn.execute(
            sa.select(
                plugin_approvals.c.grant_hash,
                plugin_approvals.c.grants,
                plugin_approvals.c.approved_at,
                plugin_approvals.c.decision,
                plugin_approvals.c.decided_by,
            ).where(plugin_approvals.c.plugin == plugin)
        )
        return [
            DecisionRow(
                digest,
                tuple(str(g) for g in json.loads(grants)),
                decided_at,
                "refused" if decision == "refused" else "approved",
                decided_by,
            )
            for digest, grants, decided_at, decision, decided_by in rows
        ]

    return await database.read(work)


async def record_decision(
    database: Database,
    plugin: str,
    grant_hash: str,
    grants: tuple[str, ...],
    decided_at: str,
    *,
    decision: Decision,
    decided_by: str | None,
) -> None:
    async def work(conn: AsyncConnection) -> None:
        # One decision per set: deciding again replaces it (and renews its date).
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
                approved_at=decided_at,
                decision=decision,
                decided_by=decided_by,
            )
        )

    await database.write(work)


async def every_approval(database: Database) -> list[dict[str, str | None]]:
    """Every decision row (approvals and refusals), as the table holds it (for `memory
    import` into SQLite)."""

    async def work(conn: AsyncConnection) -> list[dict[str, str | None]]:
        rows = await conn.execute(sa.select(plugin_approvals))
        return [dict(row) for row in rows.mappings()]

    return await database.read(work)
