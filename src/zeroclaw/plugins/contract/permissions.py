"""What a reload changes in plugins' grants, and the operator's approvals of new grants.

A reload compares each plugin's granted capabilities in the candidate snapshot with the
live one's: every change is a `PermissionDiff` (grants added, grants removed), reported in
the reload's outcome. With `plugins.require_approval_for_new_capabilities`, a plugin that
would gain a grant (or a plugin new to the set, with any grant) keeps the whole reload
waiting, the live snapshot serving, until its new grant set is approved:
`zeroclaw plugins approve NAME` records the set in `DATA_DIR/plugins/approvals.json` (or,
with memory.backend = "postgres", in the database every replica shares:
`shared_approvals.py`), keyed by plugin name and the hash of the set; the next reload reads
them again.

The approval is of a grant set, not of a plugin version: a later version granted the same
set needs no new approval, and one granted more needs one.

This module does not import wasmtime.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from zeroclaw.plugins.errors import PluginError

APPROVALS_FILE = Path("plugins") / "approvals.json"
_FORMAT_VERSION = 1


class ApprovalsError(PluginError):
    """The approvals file cannot be read or written."""


@dataclass(frozen=True, slots=True)
class PermissionDiff:
    """How one plugin's grants change from the live snapshot to the candidate."""

    plugin: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    new_plugin: bool = False

    @property
    def escalates(self) -> bool:
        """It would gain something: what needs approval when approvals are required."""
        return bool(self.added)

    def __str__(self) -> str:
        changes = [f"+{grant}" for grant in self.added] + [f"-{grant}" for grant in self.removed]
        what = "new plugin" if self.new_plugin else "grants"
        return f"{self.plugin}: {what} {' '.join(changes)}"


def permission_diffs(
    live: Mapping[str, Iterable[str]], candidate: Mapping[str, Iterable[str]]
) -> tuple[PermissionDiff, ...]:
    """Plugin name -> granted capabilities, before and after; one diff per plugin whose
    grants differ (a new plugin with no grant, and a removed plugin, are no change)."""
    diffs = []
    for name in sorted(candidate):
        after = set(candidate[name])
        before = live.get(name)
        old = set(before) if before is not None else set()
        if after == old:
            continue
        diffs.append(
            PermissionDiff(
                name,
                added=tuple(sorted(after - old)),
                removed=tuple(sorted(old - after)),
                new_plugin=before is None,
            )
        )
    return tuple(diffs)


def grant_set_hash(grants: Iterable[str]) -> str:
    """The key of a grant set in the approvals file (order and duplicates do not matter)."""
    text = "\n".join(sorted(set(grants)))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Approval:
    plugin: str
    grants: tuple[str, ...]
    grant_hash: str
    approved_at: str


class Approvals(Protocol):
    """Where approvals are kept: a file (one host) or the shared database (replicas)."""

    @property
    def where(self) -> str:
        """Where the approvals live, for messages."""
        ...

    def is_approved(self, plugin: str, grants: Iterable[str]) -> bool: ...

    def approvals(self, plugin: str) -> tuple[Approval, ...]: ...

    def approve(self, plugin: str, grants: Iterable[str]) -> Approval: ...


def new_approval(plugin: str, grants: Iterable[str]) -> Approval:
    granted = tuple(sorted(set(grants)))
    return Approval(
        plugin,
        granted,
        grant_set_hash(granted),
        datetime.now(UTC).isoformat(timespec="seconds"),
    )


class ApprovalStore:
    """The approved grant sets, in one JSON file (written whole, atomically, mode 0600).

    It is read on every check, so an approval written by `zeroclaw plugins approve` in
    another process counts at the next reload.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> ApprovalStore:
        return cls(data_dir / APPROVALS_FILE)

    @property
    def where(self) -> str:
        return str(self.path)

    def is_approved(self, plugin: str, grants: Iterable[str]) -> bool:
        return grant_set_hash(grants) in self._read().get(plugin, {})

    def approvals(self, plugin: str) -> tuple[Approval, ...]:
        return tuple(self._read().get(plugin, {}).values())

    def approve(self, plugin: str, grants: Iterable[str]) -> Approval:
        approval = new_approval(plugin, grants)
        approvals = self._read()
        approvals.setdefault(plugin, {})[approval.grant_hash] = approval
        self._write(approvals)
        return approval

    def all(self) -> tuple[Approval, ...]:
        """Every approval in the file (what `memory export` carries to another database)."""
        return tuple(a for sets in self._read().values() for a in sets.values())

    def keep(self, approvals: Iterable[Approval]) -> None:
        """Add `approvals` as they are, dates included (what `memory import` brings); a set
        the file already has keeps its own date."""
        current = self._read()
        for approval in approvals:
            current.setdefault(approval.plugin, {}).setdefault(approval.grant_hash, approval)
        self._write(current)

    # -- the file ---------------------------------------------------------------------------

    def _read(self) -> dict[str, dict[str, Approval]]:
        """Plugin name -> grant set hash -> approval."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise self._error(f"cannot be read: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self._error(f"is not valid JSON ({exc})") from None
        try:
            return {
                plugin: {
                    digest: Approval(
                        plugin,
                        tuple(str(grant) for grant in entry["grants"]),
                        digest,
                        str(entry["approved_at"]),
                    )
                    for digest, entry in sets.items()
                }
                for plugin, sets in data["approvals"].items()
            }
        except (KeyError, TypeError, AttributeError):
            raise self._error(
                'does not have the shape {"version": 1, "approvals": {NAME: {HASH: '
                '{"grants": [...], "approved_at": "..."}}}}'
            ) from None

    def _write(self, approvals: Mapping[str, Mapping[str, Approval]]) -> None:
        data = {
            plugin: {
                digest: {"grants": list(a.grants), "approved_at": a.approved_at}
                for digest, a in sets.items()
            }
            for plugin, sets in sorted(approvals.items())
        }
        body = json.dumps({"version": _FORMAT_VERSION, "approvals": data}, indent=2)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".approvals-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(body + "\n")
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise self._error(f"cannot be written: {exc.strerror or exc}") from None

    def _error(self, problem: str) -> ApprovalsError:
        return ApprovalsError(
            f"the plugin approvals file {self.path} {problem}",
            hint="fix or delete the file, then approve again with `zeroclaw plugins approve NAME`",
        )
