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

A refusal (`zeroclaw plugins refuse NAME`, the console's Refuse button) is the operator's
"no" to one grant set of one plugin, kept in the same place under the same key, with who
refused and when. While the plugin asks for that set, a reload that would bring it in
keeps the live snapshot serving (the previous approved version, or no version of a new
plugin) and asks nobody; a plugin that then asks for another set is asked about again.
One decision per set: approving a refused set replaces the refusal, and refusing an
approved set withdraws the approval.

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


@dataclass(frozen=True, slots=True)
class Refusal:
    plugin: str
    grants: tuple[str, ...]
    grant_hash: str
    refused_at: str
    # Who refused: "cli:USER" or "console" (what the gateway knows of a console login).
    refused_by: str

    def __str__(self) -> str:
        return f"refused by {self.refused_by} at {self.refused_at}"


class Approvals(Protocol):
    """Where approvals are kept: a file (one host) or the shared database (replicas)."""

    @property
    def where(self) -> str:
        """Where the approvals live, for messages."""
        ...

    def is_approved(self, plugin: str, grants: Iterable[str]) -> bool: ...

    def approvals(self, plugin: str) -> tuple[Approval, ...]: ...

    def approve(self, plugin: str, grants: Iterable[str]) -> Approval:
        """Approve the set (replacing a refusal of it)."""
        ...

    def refusal(self, plugin: str, grants: Iterable[str]) -> Refusal | None:
        """The refusal of exactly this set, if there is one."""
        ...

    def refuse(self, plugin: str, grants: Iterable[str], by: str) -> Refusal:
        """Refuse the set (withdrawing an approval of it)."""
        ...


def new_approval(plugin: str, grants: Iterable[str]) -> Approval:
    granted = tuple(sorted(set(grants)))
    return Approval(plugin, granted, grant_set_hash(granted), _now())


def new_refusal(plugin: str, grants: Iterable[str], by: str) -> Refusal:
    granted = tuple(sorted(set(grants)))
    return Refusal(plugin, granted, grant_set_hash(granted), _now(), by)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class _Decisions:
    """The approvals file: plugin name -> grant set hash -> approval, and -> refusal."""

    approvals: dict[str, dict[str, Approval]]
    refusals: dict[str, dict[str, Refusal]]


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
        return grant_set_hash(grants) in self._read().approvals.get(plugin, {})

    def approvals(self, plugin: str) -> tuple[Approval, ...]:
        return tuple(self._read().approvals.get(plugin, {}).values())

    def approve(self, plugin: str, grants: Iterable[str]) -> Approval:
        approval = new_approval(plugin, grants)
        decisions = self._read()
        decisions.approvals.setdefault(plugin, {})[approval.grant_hash] = approval
        decisions.refusals.get(plugin, {}).pop(approval.grant_hash, None)
        self._write(decisions)
        return approval

    def refusal(self, plugin: str, grants: Iterable[str]) -> Refusal | None:
        return self._read().refusals.get(plugin, {}).get(grant_set_hash(grants))

    def refuse(self, plugin: str, grants: Iterable[str], by: str) -> Refusal:
        refusal = new_refusal(plugin, grants, by)
        decisions = self._read()
        decisions.refusals.setdefault(plugin, {})[refusal.grant_hash] = refusal
        decisions.approvals.get(plugin, {}).pop(refusal.grant_hash, None)
        self._write(decisions)
        return refusal

    def all(self) -> tuple[Approval | Refusal, ...]:
        """Every decision in the file, approvals then refusals (what `memory export`
        carries to another database)."""
        decisions = self._read()
        return (
            *(a for sets in decisions.approvals.values() for a in sets.values()),
            *(r for sets in decisions.refusals.values() for r in sets.values()),
        )

    def keep(self, decisions: Iterable[Approval | Refusal]) -> None:
        """Add `decisions` as they are, dates included (what `memory import` brings); a set
        the file has already decided (approved or refused) keeps its own decision."""
        current = self._read()
        for decision in decisions:
            plugin, digest = decision.plugin, decision.grant_hash
            if digest in current.approvals.get(plugin, {}) or digest in current.refusals.get(
                plugin, {}
            ):
                continue
            if isinstance(decision, Refusal):
                current.refusals.setdefault(plugin, {})[digest] = decision
            else:
                current.approvals.setdefault(plugin, {})[digest] = decision
        self._write(current)

    # -- the file ---------------------------------------------------------------------------

    def _read(self) -> _Decisions:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _Decisions({}, {})
        except OSError as exc:
            raise self._error(f"cannot be read: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self._error(f"is not valid JSON ({exc})") from None
        try:
            approvals = {
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
            # Beside "approvals", not among them: a ZeroClaw from before refusals reads
            # the file too, and must not take a refused set for an approved one.
            refusals = {
                plugin: {
                    digest: Refusal(
                        plugin,
                        tuple(str(grant) for grant in entry["grants"]),
                        digest,
                        str(entry["refused_at"]),
                        str(entry["refused_by"]),
                    )
                    for digest, entry in sets.items()
                }
                for plugin, sets in data.get("refusals", {}).items()
            }
        except (KeyError, TypeError, AttributeError):
            raise self._error(
                'does not have the shape {"version": 1, "approvals": {NAME: {HASH: '
                '{"grants": [...], "approved_at": "..."}}}, "refusals": {NAME: {HASH: '
                '{"grants": [...], "refused_at": "...", "refused_by": "..."}}}}'
            ) from None
        return _Decisions(approvals, refusals)

    def _write(self, decisions: _Decisions) -> None:
        approvals = {
            plugin: {
                digest: {"grants": list(a.grants), "approved_at": a.approved_at}
                for digest, a in sets.items()
            }
            for plugin, sets in sorted(decisions.approvals.items())
            if sets
        }
        refusals = {
            plugin: {
                digest: {
                    "grants": list(r.grants),
                    "refused_at": r.refused_at,
                    "refused_by": r.refused_by,
                }
                for digest, r in sets.items()
            }
            for plugin, sets in sorted(decisions.refusals.items())
            if sets
        }
        document = {"version": _FORMAT_VERSION, "approvals": approvals, "refusals": refusals}
        body = json.dumps(document, indent=2)
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
