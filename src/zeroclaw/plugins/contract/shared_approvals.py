"""Approvals every replica sees: with memory.backend = "postgres" they are rows of the
shared database (memory/fleet/approvals.py) rather than a file on one host, so `zeroclaw
plugins approve NAME` (or `refuse NAME`), run anywhere with the fleet's config, counts at
every replica's next reload. On SQLite the file of permissions.py stays, as before.

The reloader checks approvals on its own thread, and the CLI has no loop running: both
reach the database through the store's blocking bridge.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from zeroclaw.memory import MemoryStore, MemoryStoreError
from zeroclaw.memory.fleet.approvals import Decision, DecisionRow, decision_rows, record_decision
from zeroclaw.plugins.contract.permissions import (
    Approval,
    Approvals,
    ApprovalsError,
    ApprovalStore,
    Refusal,
    grant_set_hash,
    new_approval,
    new_refusal,
)


class SharedApprovalStore:
    def __init__(self, memory: MemoryStore) -> None:
        self._memory = memory

    @property
    def where(self) -> str:
        return f"the shared database {self._memory.location}"

    def is_approved(self, plugin: str, grants: Iterable[str]) -> bool:
        digest = grant_set_hash(grants)
        return any(r.grant_hash == digest and r.decision == "approved" for r in self._rows(plugin))

    def approvals(self, plugin: str) -> tuple[Approval, ...]:
        return tuple(
            Approval(plugin, row.grants, row.grant_hash, row.decided_at)
            for row in self._rows(plugin)
            if row.decision == "approved"
        )

    def approve(self, plugin: str, grants: Iterable[str]) -> Approval:
        approval = new_approval(plugin, grants)
        self._record(plugin, approval.grant_hash, approval.grants, approval.approved_at, None)
        return approval

    def refusal(self, plugin: str, grants: Iterable[str]) -> Refusal | None:
        digest = grant_set_hash(grants)
        return next(
            (
                Refusal(plugin, row.grants, digest, row.decided_at, row.decided_by or "?")
                for row in self._rows(plugin)
                if row.grant_hash == digest and row.decision == "refused"
            ),
            None,
        )

    def refuse(self, plugin: str, grants: Iterable[str], by: str) -> Refusal:
        refusal = new_refusal(plugin, grants, by)
        self._record(plugin, refusal.grant_hash, refusal.grants, refusal.refused_at, by)
        return refusal

    def _record(
        self,
        plugin: str,
        digest: str,
        grants: tuple[str, ...],
        at: str,
        refused_by: str | None,
    ) -> None:
        decision: Decision = "approved" if refused_by is None else "refused"
        try:
            self._memory.blocking(
                record_decision(
                    self._memory.database,
                    plugin,
                    digest,
                    grants,
                    at,
                    decision=decision,
                    decided_by=refused_by,
                )
            )
        except MemoryStoreError as error:
            raise self._error("cannot be written", error) from None

    def _rows(self, plugin: str) -> list[DecisionRow]:
        try:
            return self._memory.blocking(decision_rows(self._memory.database, plugin))
        except MemoryStoreError as error:
            raise self._error("cannot be read", error) from None

    def _error(self, problem: str, error: MemoryStoreError) -> ApprovalsError:
        return ApprovalsError(
            f"the plugin approvals in {self._memory.location} {problem}: {error.message}",
            hint=error.hint or "check that the database is reachable (`zeroclaw doctor`)",
        )


def approval_store(data_dir: Path, memory: MemoryStore) -> Approvals:
    """The approvals of this deployment: shared on PostgreSQL, the data dir's file on
    SQLite (one host)."""
    if memory.location.is_sqlite:
        return ApprovalStore.for_data_dir(data_dir)
    return SharedApprovalStore(memory)
