"""What the host reports about itself: one frozen dataclass per kind of event.

The agent, the gateway and the plugin runtime call `observer.record(event)`; backends
turn events into logs, metrics or spans, and the hooks' ObserverBridge turns the
lifecycle ones into void hooks, so each event carries what those need.

Ids tie events together: `session_id` a conversation, `turn_id` one agent turn (the
parent of its LLM and tool spans), `request_id` one LLM call (LLMRequest ->
LLMResponse), `call_id` one tool call (the model's tool-call id; ToolCallStarted ->
ToolCallFinished). Durations are milliseconds, timestamps Unix seconds.

`kind` is the event's name in logs; `content_fields` names the fields that hold
conversation content, which backends leave out unless told to record content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from zeroclaw.messages import ChatMessage, ToolCall, ToolResult, Usage

# cancelled: stopped from outside (Ctrl-C, a client gone) before it finished.
TurnOutcome = Literal[
    "answer", "max_iterations", "blocked", "tool_calls", "length", "error", "cancelled"
]
PluginCallOutcome = Literal["ok", "error", "timeout", "trap", "rejected"]
ToolOutcome = Literal["success", "error", "blocked"]
# How a tool call's approval went: not needed, given by a rule (auto_approve, a command
# rule allow) or in advance (--yes), answered by a person, or needed where nobody can answer.
ApprovalOutcome = Literal["not_needed", "auto", "approved", "denied", "unavailable"]
McpConnectionState = Literal["connected", "tools_changed", "failed", "lost", "closed"]

# -- gateway and sessions -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GatewayStarted:
    kind: ClassVar[str] = "gateway_started"
    content_fields: ClassVar[tuple[str, ...]] = ()

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class GatewayStopped:
    kind: ClassVar[str] = "gateway_stopped"
    content_fields: ClassVar[tuple[str, ...]] = ()


@dataclass(frozen=True, slots=True)
class AgentStart:
    """The agent began serving a session (new, or resumed by this process)."""

    kind: ClassVar[str] = "agent_start"
    content_fields: ClassVar[tuple[str, ...]] = ()

    session_id: str
    channel: str
    user_id: str | None = None
    provider: str = ""
    model: str = ""


@dataclass(frozen=True, slots=True)
class AgentEnd:
    """The agent stopped serving a session; totals over its turns in this process."""

    kind: ClassVar[str] = "agent_end"
    content_fields: ClassVar[tuple[str, ...]] = ()

    session_id: str
    channel: str
    user_id: str | None = None
    turns: int = 0
    usage: Usage = field(default_factory=Usage)
    duration_ms: float = 0.0


# -- turns --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnStarted:
    kind: ClassVar[str] = "turn_started"
    content_fields: ClassVar[tuple[str, ...]] = ()

    session_id: str
    turn_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class TurnComplete:
    kind: ClassVar[str] = "turn_complete"
    content_fields: ClassVar[tuple[str, ...]] = ()

    session_id: str
    turn_id: str
    outcome: TurnOutcome
    llm_calls: int
    tool_calls: int
    usage: Usage
    duration_ms: float


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """A chat request about to go to a provider (after before_llm_call)."""

    kind: ClassVar[str] = "llm_request"
    content_fields: ClassVar[tuple[str, ...]] = ("messages",)

    session_id: str
    turn_id: str
    request_id: str
    provider: str
    model: str
    messages: tuple[ChatMessage, ...]
    tools: int = 0  # tools offered to the model


@dataclass(frozen=True, slots=True)
class LLMResponse:
    """The end of one LLM call; `error` is set when it failed (then there is no output)."""

    kind: ClassVar[str] = "llm_response"
    content_fields: ClassVar[tuple[str, ...]] = ("text", "tool_calls")

    session_id: str
    turn_id: str
    request_id: str
    provider: str
    model: str
    latency_ms: float
    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    kind: ClassVar[str] = "tool_call_started"
    content_fields: ClassVar[tuple[str, ...]] = ("arguments",)

    session_id: str
    turn_id: str
    call_id: str
    tool: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCallFinished:
    """A tool call ended; `blocked_by` names the policy or hook that refused it."""

    kind: ClassVar[str] = "tool_call_finished"
    content_fields: ClassVar[tuple[str, ...]] = ("arguments", "result")

    session_id: str
    turn_id: str
    call_id: str
    tool: str
    arguments: dict[str, Any]
    result: ToolResult
    duration_ms: float
    blocked_by: str | None = None
    # Who offers the tool ("native", "plugin:NAME", "mcp:SERVER"; None: unknown tool).
    owner: str | None = None
    approval: ApprovalOutcome = "not_needed"

    @property
    def outcome(self) -> ToolOutcome:
        if self.blocked_by is not None:
            return "blocked"
        return "success" if self.result.success else "error"


@dataclass(frozen=True, slots=True)
class Compaction:
    """History was compacted (after before_compaction let it run)."""

    kind: ClassVar[str] = "compaction"
    content_fields: ClassVar[tuple[str, ...]] = ("summary",)

    session_id: str
    summary: str
    compacted_messages: int
    estimated_tokens: int  # of the history before compaction
    duration_ms: float
    turn_id: str | None = None


@dataclass(frozen=True, slots=True)
class MessageDelivered:
    """A reply went out on a channel (after on_message_sending)."""

    kind: ClassVar[str] = "message_delivered"
    content_fields: ClassVar[tuple[str, ...]] = ("content",)

    channel: str
    recipient: str
    content: str
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class Error:
    """Something failed that the host handled (a provider error, a broken channel...)."""

    kind: ClassVar[str] = "error"
    content_fields: ClassVar[tuple[str, ...]] = ()

    component: str  # "provider", "tool", "channel", "gateway", "memory", "plugin", ...
    message: str
    error_type: str = ""
    session_id: str | None = None
    turn_id: str | None = None


@dataclass(frozen=True, slots=True)
class HeartbeatObserved:
    kind: ClassVar[str] = "heartbeat"
    content_fields: ClassVar[tuple[str, ...]] = ()

    tick: int
    at: float


# -- plugins ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PluginLoaded:
    kind: ClassVar[str] = "plugin_loaded"
    content_fields: ClassVar[tuple[str, ...]] = ()

    plugin: str
    version: str
    generation: int  # of the snapshot it belongs to
    duration_ms: float
    from_cache: bool = False  # compiled component deserialized from the cache


@dataclass(frozen=True, slots=True)
class PluginCall:
    """One call into a plugin (hook, tool or provider function), whatever its end."""

    kind: ClassVar[str] = "plugin_call"
    content_fields: ClassVar[tuple[str, ...]] = ()

    plugin: str
    function: str
    duration_ms: float
    outcome: PluginCallOutcome


@dataclass(frozen=True, slots=True)
class PluginTrap:
    """A plugin call trapped (or overran its time or memory); its store was discarded."""

    kind: ClassVar[str] = "plugin_trap"
    content_fields: ClassVar[tuple[str, ...]] = ()

    plugin: str
    function: str
    reason: str


@dataclass(frozen=True, slots=True)
class PluginReload:
    """A reload ended: `swapped` to `generation`, or rolled back (then `reason` says why)."""

    kind: ClassVar[str] = "plugin_reload"
    content_fields: ClassVar[tuple[str, ...]] = ()

    generation: int
    swapped: bool
    plugins: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class HookSkipped:
    """A fail_open hook handler failed (error or timeout) on a modifying event and the chain
    went on without it: what it guards did not happen for that call."""

    kind: ClassVar[str] = "hook_skipped"
    content_fields: ClassVar[tuple[str, ...]] = ()

    handler: str
    source: str
    event: str
    cause: str


@dataclass(frozen=True, slots=True)
class PluginQuarantined:
    """A plugin's circuit breaker opened: its calls are refused until `retry_in_s` passes."""

    kind: ClassVar[str] = "plugin_quarantined"
    content_fields: ClassVar[tuple[str, ...]] = ()

    plugin: str
    reason: str
    retry_in_s: float


