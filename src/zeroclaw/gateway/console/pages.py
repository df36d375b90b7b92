"""What each console page shows, read from the objects the CLI and the API read: the live
plugin snapshot and its reloader, the approvals store, the hook runner a turn would take,
the memory store. Nothing here decides anything; it gathers, for a template to render.

Plugins off: the plugin pages say so and show nothing else (the runtime has no registry).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zeroclaw.errors import ZeroClawError
from zeroclaw.gateway.console.recorder import ConsoleRecorder, Latency, Line
from zeroclaw.hooks import Event, HookKind, RegisteredHandler
from zeroclaw.hooks.payload_json import MODIFYING_EVENTS, SAMPLES
from zeroclaw.memory import SessionInfo, StoredToolCall, ToolProvenance, stored_calls_by_message

if TYPE_CHECKING:
    from zeroclaw.agent import AgentRuntime
    from zeroclaw.plugins.contract.lock import LockEntry, PluginLock
    from zeroclaw.plugins.lifecycle.approval import PendingApproval
    from zeroclaw.plugins.lifecycle.reload import ReloadReport, ReloadStatus
    from zeroclaw.plugins.loading.loader import PluginStatus
    from zeroclaw.plugins.wasm.breaker import BreakerStatus
    from zeroclaw.plugins.wasm.calls import CallStats


# -- plugins ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PluginView:
    name: str
    state: str
    version: str | None
    package: str | None
    description: str
    directory: str
    required: bool
    source: str
    digest: str | None
    signer: str | None
    requested: tuple[str, ...]
    granted: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]  # capability, why
    limits: dict[str, object]
    breaker: BreakerStatus | None
    stats: CallStats | None
    latency: Latency | None
    error: str | None
    hint: str | None
    errors: tuple[Line, ...]
    log_lines: tuple[Line, ...]
    provides: str


def plugin_views(runtime: AgentRuntime, recorder: ConsoleRecorder) -> tuple[PluginView, ...]:
    if runtime.plugins is None:
        return ()
    snapshot = runtime.plugins.current()
    lock = _lock(runtime)
    return tuple(
        _plugin_view(status, lock.get(status.name) if lock else None, recorder)
        for status in snapshot.statuses
    )


def _plugin_view(status: PluginStatus, entry: LockEntry | None, rec: ConsoleRecorder) -> PluginView:
    plugin = status.plugin
    description = ""
    requested: tuple[str, ...] = ()
    granted: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    limits: dict[str, object] = {}
    provides = ""
    if plugin is not None:
        description = plugin.manifest.description
        requested = tuple(sorted(str(c) for c in plugin.grants.requested))
        granted = tuple(sorted(str(c) for c in plugin.grants.granted))
        refused = tuple((str(r.capability), r.why) for r in plugin.grants.refused)
        lim = plugin.limits
        limits = {
            "timeout_ms": lim.timeout_ms,
            "memory_mb": lim.memory_mb,
            "max_concurrency": lim.max_concurrency,
            "fuel": lim.fuel or "off",
        }
        provides = _provides(status)
    digest = entry.component_sha256 if entry else (plugin.component_sha256 if plugin else None)
    return PluginView(
        name=status.name,
        state=status.current_state,
        version=status.version,
        package=status.package,
        description=description,
        directory=str(status.directory),
        required=status.required,
        source=entry.source if entry else f"directory {status.directory}",
        digest=digest or None,
        signer=entry.signer if entry else (plugin.signer if plugin else None),
        requested=requested,
        granted=granted,
        refused=refused,
        limits=limits,
        breaker=plugin.calls.breaker_status() if plugin else None,
        stats=plugin.calls.stats() if plugin else None,
        latency=rec.latency(status.name),
        error=status.error.message if status.error else None,
        hint=status.error.hint if status.error else None,
        errors=rec.errors(status.name),
        log_lines=rec.log_lines(status.name),
        provides=provides,
    )


def _provides(status: PluginStatus) -> str:
    plugin = status.plugin
    assert plugin is not None
    if plugin.package.id == "zeroclaw:hooks":
        return "hooks: " + (", ".join(sorted(e.value for e in plugin.events)) or "none")
    if plugin.package.id == "zeroclaw:tools":
        return "tools: " + (", ".join(t.name for t in plugin.tools) or "none")
    provider = plugin.provider
    return f"provider: {provider.display_name}" if provider is not None else "provider"


def _lock(runtime: AgentRuntime) -> PluginLock | None:
    from zeroclaw.plugins.contract.lock import PluginLock

    lock_file = runtime.config.plugins.lock_file
    if lock_file is None or not lock_file.is_file():
        return None
    try:
        return PluginLock.read(lock_file)
    except ZeroClawError:
        return None  # the Plugins page still shows the rest; `plugins list` says why


def reload_status(runtime: AgentRuntime) -> ReloadStatus | None:
    return runtime.reloader.status() if runtime.reloader is not None else None


# -- approvals -------------------------------------------------------------------------------


def pending(runtime: AgentRuntime) -> tuple[PendingApproval, ...]:
    reloader = runtime.reloader
    if reloader is None or reloader.approvals is None:
        return ()
    from zeroclaw.plugins.lifecycle.approval import pending_approvals

    return pending_approvals(reloader.config, reloader.approvals, reloader.status().awaiting)


# -- reloads -----------------------------------------------------------------------------------


def reload_rows(status: ReloadStatus | None) -> tuple[ReloadReport, ...]:
    return status.history if status is not None else ()


# -- sessions ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolCallView:
    call_id: str
    name: str
    arguments: str
    result: str | None
    # What memory stored about the call; None: a row from before provenance was kept,
    # or a call without a stored result (shown as "not recorded").
    provenance: ToolProvenance | None


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    role: str
    content: str
    created_at: str
    compacted: bool
    tool_calls: tuple[ToolCallView, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionView:
    info: SessionInfo
    messages: tuple[MessageView, ...] = field(default_factory=tuple)


async def sessions(runtime: AgentRuntime, limit: int = 100) -> list[SessionInfo]:
    return await runtime.memory.list_sessions(limit)


async def session_view(runtime: AgentRuntime, session_id: str) -> SessionView | None:
    info = await runtime.memory.get_session(session_id)
    if info is None:
        return None
    stored = await runtime.memory.session_messages(session_id)
    results = {
        s.message.tool_call_id: s.message.content
        for s in stored
        if s.message.role == "tool" and s.message.tool_call_id
    }
    recorded = stored_calls_by_message(stored, await runtime.memory.session_tool_calls(session_id))
    messages = []
    for s in stored:
        if s.message.role == "tool":
            continue  # shown with the call it answers
        calls = tuple(
            _tool_call_view(
                c.id, c.name, c.arguments, results.get(c.id), recorded.get((s.id, c.id))
            )
            for c in s.message.tool_calls
        )
        messages.append(
            MessageView(
                id=s.id,
                role=s.message.role,
                content=s.message.content,
                created_at=s.created_at.isoformat(timespec="seconds") if s.created_at else "",
                compacted=s.compacted,
                tool_calls=calls,
            )
        )
    return SessionView(info, tuple(messages))


def _tool_call_view(
    call_id: str,
    name: str,
    arguments: dict[str, Any],
    result: str | None,
    stored: StoredToolCall | None,
) -> ToolCallView:
    return ToolCallView(
        call_id=call_id,
        name=name,
        arguments=json.dumps(arguments, ensure_ascii=False, indent=1),
        result=result,
        provenance=stored.provenance if stored is not None else None,
    )


# -- hooks -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventHandlers:
    event: Event
    handlers: tuple[RegisteredHandler, ...]

    @property
    def modifying(self) -> bool:
        return self.event.kind is HookKind.MODIFYING


def hook_table(runtime: AgentRuntime) -> list[EventHandlers]:
    hooks = runtime.live_hooks()
    return [EventHandlers(event, hooks.handlers(event)) for event in Event]


def policy_of(event: Event, registered: RegisteredHandler) -> str:
    # A void handler's failure is always isolated, whatever policy it declares.
    return registered.spec.failure_policy if event.kind is HookKind.MODIFYING else "isolated"


def sample_json(event: Event) -> str:
    return json.dumps(SAMPLES.get(event, {}), indent=2, ensure_ascii=False)


def explainable_events() -> tuple[Event, ...]:
    return MODIFYING_EVENTS
