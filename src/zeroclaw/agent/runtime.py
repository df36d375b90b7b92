"""Assembling a working agent from a `Config`: memory, security policy, tools, provider,
hooks and observers.

One place decides how the parts fit, so the CLI, the demo and the gateway build the same
agent. `AgentRuntime` owns what must be closed: pending void hooks, the heartbeat, the
plugin registry and the SQLite store.

Plugins: with `plugins.enabled` the runtime builds a `PluginRegistry`, loads the plugins
of `plugins.dirs` (a required plugin that fails stops the runtime from being built) and
layers what each snapshot offers over the native parts, one view per snapshot: its hook
handlers over the native runner (`SnapshotHooks`), its tools over the native registry
(`SnapshotTools`: a native tool of the same name wins) and its provider plugins into the
configured provider chain (`SnapshotProviders`: `plugin:NAME`, and bare names no native
provider claims). Each turn takes the views of the snapshot live when it started, and
uses them to its end; with plugins off the tools are the native registry and the provider
is `build_provider(config.llm)`, exactly as without the subsystem. A `PluginReloader` reloads them
on demand (and on change, with `plugins.hot_reload`); a replaced snapshot is closed once
the last view of it is gone (see plugins/hot_reload.py). With plugins disabled (the default)
the plugin runtime is never imported, and wasmtime with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from zeroclaw.agent.approval import Approver
from zeroclaw.agent.loop import Agent, ProviderResolver, Providers, ProviderSource
from zeroclaw.agent.tool_gate import ToolGate
from zeroclaw.config import Config
from zeroclaw.hooks import HookRunner, ObserverBridge
from zeroclaw.hooks.builtin import register_builtin_hooks
from zeroclaw.memory import MemoryStore
from zeroclaw.observability import HeartbeatObserved, Observer, build_observer
from zeroclaw.providers import (
    ChatRequest,
    ChatResponse,
    Provider,
    ProviderFactory,
    StreamEvent,
    build_provider,
)
from zeroclaw.tools import SecurityPolicy, ToolRegistry, default_registry

if TYPE_CHECKING:
    from zeroclaw.plugins.hot_reload import PluginReloader
    from zeroclaw.plugins.registry import PluginRegistry, PluginSnapshot

V = TypeVar("V")


class AgentRuntime:
    def __init__(
        self,
        *,
        config: Config,
        memory: MemoryStore,
        policy: SecurityPolicy,
        tools: ToolRegistry,
        gate: ToolGate,
        provider: Provider,
        hooks: HookRunner,
        observer: Observer,
        agent: Agent,
        plugins: PluginRegistry | None = None,
        reloader: PluginReloader | None = None,
    ) -> None:
        self.config = config
        self.memory = memory
        self.policy = policy
        self.tools = tools
        self.gate = gate
        self.provider = provider
        self.hooks = hooks
        self.observer = observer
        self.agent = agent
        self.plugins = plugins
        self.reloader = reloader
        self._heartbeat: asyncio.Task[None] | None = None

    def live_hooks(self) -> HookRunner:
        """The runner a turn starting now would use: native hooks plus the live snapshot's."""
        return self.agent.hooks_for_turn()

    def live_tools(self) -> ToolRegistry:
        """The tools a turn starting now would offer: native tools plus the live snapshot's."""
        return self.agent.tools_for_turn()

    def live_providers(self) -> Providers:
        """The providers a turn starting now would use (plugin ones from the live snapshot)."""
        return self.agent.providers_for_turn()

    @classmethod
    def from_config(
        cls, config: Config, *, approver: Approver, extra_observers: Sequence[Observer] = ()
    ) -> AgentRuntime:
        workspace = config.workspace
        workspace.mkdir(parents=True, exist_ok=True)
        # Without plugins the provider is built first, as it always was (a missing key fails
        # before anything is opened); with them, from the loaded plugins' snapshot.
        provider: Provider | None = None if config.plugins.enabled else build_provider(config.llm)
        # An empty model lets each provider of the chain use its own default.
        model = config.llm.model or ""
        hooks = HookRunner.from_settings(config.hooks)
        live_hooks = SnapshotHooks(hooks)
        observer = build_observer(
            config.observability, extra=[ObserverBridge(live_hooks), *extra_observers]
        )
        memory = MemoryStore.open(config.memory_path)
        plugins: PluginRegistry | None = None
        reloader: PluginReloader | None = None
        try:
            policy = SecurityPolicy(config.tools, workspace)
            tools = default_registry(config, memory, policy)
            live_tools = SnapshotTools(tools)
            providers: Provider | ProviderSource
            if provider is None:
                plugins = _load_plugins(config, memory, observer)
                live_hooks.registry = plugins
                live_tools.registry = plugins
                live_providers = SnapshotProviders(ProviderFactory(config.llm), plugins)
                providers = live_providers
                provider = LiveProvider(live_providers)  # an unknown provider fails here
                reloader = _reloader(
                    config, plugins, _retire_all(live_hooks, live_tools, live_providers), observer
                )
            else:
                providers = provider
            gate = ToolGate(policy, live_tools, approver, workspace, live_hooks)
            register_builtin_hooks(
                hooks, config=config, memory=memory, provider=provider, model=model, policy=policy
            )
            agent = Agent(
                config=config.agent,
                provider=providers,
                model=model,
                tools=live_tools,
                gate=gate,
                memory=memory,
                hooks=live_hooks,
                observer=observer,
                provider_for=_provider_resolver(config),
            )
        except BaseException:
            if reloader is not None:
                reloader.close()
            if plugins is not None:
                plugins.close()
            memory.close()
            raise
        return cls(
            config=config,
            memory=memory,
            policy=policy,
            tools=tools,
            gate=gate,
            provider=provider,
            hooks=hooks,
            observer=observer,
            agent=agent,
            plugins=plugins,
            reloader=reloader,
        )

    def start_heartbeat(self) -> None:
        """Record a heartbeat (on_heartbeat_tick) every hooks.heartbeat_interval_s seconds."""
        interval = getattr(self.config.hooks, "heartbeat_interval_s", 0)
        if interval > 0 and self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat(interval))

    async def _beat(self, interval: float) -> None:
        tick = 0
        while True:
            await asyncio.sleep(interval)
            tick += 1
            self.observer.record(HeartbeatObserved(tick, time.time()))

    async def aclose(self) -> None:
        """Stop the heartbeat, let pending void hooks finish (bounded), close the store."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        try:
            await self.hooks.drain()
        finally:
            self._close_plugins()
            self.memory.close()

    def close(self) -> None:
        """Close without an event loop (CLI commands that ran no turn)."""
        self._close_plugins()
        self.memory.close()

    def _close_plugins(self) -> None:
        if self.reloader is not None:
            self.reloader.close()
            self.reloader = None
        if self.plugins is not None:
            self.plugins.close()
            self.plugins = None

    async def __aenter__(self) -> AgentRuntime:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class SnapshotHooks:
    """The hook runner of the live plugin snapshot: the native runner layered with that
    snapshot's handlers (one view per snapshot, made when first asked for). Without a
    registry it is the native runner itself.

    Each view is a user of its snapshot (`registry.users`): a replaced snapshot is closed
    once no turn or void call holds its view any more (`retire`)."""

    def __init__(self, native: HookRunner) -> None:
        self.native = native
        self.registry: PluginRegistry | None = None
        self._view: tuple[object, HookRunner] | None = None
        # Taking a new view and retiring a snapshot exclude each other (SnapshotUsers).
        self._lock = threading.Lock()

    def __call__(self) -> HookRunner:
        registry = self.registry
        if registry is None:
            return self.native
        cached = self._view
        if cached is not None and cached[0] is registry.current():
            return cached[1]
        with self._lock:
            snapshot = registry.current()
            cached = self._view
            if cached is not None and cached[0] is snapshot:
                return cached[1]
            view = self.native.layered(snapshot.hook_handlers())
            while not registry.users.hold(snapshot, view):
                snapshot = registry.current()
                view = self.native.layered(snapshot.hook_handlers())
            self._view = (snapshot, view)
            return view

    def retire(self, snapshot: PluginSnapshot) -> None:
        """`snapshot` was replaced: drop its cached view; it closes when no one holds one."""
        registry = self.registry
        if registry is None:
            return
        with self._lock:
            if self._view is not None and self._view[0] is snapshot:
                self._view = None
            registry.users.retire(snapshot)


class _SnapshotViews(Generic[V]):
    """One view of the live plugin snapshot, made by `make` when first asked for (one per
    snapshot) and held as a user of its snapshot (`registry.users`) for as long as a turn
    keeps it, like the hook views of `SnapshotHooks`; `retire` drops a replaced one."""

    def __init__(self, registry: PluginRegistry, make: Callable[[PluginSnapshot], V]) -> None:
        self.registry = registry
        self._make = make
        self._view: tuple[object, V] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> V:
        registry = self.registry
        cached = self._view
        if cached is not None and cached[0] is registry.current():
            return cached[1]
        with self._lock:
            snapshot = registry.current()
            cached = self._view
            if cached is not None and cached[0] is snapshot:
                return cached[1]
            view = self._make(snapshot)
            while not registry.users.hold(snapshot, view):
                snapshot = registry.current()
                view = self._make(snapshot)
            self._view = (snapshot, view)
            return view

    def retire(self, snapshot: PluginSnapshot) -> None:
        with self._lock:
            if self._view is not None and self._view[0] is snapshot:
                self._view = None
            self.registry.users.retire(snapshot)


class SnapshotTools:
    """The tool registry of the live plugin snapshot: the native registry layered with that
    snapshot's plugin tools (a native tool of the same name wins; clashes are logged and
    kept in the view's `conflicts`). Without a registry it is the native registry itself."""

    def __init__(self, native: ToolRegistry) -> None:
        self.native = native
        self._views: _SnapshotViews[ToolRegistry] | None = None

    @property
    def registry(self) -> PluginRegistry | None:
        return self._views.registry if self._views is not None else None

    @registry.setter
    def registry(self, registry: PluginRegistry | None) -> None:
        self._views = None if registry is None else _SnapshotViews(registry, self._layered)

    def __call__(self) -> ToolRegistry:
        return self.native if self._views is None else self._views()

    def retire(self, snapshot: PluginSnapshot) -> None:
        if self._views is not None:
            self._views.retire(snapshot)

    def _layered(self, snapshot: PluginSnapshot) -> ToolRegistry:
        offered = snapshot.plugin_tools
        return self.native.with_tools(
            offered.tools, "plugin", labels=offered.labels, conflicts=offered.conflicts
        )


