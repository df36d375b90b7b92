"""PluginRegistry: holds the current `PluginSnapshot` (snapshot.py) and swaps it at once.

A reload builds a new snapshot beside the current one and `publish` makes it current in one
reference assignment, so a reader sees either the old snapshot or the new one, whole.

How the host uses it: an agent turn takes `registry.current()` once, at its start, and
uses that snapshot's handlers to its end (see docs/plugins-runtime.md). Calls in flight
finish on the snapshot they started with; a replaced snapshot is retired
(`registry.users`, see retirement.py) and closed once its last turn or call is done.

This module imports wasmtime (through the loader); import it only when plugins are enabled.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from types import MappingProxyType

from zeroclaw.config import Config
from zeroclaw.config.models import PluginsConfig
from zeroclaw.memory import MemoryStore
from zeroclaw.observability import NoopObserver, Observer, PluginLoaded, PluginPermissions
from zeroclaw.plugins.adapters.hooks import hook_handlers
from zeroclaw.plugins.contract.lock import PluginLock
from zeroclaw.plugins.host.context import HostServices
from zeroclaw.plugins.lifecycle.retirement import SnapshotUsers
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.plugins.loading.loader import (
    LoadContext,
    configured_directories,
    engine_settings,
    load_plugins,
    required_error,
)
from zeroclaw.plugins.wasm.calls import RuntimeSettings
from zeroclaw.plugins.wasm.engine import PluginEngine
from zeroclaw.plugins.wasm.engine_settings import EngineSettings


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
        # Replaced snapshots, closed once their last turn or call is done (retirement.py).
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
            env=config.env,
        )
        return cls(
            services,
            cache_dir=config.plugin_cache_dir,
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
        directories, notes = configured_directories(config)
        context = LoadContext(
            config=config,
            engine=self.engine(engine_settings(config, directories)),
            services=self.services,
            settings=self.settings,
            observer=self.observer,
            # Read afresh on every build, so a reload sees what install or remove wrote.
            lock=PluginLock.read(config.lock_file) if config.lock_file is not None else None,
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
            granted = tuple(sorted(str(c) for c in plugin.grants.granted))
            self.observer.record(PluginPermissions(plugin.name, granted))
        handlers, hook_threads = hook_handlers(plugins)
        return PluginSnapshot(
            generation=generation,
            plugins=MappingProxyType(plugins),
            statuses=report.statuses,
            handlers=handlers,
            hook_threads=hook_threads,
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