@dataclass(frozen=True, slots=True)
class PluginPermissions:
    """The capabilities a plugin was granted when it loaded, and how they changed since the
    version that ran before (`added`, `removed`); `approved` is False when the change waits
    for `zeroclaw plugins approve NAME`."""

    kind: ClassVar[str] = "plugin_permissions"
    content_fields: ClassVar[tuple[str, ...]] = ()

    plugin: str
    granted: tuple[str, ...]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    approved: bool = True


# -- MCP and access ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class McpConnection:
    """A connection to an MCP server changed state; `error` says why it failed or was lost."""

    kind: ClassVar[str] = "mcp_connection"
    content_fields: ClassVar[tuple[str, ...]] = ()

    server: str
    transport: str
    state: McpConnectionState
    tools: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class AuthFailure:
    """A request presented no valid credentials (`surface`: "gateway", "mcp", or "pairing"
    for a refused pairing code)."""

    kind: ClassVar[str] = "auth_failure"
    content_fields: ClassVar[tuple[str, ...]] = ()

    surface: str
    client: str
    path: str
    reason: str


ObserverEvent = (
    GatewayStarted
    | GatewayStopped
    | AgentStart
    | AgentEnd
    | TurnStarted
    | TurnComplete
    | LLMRequest
    | LLMResponse
    | ToolCallStarted
    | ToolCallFinished
    | Compaction
    | MessageDelivered
    | Error
    | HeartbeatObserved
    | PluginLoaded
    | PluginCall
    | PluginTrap
    | PluginReload
    | HookSkipped
    | PluginQuarantined
    | PluginPermissions
    | McpConnection
    | AuthFailure
)
