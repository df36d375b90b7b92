"""The `--json` shapes of `zeroclaw plugins list`, `plugins info` and `plugins validate`
(docs/commands-reference.md): the same facts as their text, as plain JSON objects.

`plugins status` needs none of its own: it prints the gateway's /api/plugins/status body
(gateway/plugin_bodies.py), whose shape the gateway already documents.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from zeroclaw.plugins.contract.lock import LockEntry

if TYPE_CHECKING:
    from zeroclaw.plugins.loading.loader import LoadedPlugin, PluginStatus


def plugin_summary(status: PluginStatus, entry: LockEntry | None) -> dict[str, Any]:
    """One line of `plugins list`: identity, state, what it provides, where it came from."""
    error = status.error
    return {
        "name": status.name,
        "version": status.version,
        "package": status.package,
        "state": status.current_state,
        "required": status.required,
        "directory": status.directory,
        "provides": provides(status.plugin) if status.plugin is not None else None,
        "error": {"message": error.message, "hint": error.hint} if error is not None else None,
        "installed_from": entry.model_dump() if entry is not None else None,
    }


def plugin_detail(status: PluginStatus, entry: LockEntry | None) -> dict[str, Any]:
    """`plugins info NAME`: the summary, then grants, limits, breaker and counters (null
    while the plugin is not loaded)."""
    shape = plugin_summary(status, entry)
    plugin = status.plugin
    shape.update(dict.fromkeys(("grants", "limits", "warnings", "breaker", "calls"), None))
    if plugin is None:
        return shape
    grants = plugin.grants
    limits = plugin.limits
    breaker = plugin.calls.breaker_status()
    shape.update(
        {
            "grants": {
                "requested": sorted(str(c) for c in grants.requested),
                "granted": sorted(str(c) for c in grants.granted),
                "refused": [
                    {"capability": str(r.capability), "why": r.why} for r in grants.refused
                ],
            },
            "limits": {
                "timeout_ms": limits.timeout_ms,
                "memory_mb": limits.memory_mb,
                "max_concurrency": limits.max_concurrency,
                "fuel": limits.fuel,
            },
            "warnings": list(plugin.warnings),
            "withheld_events": {e.value: why for e, why in sorted(plugin.withheld_events.items())},
            "breaker": {
                "state": breaker.state.value,
                "consecutive_failures": breaker.consecutive_failures,
                "trips": breaker.trips,
                "retry_in_s": breaker.retry_in_s,
            },
            "calls": dataclasses.asdict(plugin.calls.stats()),
            "runs": plugin.calls.inline.value,
            "compile_cache_hit": plugin.from_cache,
        }
    )
    return shape


def validation(plugin: LoadedPlugin, warnings: list[str], *, ok: bool) -> dict[str, Any]:
    """`plugins validate --json` of a plugin that loaded (`ok` false: warnings and
    --strict). One that did not is `{"ok": false, "plugin": null, "problems": [...]}`."""
    return {
        "ok": ok,
        "plugin": {
            "name": plugin.name,
            "version": plugin.version,
            "package": str(plugin.package),
            "granted": sorted(str(c) for c in plugin.grants.granted),
            "provides": provides(plugin),
        },
        "problems": [],
        "warnings": warnings,
    }


def provides(plugin: LoadedPlugin) -> dict[str, Any]:
    """{"events": [...]} for a hook plugin, {"tools": [...]} for a tool plugin,
    {"provider": {...}} for a provider plugin."""
    if plugin.package.id == "zeroclaw:hooks":
        return {"events": sorted(e.value for e in plugin.events)}
    if plugin.package.id == "zeroclaw:tools":
        return {"tools": [{"name": t.name, "description": t.description} for t in plugin.tools]}
    provider = plugin.provider
    if provider is None:
        return {"provider": None}
    return {
        "provider": {
            "name": provider.display_name,
            "default_model": provider.default_model,
            "models": list(provider.models),
            "supports_tools": provider.supports_tools,
        }
    }
