"""Approvals every replica sees: with memory.backend = "postgres" they are rows of the
shared database (memory/fleet/approvals.py) rather than a file on one host, so `zeroclaw
plugins approve NAME`, run anywhere with the fleet's config, counts at every replica's
next reload. On SQLite the file of permissions.py stays, as before.

The reloader checks approvals on its own thread, and the CLI has no loop running: both
reach the database through the store's blocking bridge.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from zeroclaw.memory import MemoryStore, MemoryStoreError
from zeroclaw.memory.fleet.approvals import approval_rows, record_approval
from zeroclaw.plugins.contract.permissions import (
    Approval,
    Approvals,
    ApprovalsError,
    ApprovalStore,
    grant_set_hash,
    new_approval,
)


class SharedApprovalStore:
    def __init__(self, memory: MemoryStore) -> None:
        self._memory = memory

    @property
    def where(self) -> str:
        return f"the shared database {self._memory.location}"

    def is_approved(self, plugin: str, grants: Iterable[str]) -> bool:
        return grant_set_hash(grants) in self._rows(plugin)

    def approvals(self, plugin: str) -> tuple[Approval, ...]:
        return tuple(
            Approval(plugin, granted, digest, approved_at)
            for digest, (granted, approved_at) in self._rows(plugin).items()
        )

    def approve(self, plugin: str, grants: Iterable[str]) -> Approval:
        approval = new_approval(plugin, grants)
        try:
            self._memory.blocking(
                record_approval(
                    self._memory.database,
                    plugin,
                    approval.grant_hash,
                    approval.grants,
                    approval.approved_at,
                )
            )
        except MemoryStoreError as error:
            raise self._error("cannot be written", error) from None
        return approval

    def _rows(self, plugin: str) -> dict[str, tuple[tuple[str, ...], str]]:
        try:
            return self._memory.blocking(approval_rows(self._memory.database, plugin))
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
