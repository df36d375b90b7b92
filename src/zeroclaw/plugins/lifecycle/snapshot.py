"""PluginSnapshot: one generation of plugins, immutable.

A snapshot is everything one generation of plugins offers: the loaded plugins, their hook
handlers in dispatch order, their tools (`plugin_tools`) and providers (`provider`), and
what failed to load. It never changes after it is built; a reload builds a new one beside it
and the registry makes it current in one reference assignment, so a reader sees either the
old snapshot or the new one, whole.

This module imports wasmtime (through the loaded plugins' types); import it only when
plugins are enabled.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from zeroclaw.plugins.adapters.hooks import PluginHookHandler
from zeroclaw.plugins.adapters.providers import PluginProvider, provider_for
from zeroclaw.plugins.adapters.tools import PluginToolSet, plugin_tools
from zeroclaw.plugins.loading.loader import (
    LoadedPlugin,
    PluginProviderInfo,
    PluginStatus,
    PluginToolSpec,
)
from zeroclaw.plugins.wasm.workers import PluginWorkers


@dataclass(frozen=True)
class PluginSnapshot:
    """One generation of plugins. Immutable; build a new one to change anything."""

    generation: int
    plugins: Mapping[str, LoadedPlugin] = field(default_factory=dict)
    statuses: tuple[PluginStatus, ...] = ()
    handlers: tuple[PluginHookHandler, ...] = ()
    # The worker threads of the handlers' calls that do not run inline (hook_handlers).
    hook_threads: PluginWorkers | None = None
    warnings: tuple[str, ...] = ()
    required_problems: tuple[str, ...] = ()

    @classmethod
    def empty(cls) -> PluginSnapshot:
        return cls(generation=0)

    def hook_handlers(self) -> tuple[PluginHookHandler, ...]:
        """The hook handlers of this generation, in dispatch order."""
        return self.handlers

    @property
    def tool_specs(self) -> Mapping[str, tuple[PluginToolSpec, ...]]:
        """Plugin name -> the tools it offers (tool plugins)."""
        return {name: p.tools for name, p in self.plugins.items() if p.tools}

    @property
    def providers(self) -> Mapping[str, PluginProviderInfo]:
        """Plugin name -> what it said about itself (provider plugins)."""
        return {name: p.provider for name, p in self.plugins.items() if p.provider is not None}

    @cached_property
    def plugin_tools(self) -> PluginToolSet:
        """The tools of this generation's tool plugins as `Tool`s, a name two plugins offer
        settled (the plugin whose name sorts first keeps it); made once per snapshot."""
        return plugin_tools(self.plugins)

    def provider(self, name: str) -> PluginProvider | None:
        """The provider plugin `name` as a `Provider` (the provider factory's plugin
        resolver); None if no plugin has that name, an `UnknownProviderError` if one does
        but cannot serve (not a provider plugin, failed to load, disabled)."""
        return provider_for(self.plugins, self.statuses, name)

    @property
    def load_errors(self) -> tuple[PluginStatus, ...]:
        return tuple(status for status in self.statuses if status.state == "failed")

    def status(self, name: str) -> PluginStatus | None:
        return next((status for status in self.statuses if status.name == name), None)

    def serving_blocker(self) -> str | None:
        """Why the host must refuse to serve, if it must: a required plugin is quarantined."""
        blocked = [
            f"{p.name} is quarantined ({p.calls.breaker_status().last_failure})"
            for p in self.plugins.values()
            if p.required and p.state == "quarantined"
        ]
        return "; ".join(blocked) or None

    def close(self) -> None:
        """Refuse new calls into this generation's plugins and drop their idle instances."""
        for plugin in self.plugins.values():
            plugin.calls.close()
        if self.hook_threads is not None:
            # After the plugins: a chain handed over from now on runs on the caller's
            # thread, where every call it makes is refused at once.
            self.hook_threads.close()

    def wait_idle(self, grace_s: float = 1.0) -> bool:
        """Wait for the calls still running (each ends by its own deadline)."""
        limit = max((p.limits.timeout_ms for p in self.plugins.values()), default=0) / 1000
        deadline = time.monotonic() + limit + grace_s
        return all(
            plugin.calls.wait_idle(max(0.0, deadline - time.monotonic()))
            for plugin in self.plugins.values()
        )
