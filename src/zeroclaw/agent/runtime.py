"""Assembling a working agent from a `Config`: memory, security policy, tools, provider,
hooks and observers.

One place decides how the parts fit, so the CLI, the demo and the gateway build the same
agent. `AgentRuntime` owns what must be closed: pending void hooks, the heartbeat, the
plugin registry and the memory store.

Storage: the data dir (and the memory database's directory) must take a write, checked
here first, since every command that runs the agent (agent, gateway, hooks, tools, demo)
builds it here; a read-only or full one is one error naming the directory and the fix.

Plugins: with `plugins.enabled` the runtime builds a `PluginRegistry`, loads the plugins
of `plugins.dirs` (a required plugin that fails stops the runtime from being built) and
layers what each snapshot offers over the native parts as one `Extensions` per snapshot
(`SnapshotExtensions`): its hook handlers over the native runner, its tools over the
native registry (a native tool of the same name wins) and its provider plugins into the
configured provider chain (`plugin:NAME`, and bare names no native provider claims). Each
turn takes the `Extensions` of the snapshot live when it started, in one step, and uses
it to its end; with plugins off the tools are the native registry and the provider
is `build_provider(config.llm)`, exactly as without the subsystem. A `PluginReloader` reloads them
on demand (and on change, with `plugins.hot_reload`); a replaced snapshot is closed once
the last view of it is gone (see plugins/hot_reload.py). With plugins disabled (the default)
the plugin runtime is never imported, and wasmtime with it.

Audit: with `audit.enabled` (the default) the runtime opens the audit log (an observer
backend: observability/audit.py) before anything it audits can happen, first among the
observers, and closes it last, after the MCP clients and plugins have said goodbye.

MCP: with enabled `[[mcp.servers]]` the runtime connects to them (`McpClients`, waiting
for each one's first attempt) and every view's tools start from the native registry plus
the connected servers' tools (owner "mcp", named SERVER__TOOL), so they take the same gate
as any tool. Without servers the MCP SDK is never imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from zeroclaw.agent.approval import Approver
from zeroclaw.agent.loop import Agent, Extensions, ProviderResolver, Providers, ProviderSource
from zeroclaw.agent.session_locks import SessionLocks
from zeroclaw.agent.tool_gate import GateOutcome, ToolGate, ToolSource, tool_source
from zeroclaw.config import Config
from zeroclaw.config.secrets import config_redactor
from zeroclaw.hooks import HookRunner, ObserverBridge
from zeroclaw.hooks.builtin import register_builtin_hooks
from zeroclaw.mcp import require_sdk
from zeroclaw.memory import MemoryStore, require_writable_dir
from zeroclaw.memory.fleet.session_lock import hold_session
from zeroclaw.messages import ToolCall
from zeroclaw.observability import (
    AuditLog,
    HeartbeatObserved,
    Observer,
    ToolCallFinished,
    ToolCallStarted,
    build_observer,
    open_audit_log,
)
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
    from zeroclaw.mcp.clients import McpClients
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry
    from zeroclaw.plugins.lifecycle.reload import PluginReloader
    from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot


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
        mcp: McpClients | None = None,
        audit: AuditLog | None = None,
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
        self.mcp = mcp
        self.audit = audit
        # One turn of a session at a time, whoever runs it (the gateway, the terminal
        # chat); across processes too on PostgreSQL.
        # (SQLite: one process, so nothing to hold beyond this one.)
        database = memory.database
        self.session_locks = SessionLocks(
            None
            if database.location.is_sqlite
            else lambda session_id: hold_session(database, session_id)
        )
        self._heartbeat: asyncio.Task[None] | None = None

    def live_hooks(self) -> HookRunner:
        """The runner a turn starting now would use: native hooks plus the live snapshot's."""
        return self.agent.extensions_for_turn().hooks

    def live_tools(self) -> ToolRegistry:
        """The tools a turn starting now would offer: native tools plus the live snapshot's."""
        return self.agent.extensions_for_turn().tools

    def live_providers(self) -> Providers:
        """The providers a turn starting now would use (plugin ones from the live snapshot)."""
        return self.agent.extensions_for_turn().providers

    async def call_tool(self, session_id: str, call: ToolCall, *, origin: str) -> GateOutcome:
        """One tool call outside a turn (`zeroclaw tools call`, an MCP client through
        `mcp serve`): the same gate as the agent's calls, and the same observer events, so
        the audit log has it too. `origin` stands where a turn's id would ("cli", "mcp")."""
        ids = (session_id, origin, call.id, call.name)
        self.observer.record(ToolCallStarted(*ids, call.arguments))
        started = time.perf_counter()
        outcome = await self.gate.run(session_id, call, 0)
        self.observer.record(
            ToolCallFinished(
                *ids,
                call.arguments,
                outcome.result,
                (time.perf_counter() - started) * 1000,
                blocked_by=outcome.blocked_by,
                owner=outcome.owner,
                approval=outcome.approval,
            )
        )
        return outcome

    @classmethod
    def from_config(
        cls, config: Config, *, approver: Approver, extra_observers: Sequence[Observer] = ()
    ) -> AgentRuntime:
        _require_writable_storage(config)
        workspace = config.workspace
        workspace.mkdir(parents=True, exist_ok=True)
        # Without plugins the provider is built first, as it always was (a missing key fails
        # before anything is opened); with them, from the loaded plugins' snapshot.
        provider: Provider | None = (
            None if config.plugins.enabled else build_provider(config.llm, env=config.env)
        )
        # An empty model lets each provider of the chain use its own default.
        model = config.llm.model or ""
        hooks = HookRunner.from_settings(config.hooks)
        memory = MemoryStore.open(config.memory_location())
        plugins: PluginRegistry | None = None
        reloader: PluginReloader | None = None
        mcp: McpClients | None = None
        audit: AuditLog | None = None
        try:
            redactor = config_redactor(config)
            if config.audit.enabled:
                audit = open_audit_log(config.audit, config.audit_path, redactor)
            policy = SecurityPolicy(config.tools, workspace)
            tools = default_registry(config, memory, policy)
            native = None if provider is None else Providers(provider, _provider_resolver(config))
            # Every view's tools: the native ones, plus the connected MCP servers' tools.
            live = SnapshotExtensions(
                hooks, lambda: tools if mcp is None else mcp.registry_over(tools), native
            )
            first = [] if audit is None else [audit]
            observer = build_observer(
                config.observability,
                extra=[*first, ObserverBridge(live.hooks), *extra_observers],
                redactor=redactor,
            )
            hooks.observe_with(observer)
            mcp = _start_mcp(config, observer)
            if provider is None:
                plugins = _load_plugins(config, memory, observer)
                live.attach(plugins, ProviderFactory(config.llm, env=config.env))
                provider = LiveProvider(lambda: live().providers)  # an unknown one fails here
                reloader = _reloader(config, plugins, live, observer, memory)
            gate = ToolGate(policy, lambda: live().tools, approver, workspace, live.hooks)
            register_builtin_hooks(
                hooks, config=config, memory=memory, provider=provider, model=model, policy=policy
            )
            agent = Agent(
                config=config.agent,
                model=model,
                gate=gate,
                memory=memory,
                observer=observer,
                extensions=live,
            )
        except BaseException:
            if mcp is not None:
                mcp.close()
            if reloader is not None:
                reloader.close()
            if plugins is not None:
                plugins.close()
            if audit is not None:
                audit.close()
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
            mcp=mcp,
            audit=audit,
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
            self._close_parts()
            await self.memory.aclose()

    def close(self) -> None:
        """Close without an event loop (CLI commands that ran no turn)."""
        self._close_parts()
        self.memory.close()

    def _close_parts(self) -> None:
        """The MCP clients, the reloader and the plugins, then the audit log that heard
        them go."""
        if self.mcp is not None:
            self.mcp.close()
            self.mcp = None
        if self.reloader is not None:
            self.reloader.close()
            self.reloader = None
        if self.plugins is not None:
            self.plugins.close()
            self.plugins = None
        if self.audit is not None:
            self.audit.close()
            self.audit = None

    async def __aenter__(self) -> AgentRuntime:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class SnapshotExtensions:
    """The extensions of the live plugin snapshot: the native hook runner layered with the
    snapshot's hook handlers, the native tool registry with its plugin tools (a native tool
    of the same name wins), and the configured provider chain with its provider plugins.
    Without a registry: the native ones.

    One `Extensions` per snapshot, made when first asked for and held as a user of its
    snapshot (`registry.users`) for as long as a turn or a void call keeps it; `retire`
    drops a replaced snapshot's, which closes once nobody holds it any more."""

    def __init__(
        self, hooks: HookRunner, tools: ToolRegistry | ToolSource, providers: Providers | None
    ) -> None:
        self._hooks = hooks
        # The tools every view starts from: the native registry, or a source of it with
        # the connected MCP servers' tools (a new registry object when those change).
        self._tools = tool_source(tools)
        # None when plugins are on: every view's providers then come from its snapshot.
        self._native = None if providers is None else Extensions(hooks, self._tools(), providers)
        self._factory: ProviderFactory | None = None
        self.registry: PluginRegistry | None = None
        self._view: tuple[object, ToolRegistry, Extensions] | None = None
        # Making a new view and retiring a snapshot exclude each other (SnapshotUsers).
        self._lock = threading.Lock()

    def attach(self, registry: PluginRegistry, factory: ProviderFactory) -> None:
        """From now on, the views of `registry`'s live snapshot (providers from `factory`)."""
        self._factory = factory
        self.registry = registry

    def hooks(self) -> HookRunner:
        """The live hook runner alone (for void events, which may come before any plugin
        has loaded)."""
        return self._hooks if self.registry is None else self().hooks

    def __call__(self) -> Extensions:
        base = self._tools()
        registry = self.registry
        if registry is None:
            native = self._native
            assert native is not None, "plugins on, but no registry attached yet"
            if native.tools is not base:
                native = self._native = Extensions(self._hooks, base, native.providers)
            return native
        cached = self._view
        if cached is not None and cached[0] is registry.current() and cached[1] is base:
            return cached[2]
        with self._lock:
            snapshot = registry.current()
            cached = self._view
            if cached is not None and cached[0] is snapshot and cached[1] is base:
                return cached[2]
            view = self._of(snapshot, base)
            while not _hold(registry, snapshot, view):
                snapshot = registry.current()
                view = self._of(snapshot, base)
            self._view = (snapshot, base, view)
            return view

    def retire(self, snapshot: PluginSnapshot) -> None:
        """`snapshot` was replaced: drop its view; it closes when no one holds one."""
        registry = self.registry
        if registry is None:
            return
        with self._lock:
            if self._view is not None and self._view[0] is snapshot:
                self._view = None
            registry.users.retire(snapshot)

    def check(self, snapshot: PluginSnapshot) -> None:
        """Raise if a turn could not run on `snapshot` (a provider the config names is
        missing from it): a reload to it is then rolled back."""
        assert self._factory is not None
        self._factory.for_plugins(snapshot.provider).build()

    def _of(self, snapshot: PluginSnapshot, base: ToolRegistry) -> Extensions:
        offered = snapshot.plugin_tools
        tools = base.with_tools(
            offered.tools, "plugin", labels=offered.labels, conflicts=offered.conflicts
        )
        assert self._factory is not None
        factory = self._factory.for_plugins(snapshot.provider)
        providers = Providers(factory.build(), factory.resilient)
        return Extensions(self._hooks.layered(snapshot.hook_handlers()), tools, providers)


