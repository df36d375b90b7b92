"""The bodies of the plugin endpoints (GET /api/plugins/status, POST /api/plugins/reload),
shared with `zeroclaw plugins status|reload`, which read them back.

Only pydantic here: the CLI imports this module without the gateway or the plugin runtime.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from zeroclaw.plugins.contract.permissions import Refusal
    from zeroclaw.plugins.lifecycle.reload import PluginSummary, ReloadReport, ReloadStatus


# The hash of a snapshot without plugins (plugins/lifecycle/fingerprint.py's EMPTY, kept
# here so this module needs only pydantic).
EMPTY_SNAPSHOT_HASH = "sha256:" + hashlib.sha256(b"[]").hexdigest()


class PermissionChange(BaseModel):
    plugin: str
    added: list[str] = Field(description="Capabilities the new version is granted in addition.")
    removed: list[str] = Field(description="Capabilities the new version is no longer granted.")
    new_plugin: bool = Field(description="The plugin was not in the serving set before.")


class RefusedChange(BaseModel):
    """A grant set the operator refused (`zeroclaw plugins refuse`, the console's Refuse)
    that a plugin asks for: it is not loaded, and nobody is asked again."""

    plugin: str
    grants: list[str] = Field(description="The grant set refused.")
    grant_hash: str
    refused_by: str = Field(description='"cli:USER" or "console:TOKEN-ID".')
    refused_at: str = Field(description="ISO-8601 UTC.")

    @classmethod
    def of(cls, refusal: Refusal) -> RefusedChange:
        return cls(
            plugin=refusal.plugin,
            grants=list(refusal.grants),
            grant_hash=refusal.grant_hash,
            refused_by=refusal.refused_by,
            refused_at=refusal.refused_at,
        )


class PluginReloadResult(BaseModel):
    """How one reload ended: the new generation serving, or the old one kept and why."""

    swapped: bool = Field(description="True: the candidate passed and serves now.")
    generation: int = Field(description="The generation serving after this reload.")
    previous_generation: int
    plugins: int = Field(description="Plugins loaded in the generation serving.")
    trigger: str = Field(description="watch, api, signal, ...")
    at: datetime
    duration_ms: float
    reason: str | None = Field(description="Why the candidate was refused (rolled back).")
    problems: list[str] = Field(description="Each plugin that failed to load, with its error.")
    still_failing: list[str] = Field(
        description="Plugins that failed before this reload too: reported, not blocking."
    )
    permission_changes: list[PermissionChange]
    awaiting_approval: list[str] = Field(
        description="Plugins whose new grants wait for `zeroclaw plugins approve NAME`."
    )
    refused: list[RefusedChange] = Field(
        default_factory=list,
        description="Plugins whose new grants the operator refused: not loaded, not asked "
        "again (`zeroclaw plugins approve NAME` overrides).",
    )
    fleet_notified: bool = Field(
        False,
        description="The other replicas sharing the database were asked to reload too "
        "(memory.backend = postgres); each reports its own outcome in its status.",
    )

    @classmethod
    def of(cls, report: ReloadReport) -> PluginReloadResult:
        return cls(
            swapped=report.swapped,
            generation=report.generation,
            previous_generation=report.previous_generation,
            plugins=report.plugins,
            trigger=report.trigger,
            at=datetime.fromtimestamp(report.at, UTC),
            duration_ms=round(report.duration_ms, 3),
            reason=report.reason,
            problems=list(report.problems),
            still_failing=list(report.still_failing),
            permission_changes=[
                PermissionChange(
                    plugin=d.plugin,
                    added=list(d.added),
                    removed=list(d.removed),
                    new_plugin=d.new_plugin,
                )
                for d in report.permission_changes
            ],
            awaiting_approval=list(report.awaiting_approval),
            refused=[RefusedChange.of(r) for r in report.refused],
        )


class PluginEntry(BaseModel):
    name: str
    version: str | None
    package: str | None
    state: str = Field(description="loaded, failed, disabled or quarantined.")
    required: bool
    grants: list[str]
    error: str | None
    skipped: int = Field(
        0,
        description="Failed hook calls skipped because the plugin is fail_open (what it "
        "guards did not happen for them); mark it `required` to cancel instead.",
    )
    inline_overruns: int = Field(
        0,
        description="Calls first tried on the event loop's thread (plugins.inline_first) "
        "that overran the inline deadline and ran again on the plugin's worker threads; "
        "not failures.",
    )

    @classmethod
    def of(cls, summary: PluginSummary) -> PluginEntry:
        return cls(
            name=summary.name,
            version=summary.version,
            package=summary.package,
            state=summary.state,
            required=summary.required,
            grants=list(summary.grants),
            error=summary.error,
            skipped=summary.skipped,
            inline_overruns=summary.inline_overruns,
        )


class ReloadCounts(BaseModel):
    swapped: int = 0
    rolled_back: int = 0


class PluginsStatus(BaseModel):
    """The plugin snapshot serving now and the reloads of this process."""

    enabled: bool = Field(description="plugins.enabled; false: everything else is empty.")
    generation: int = Field(description="This process's count of snapshots published.")
    snapshot_hash: str = Field(
        description="sha256 of the plugins serving (names, versions, component sha256, "
        "grants): equal on every replica that runs the same plugins."
    )
    replica: str | None = Field(
        None, description="This replica's id in the fleet (memory.backend = postgres)."
    )
    hot_reload: bool
    watching: list[str] = Field(description="The plugin dirs the watcher watches.")
    watcher_error: str | None = Field(description="Why the watcher stopped, if it did.")
    require_approval_for_new_capabilities: bool
    serving_blocker: str | None = Field(
        description="Set while a required plugin is quarantined: turns get 503."
    )
    plugins: list[PluginEntry]
    reloads: ReloadCounts
    last_reload: PluginReloadResult | None
    last_failure: PluginReloadResult | None
    retiring: list[int] = Field(
        description="Replaced generations still in use by a turn or call in flight."
    )
    refused: list[RefusedChange] = Field(
        default_factory=list,
        description="Refused grant changes the last reload found (those plugins keep their "
        "live version, or stay unloaded if new).",
    )

    @classmethod
    def of(cls, status: ReloadStatus) -> PluginsStatus:
        return cls(
            enabled=True,
            generation=status.generation,
            snapshot_hash=status.snapshot_hash,
            hot_reload=status.hot_reload,
            watching=list(status.watching),
            watcher_error=status.watcher_error,
            require_approval_for_new_capabilities=status.require_approval,
            serving_blocker=status.serving_blocker,
            plugins=[PluginEntry.of(summary) for summary in status.plugins],
            reloads=ReloadCounts(swapped=status.swapped, rolled_back=status.rolled_back),
            last_reload=PluginReloadResult.of(status.last) if status.last else None,
            last_failure=(
                PluginReloadResult.of(status.last_failure) if status.last_failure else None
            ),
            retiring=list(status.retiring),
            refused=[RefusedChange.of(r) for r in status.refused],
        )

    @classmethod
    def disabled(cls) -> PluginsStatus:
        return cls(
            enabled=False,
            generation=0,
            snapshot_hash=EMPTY_SNAPSHOT_HASH,
            hot_reload=False,
            watching=[],
            watcher_error=None,
            require_approval_for_new_capabilities=False,
            serving_blocker=None,
            plugins=[],
            reloads=ReloadCounts(),
            last_reload=None,
            last_failure=None,
            retiring=[],
        )
