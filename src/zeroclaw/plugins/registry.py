"""PluginSnapshot (immutable) and PluginRegistry (holds the current one, swaps it at once).

A snapshot is everything one generation of plugins offers: the loaded plugins, their hook
handlers in dispatch order, their tools (`plugin_tools`) and providers (`provider`), and
what failed to load. It never changes after it is built; a reload builds a new one beside it
and `publish` makes it current in one reference assignment, so a reader sees either the
old snapshot or the new one, whole.

How the host uses it: an agent turn takes `registry.current()` once, at its start, and
uses that snapshot's handlers to its end (see docs/plugins-runtime.md). Calls in flight
finish on the snapshot they started with; a replaced snapshot is retired
(`registry.users`, see hot_reload.py) and closed once its last turn or call is done.

This module imports wasmtime (through the loader); import it only when plugins are enabled.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from zeroclaw.config import Config
from zeroclaw.config.models import PluginsConfig
from zeroclaw.memory import MemoryStore
from zeroclaw.observability import NoopObserver, Observer, PluginLoaded
from zeroclaw.plugins.adapters import PluginHookHandler, hook_handlers
from zeroclaw.plugins.engine import EngineSettings, PluginEngine
from zeroclaw.plugins.host import HostServices
from zeroclaw.plugins.hot_reload import SnapshotUsers
from zeroclaw.plugins.loader import (
    LoadContext,
    LoadedPlugin,
    PluginProviderInfo,
    PluginStatus,
    PluginToolSpec,
    engine_settings,
    load_plugins,
    plugin_directories,
    required_error,
)
from zeroclaw.plugins.provider_adapter import PluginProvider, provider_for
from zeroclaw.plugins.runtime import RuntimeSettings
from zeroclaw.plugins.tool_adapter import PluginToolSet, plugin_tools

CACHE_DIR_NAME = "plugin-cache"


@dataclass(frozen=True)
class PluginSnapshot:
    """One generation of plugins. Immutable; build a new one to change anything."""

    generation: int
    plugins: Mapping[str, LoadedPlugin] = field(default_factory=dict)
    statuses: tuple[PluginStatus, ...] = ()
    handlers: tuple[PluginHookHandler, ...] = ()
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

    def wait_idle(self, grace_s: float = 1.0) -> bool:
        """Wait for the calls still running (each ends by its own deadline)."""
        limit = max((p.limits.timeout_ms for p in self.plugins.values()), default=0) / 1000
        deadline = time.monotonic() + limit + grace_s
        return all(
            plugin.calls.wait_idle(max(0.0, deadline - time.monotonic()))
            for plugin in self.plugins.values()
        )


class PluginRegistry:
    """Holds the current `PluginSnapshot`; builds new ones from the config.

    One registry per runtime: it owns the engines (one per engine setting: fuel metering
    on or off), their epoch tickers and the compile cache.
    """

    def __init__(
        self,
        services: HostServices,
        *,
        cache_dir: Path | None,
        observer: Observer | None = None,
        settings: RuntimeSettings | None = None,
    ) -> None:
        self.services = services
        self.cache_dir = cache_dir
        self.observer: Observer = observer or NoopObserver()
        self.settings = settings or RuntimeSettings()
        self._current = PluginSnapshot.empty()
        self._generations = itertools.count(1)
        self._engines: dict[EngineSettings, PluginEngine] = {}
        self._lock = threading.Lock()
        # Replaced snapshots, closed once their last turn or call is done (hot_reload.py).
        self.users = SnapshotUsers()

    @classmethod
    def for_config(
        cls,
        config: Config,
        *,
        memory: MemoryStore | None = None,
        observer: Observer | None = None,
        settings: RuntimeSettings | None = None,
    ) -> PluginRegistry:
        services = HostServices(
            data_dir=config.data_dir,
            memory=memory,
            memory_recall_limit=config.memory.recall_limit,
        )
        return cls(
            services,
            cache_dir=config.data_dir / CACHE_DIR_NAME,
            observer=observer,
            settings=settings,
        )

    def current(self) -> PluginSnapshot:
        """The snapshot to use now; take it once per turn."""
        return self._current

    def publish(self, snapshot: PluginSnapshot) -> PluginSnapshot:
        """Make `snapshot` current (one reference swap); returns the one it replaced."""
        with self._lock:
            previous, self._current = self._current, snapshot
        return previous

    def build(self, config: PluginsConfig, *, strict: bool = True) -> PluginSnapshot:
        """A new snapshot from `config` (not published).

        `strict`: a required plugin that did not load raises `RequiredPluginError` (and the
        plugins that did load are closed). Without it the problems are in
        `required_problems`, for commands that report rather than serve.
        """
        directories, notes = plugin_directories(config.dirs)
        context = LoadContext(
            config=config,
            engine=self.engine(engine_settings(config, directories)),
            services=self.services,
            settings=self.settings,
            observer=self.observer,
        )
        report = load_plugins(context, directories)
        if strict and report.required_problems:
            for plugin in report.plugins:
                plugin.calls.close()
            raise required_error(report.required_problems)
        generation = next(self._generations)
        plugins = {plugin.name: plugin for plugin in report.plugins}
        for plugin in plugins.values():
            self.observer.record(
                PluginLoaded(
                    plugin.name, plugin.version, generation, plugin.load_ms, plugin.from_cache
                )
            )
        return PluginSnapshot(
            generation=generation,
            plugins=MappingProxyType(plugins),
            statuses=report.statuses,
            handlers=hook_handlers(plugins),
            warnings=(*notes, *report.warnings),
            required_problems=report.required_problems,
        )

    def load(self, config: PluginsConfig) -> PluginSnapshot:
        """Build a snapshot from `config` and publish it; returns it."""
        snapshot = self.build(config)
        self.publish(snapshot)
        return snapshot

    def engine(self, settings: EngineSettings) -> PluginEngine:
        """The engine (started) for `settings`, created on first use."""
        with self._lock:
            engine = self._engines.get(settings)
            if engine is None:
                engine = PluginEngine(settings, cache_dir=self.cache_dir)
                engine.start()
                self._engines[settings] = engine
            return engine

    def close(self) -> None:
        """Close the current snapshot and the replaced ones still in use, let their running
        calls end (the epoch tickers must run until then, or a looping guest would never be
        interrupted), stop the tickers, close the host services."""
        self._current.close()
        self.users.close()
        self._current.wait_idle()
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()
        self.services.close()

    def __enter__(self) -> PluginRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