def _hold(registry: PluginRegistry, snapshot: PluginSnapshot, view: Extensions) -> bool:
    """Make each part of `view` a user of `snapshot`: whoever keeps any part (a turn, or a
    caller that took only the hook runner) keeps the snapshot open. False if it retired."""
    return all(
        registry.users.hold(snapshot, part)
        for part in (view, view.hooks, view.tools, view.providers)
    )


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


def _require_writable_storage(config: Config) -> None:
    """A data dir (or memory database directory) that is read-only or on a full disk is
    refused here, once, with the directory and the key that moves it; otherwise SQLite may
    still open it for reading, and every turn, and the session summary at shutdown, fail."""
    require_writable_dir(config.data_dir, what="data dir", key="data_dir")
    memory_dir = config.memory_path.parent
    if config.memory.backend == "sqlite" and memory_dir != config.data_dir:
        require_writable_dir(memory_dir, what="memory database directory", key="memory.path")


def _start_mcp(config: Config, observer: Observer) -> McpClients | None:
    """Connect to the enabled [[mcp.servers]]; None when there are none (the SDK is then
    never imported)."""
    if not any(server.enabled for server in config.mcp.servers):
        return None
    require_sdk()
    from zeroclaw.mcp.clients import McpClients  # imports the MCP SDK: with servers only

    return McpClients.start(
        config.mcp, workspace=config.workspace, log_dir=config.data_dir / "mcp", observer=observer
    )


def _load_plugins(config: Config, memory: MemoryStore, observer: Observer) -> PluginRegistry:
    """Load the plugins of `plugins.dirs`; fails closed on a required one."""
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry  # imports wasmtime: enabled only

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
    live: SnapshotExtensions,
    observer: Observer,
    memory: MemoryStore,
) -> PluginReloader:
    """Reloads on demand; watches plugins.dirs too with plugins.hot_reload."""
    from zeroclaw.plugins.contract.shared_approvals import approval_store
    from zeroclaw.plugins.lifecycle.reload import PluginReloader

    reloader = PluginReloader(
        registry,
        config.plugins,
        approvals=approval_store(config.data_dir, memory),
        retire=live.retire,
        observer=observer,
        serves=live.check,
    )
    if config.plugins.hot_reload:
        reloader.start_watching()
    return reloader


def _provider_resolver(config: Config) -> ProviderResolver:
    """before_model_resolve may name another provider: build it, with the same retries."""
    return ProviderFactory(config.llm, env=config.env).resilient