class SnapshotProviders:
    """The providers of the live plugin snapshot: the configured chain (retries, fallbacks,
    routes) with that snapshot's provider plugins, and a resolver for the names
    before_model_resolve may choose. Native providers are made once and shared by every
    snapshot's chain. A snapshot without a provider the config names raises
    `UnknownProviderError` (the runtime asks once at start, so the config is checked)."""

    def __init__(self, factory: ProviderFactory, registry: PluginRegistry) -> None:
        self.factory = factory
        self._views = _SnapshotViews(registry, self._providers)

    def __call__(self) -> Providers:
        return self._views()

    def retire(self, snapshot: PluginSnapshot) -> None:
        self._views.retire(snapshot)

    def _providers(self, snapshot: PluginSnapshot) -> Providers:
        factory = self.factory.for_plugins(snapshot.provider)
        return Providers(factory.build(), factory.resilient)


def _retire_all(
    *views: SnapshotHooks | SnapshotTools | SnapshotProviders,
) -> Callable[[PluginSnapshot], None]:
    """What a reload calls for a replaced snapshot: every view of it is dropped, and it is
    closed once no turn holds one any more."""

    def retire(snapshot: PluginSnapshot) -> None:
        for view in views:
            view.retire(snapshot)

    return retire


class LiveProvider:
    """The default provider of the live snapshot, looked up on every call: for what talks
    to the model outside a turn (the built-in hooks' summaries), so a reload never leaves
    it holding a replaced snapshot's plugin."""

    def __init__(self, source: ProviderSource) -> None:
        self._source = source
        self.name = source().default.name

    async def chat(self, request: ChatRequest) -> ChatResponse:
        return await self._source().default.chat(request)

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        return self._source().default.stream(request)


def _load_plugins(config: Config, memory: MemoryStore, observer: Observer) -> PluginRegistry:
    """Load the plugins of `plugins.dirs`; fails closed on a required one."""
    from zeroclaw.plugins.registry import PluginRegistry  # imports wasmtime: enabled only

    registry = PluginRegistry.for_config(config, memory=memory, observer=observer)
    try:
        registry.load(config.plugins)
    except BaseException:
        registry.close()
        raise
    return registry


def _reloader(
    config: Config,
    registry: PluginRegistry,
    retire: Callable[[PluginSnapshot], None],
    observer: Observer,
) -> PluginReloader:
    """Reloads on demand; watches plugins.dirs too with plugins.hot_reload."""
    from zeroclaw.plugins.hot_reload import PluginReloader
    from zeroclaw.plugins.permissions import ApprovalStore

    reloader = PluginReloader(
        registry,
        config.plugins,
        approvals=ApprovalStore.for_data_dir(config.data_dir),
        retire=retire,
        observer=observer,
    )
    if config.plugins.hot_reload:
        reloader.start_watching()
    return reloader


def _provider_resolver(config: Config) -> ProviderResolver:
    """before_model_resolve may name another provider: build it, with the same retries."""
    return ProviderFactory(config.llm).resilient
