"""Assembling a working agent from a `Config`: memory, security policy, tools, provider,
hooks and observers.

One place decides how the parts fit, so the CLI, the demo and the gateway build the same
agent. `AgentRuntime` owns what must be closed: pending void hooks, the heartbeat, the
plugin registry and the SQLite store.

Plugins: with `plugins.enabled` the runtime builds a `PluginRegistry`, loads the plugins
of `plugins.dirs` (a required plugin that fails stops the runtime from being built) and
layers their hook handlers over the native ones (`SnapshotHooks`): each turn dispatches
on the view of the snapshot that was live when it started. With plugins disabled (the default)
the plugin runtime is never imported, and wasmtime with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from zeroclaw.agent.approval import Approver
from zeroclaw.agent.loop import Agent, ProviderResolver
from zeroclaw.agent.tool_gate import ToolGate
from zeroclaw.config import Config
from zeroclaw.hooks import HookRunner, ObserverBridge
from zeroclaw.hooks.builtin import register_builtin_hooks
from zeroclaw.memory import MemoryStore
from zeroclaw.observability import HeartbeatObserved, Observer, build_observer
from zeroclaw.providers import (
    ChainLink,
    Provider,
    ProviderFactory,
    ResilientProvider,
    build_provider,
)
from zeroclaw.tools import SecurityPolicy, ToolRegistry, default_registry

if TYPE_CHECKING:
    from zeroclaw.plugins.registry import PluginRegistry


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
        self._heartbeat: asyncio.Task[None] | None = None

    def live_hooks(self) -> HookRunner:
        """The runner a turn starting now would use: native hooks plus the live snapshot's."""
        return self.agent.hooks_for_turn()

    @classmethod
    def from_config(
        cls, config: Config, *, approver: Approver, extra_observers: Sequence[Observer] = ()
    ) -> AgentRuntime:
        workspace = config.workspace
        workspace.mkdir(parents=True, exist_ok=True)
        provider = build_provider(config.llm)
        # An empty model lets each provider of the chain use its own default.
        model = config.llm.model or ""
        hooks = HookRunner.from_settings(config.hooks)
        live_hooks = SnapshotHooks(hooks)
        observer = build_observer(
            config.observability, extra=[ObserverBridge(live_hooks), *extra_observers]
        )
        memory = MemoryStore.open(config.memory_path)
        plugins: PluginRegistry | None = None
        try:
            if config.plugins.enabled:
                plugins = _load_plugins(config, memory, observer)
                live_hooks.registry = plugins
            policy = SecurityPolicy(config.tools, workspace)
            tools = default_registry(config, memory, policy)
            gate = ToolGate(policy, tools, approver, workspace, live_hooks)
            register_builtin_hooks(
                hooks, config=config, memory=memory, provider=provider, model=model, policy=policy
            )
            agent = Agent(
                config=config.agent,
                provider=provider,
                model=model,
                tools=tools,
                gate=gate,
                memory=memory,
                hooks=live_hooks,
                observer=observer,
                provider_for=_provider_resolver(config),
            )
        except BaseException:
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
    registry it is the native runner itself."""

    def __init__(self, native: HookRunner) -> None:
        self.native = native
        self.registry: PluginRegistry | None = None
        self._view: tuple[object, HookRunner] | None = None

    def __call__(self) -> HookRunner:
        if self.registry is None:
            return self.native
        snapshot = self.registry.current()
        cached = self._view
        if cached is not None and cached[0] is snapshot:
            return cached[1]
        view = self.native.layered(snapshot.hook_handlers())
        self._view = (snapshot, view)
        return view


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


def _provider_resolver(config: Config) -> ProviderResolver:
    """before_model_resolve may name another provider: build it, with the same retries."""
    factory = ProviderFactory(config.llm)

    def resolve(name: str) -> Provider:
        link = ChainLink(name, factory.create(name), factory.default_model(name))
        return ResilientProvider([link], config.llm.retry)

    return resolve
