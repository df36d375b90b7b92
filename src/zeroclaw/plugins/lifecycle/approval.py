"""Approving or refusing a plugin's grants: what `zeroclaw plugins approve NAME` and the
console's Approve button both do (and `plugins refuse NAME` and its Refuse button), so the
two cannot drift apart.

The approval is of the grant set the plugin's manifest is granted under the current config
(requested ∩ allow − deny), recorded where approvals are kept (`permissions.Approvals`: the
approvals file, or the database the replicas share); the next reload reads it. A running
gateway's pending changes are the ones its last rolled-back reload waits on
(`PluginReloader.status().awaiting`); `pending_approvals` pairs each with the grant set an
approval would record and whether that set is approved already.

A refusal is of the same grant set an approval would record (requested ∩ allow − deny
under the current config), so "the same request" means the same set, whatever the
plugin's version: while the plugin asks for it, reloads keep its live version (or none)
and ask nobody; a request for another set is asked about again.

This module does not import wasmtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zeroclaw.errors import ZeroClawError
from zeroclaw.plugins.contract.grants import Grants, grants_for_plugin
from zeroclaw.plugins.contract.manifest import PluginManifest, load_manifest
from zeroclaw.plugins.contract.permissions import Approval, Approvals, PermissionDiff, Refusal
from zeroclaw.plugins.errors import ManifestError

if TYPE_CHECKING:
    from zeroclaw.config.models import PluginsConfig


@dataclass(frozen=True, slots=True)
class GrantApproval:
    """One approval written: the plugin's manifest, the grants it covers, what was not
    granted (and so not approved either)."""

    manifest: PluginManifest
    grants: Grants
    approval: Approval


@dataclass(frozen=True, slots=True)
class GrantRefusal:
    """One refusal written: the plugin's manifest and the grant set refused."""

    manifest: PluginManifest
    refusal: Refusal


@dataclass(frozen=True, slots=True)
class PendingApproval:
    """A grant change a reload waits on, and the grant set approving it would record."""

    diff: PermissionDiff
    grants: tuple[str, ...]
    approved: bool


def find_manifest(config: PluginsConfig, name: str) -> PluginManifest:
    """The manifest of the configured plugin called `name` (ZeroClawError naming the ones
    there are otherwise)."""
    from zeroclaw.plugins.loading.loader import configured_directories

    directories, _ = configured_directories(config)
    found = []
    for directory in directories:
        try:
            manifest = load_manifest(directory)
        except ManifestError:
            continue
        if manifest.name == name:
            return manifest
        found.append(manifest.name)
    raise ZeroClawError(
        f"no plugin named {name!r} in plugins.dirs (found: {', '.join(found) or 'none'})",
        hint="`zeroclaw plugins list` shows them",
    )


def granted_now(config: PluginsConfig, manifest: PluginManifest) -> Grants:
    return grants_for_plugin(manifest.name, manifest.requested_capabilities, config)


def approve_plugin(
    config: PluginsConfig, store: Approvals, name: str, *, shown: Sequence[str] | None = None
) -> GrantApproval:
    """Record the grants plugin `name` is given under `config` as approved. `shown`: the
    grant set the operator was shown (the console's page); if the manifest now asks for
    another, nothing is approved: an approval covers what was seen, not what the plugin's
    folder says a moment later."""
    manifest = find_manifest(config, name)
    grants = granted_now(config, manifest)
    now = sorted(str(c) for c in grants.granted)
    if shown is not None and sorted(shown) != now:
        raise ZeroClawError(
            f"plugin {name!r} now asks for grants {', '.join(now) or 'none'}, not the "
            f"{', '.join(sorted(shown)) or 'none'} shown when the page was rendered",
            hint="review the change on the Approvals page again, then approve it",
        )
    approval = store.approve(name, now)
    return GrantApproval(manifest, grants, approval)


def refuse_plugin(config: PluginsConfig, store: Approvals, name: str, by: str) -> GrantRefusal:
    """Record the grants plugin `name` asks for under `config` as refused, by `by`."""
    manifest = find_manifest(config, name)
    grants = granted_now(config, manifest)
    refusal = store.refuse(name, [str(c) for c in grants.granted], by)
    return GrantRefusal(manifest, refusal)


def pending_approvals(
    config: PluginsConfig, store: Approvals, awaiting: tuple[PermissionDiff, ...]
) -> tuple[PendingApproval, ...]:
    """Each change in `awaiting`, with the grant set an approval would record now."""
    pending = []
    for diff in awaiting:
        try:
            manifest = find_manifest(config, diff.plugin)
        except ZeroClawError:
            continue  # removed since: nothing left to approve
        granted = tuple(sorted(str(c) for c in granted_now(config, manifest).granted))
        pending.append(PendingApproval(diff, granted, store.is_approved(diff.plugin, granted)))
    return tuple(pending)
