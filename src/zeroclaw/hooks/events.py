"""The hook events: every extension point, what it carries and what a handler may do.

This file is the hookspec of the host: one payload type per event, one row per event in
`EVENT_SPECS`. Payloads are frozen dataclasses built on `zeroclaw.messages` types; a
modifying handler returns a changed copy (`dataclasses.replace`), never mutates one.

Two kinds of event:
- void events observe: handlers run concurrently in the background and their result is
  ignored;
- modifying events run handlers one after another; each may return a changed payload or
  cancel (see `zeroclaw.hooks.runner` for the exact semantics).

`carries_content` marks events whose payload holds conversation content (messages,
prompts, model output, tool arguments and results); the plugin runtime grants access to
those separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from zeroclaw.errors import ZeroClawError
from zeroclaw.messages import ChatMessage, ToolCall, ToolResult, Usage

# -- void payloads ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GatewayStart:
    """The HTTP gateway is listening."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class GatewayStop:
    """The HTTP gateway stopped accepting requests."""


@dataclass(frozen=True, slots=True)
class SessionStart:
    """The agent began serving a session (new, or resumed by this process)."""

    session_id: str
    channel: str
    user_id: str | None


@dataclass(frozen=True, slots=True)
class SessionEnd:
    """The agent stopped serving a session."""

    session_id: str
    channel: str
    user_id: str | None


@dataclass(frozen=True, slots=True)
class LLMInput:
    """The messages just sent to a model."""

    session_id: str
    provider: str
    model: str
    messages: tuple[ChatMessage, ...]


@dataclass(frozen=True, slots=True)
class LLMOutput:
    """A model's successful answer."""

    session_id: str
    provider: str
    model: str
    text: str | None
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    latency_ms: float


@dataclass(frozen=True, slots=True)
class AfterToolCall:
    """A tool call finished (or was blocked); `result` is what the model sees."""

    session_id: str
    tool: str
    arguments: dict[str, Any]
    result: ToolResult
    duration_ms: float


@dataclass(frozen=True, slots=True)
class MessageSent:
    """A reply was delivered on a channel."""

    channel: str
    recipient: str
    content: str


@dataclass(frozen=True, slots=True)
class HeartbeatTick:
    """The periodic heartbeat; `at` is a Unix timestamp."""

    tick: int
    at: float


@dataclass(frozen=True, slots=True)
class AfterCompaction:
    """Old history was replaced by `summary`."""

    session_id: str
    summary: str
    compacted_messages: int


# -- modifying payloads -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelResolve:
    """Which provider and model the next LLM call goes to."""

    session_id: str
    provider: str
    model: str


@dataclass(frozen=True, slots=True)
class PromptBuild:
    """The system prompt of a turn and the context blocks appended to it."""

    session_id: str
    channel: str
    user_id: str | None
    system_prompt: str
    context: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LLMCall:
    """The messages about to be sent to the model."""

    session_id: str
    model: str
    messages: tuple[ChatMessage, ...]


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """A tool call the model asked for, after the security policy allowed it."""

    session_id: str
    tool: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message that arrived on a channel, before the agent sees it."""

    channel: str
    session_id: str
    sender: str
    content: str


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply about to be sent on a channel."""

    channel: str
    session_id: str
    recipient: str
    content: str


@dataclass(frozen=True, slots=True)
class CompactionRequest:
    """A compaction about to run: how much history it would summarize."""

    session_id: str
    messages: int
    estimated_tokens: int


@dataclass(frozen=True, slots=True)
class ToolResultPersist:
    """A tool result about to be stored in memory and given back to the model."""

    session_id: str
    tool: str
    call_id: str
    result: ToolResult


VoidPayload = (
    GatewayStart
    | GatewayStop
    | SessionStart
    | SessionEnd
    | LLMInput
    | LLMOutput
    | AfterToolCall
    | MessageSent
    | HeartbeatTick
    | AfterCompaction
)
ModifyingPayload = (
    ModelResolve
    | PromptBuild
    | LLMCall
    | ToolCallRequest
    | InboundMessage
    | OutboundMessage
    | CompactionRequest
    | ToolResultPersist
)
Payload = VoidPayload | ModifyingPayload


class HookKind(StrEnum):
    VOID = "void"
    MODIFYING = "modifying"


class Event(StrEnum):
    """A hook event; its value is the name used in config, manifests and WIT."""

    ON_GATEWAY_START = "on_gateway_start"
    ON_GATEWAY_STOP = "on_gateway_stop"
    ON_SESSION_START = "on_session_start"
    ON_SESSION_END = "on_session_end"
    ON_LLM_INPUT = "on_llm_input"
    ON_LLM_OUTPUT = "on_llm_output"
    ON_AFTER_TOOL_CALL = "on_after_tool_call"
    ON_MESSAGE_SENT = "on_message_sent"
    ON_HEARTBEAT_TICK = "on_heartbeat_tick"
    AFTER_COMPACTION = "after_compaction"
    BEFORE_MODEL_RESOLVE = "before_model_resolve"
    BEFORE_PROMPT_BUILD = "before_prompt_build"
    BEFORE_LLM_CALL = "before_llm_call"
    BEFORE_TOOL_CALL = "before_tool_call"
    ON_MESSAGE_RECEIVED = "on_message_received"
    ON_MESSAGE_SENDING = "on_message_sending"
    BEFORE_COMPACTION = "before_compaction"
    TOOL_RESULT_PERSIST = "tool_result_persist"

    @property
    def spec(self) -> EventSpec:
        return EVENT_SPECS[self]

    @property
    def kind(self) -> HookKind:
        return EVENT_SPECS[self].kind

    @property
    def payload_type(self) -> type[Payload]:
        return EVENT_SPECS[self].payload_type

    @property
    def carries_content(self) -> bool:
        return EVENT_SPECS[self].carries_content

    @classmethod
    def parse(cls, name: str) -> Event:
        """The event called `name` (as written in a config file or a plugin manifest)."""
        try:
            return cls(name)
        except ValueError:
            raise UnknownEventError(name) from None


@dataclass(frozen=True, slots=True)
class EventSpec:
    kind: HookKind
    payload_type: type[Payload]
    carries_content: bool


_V, _M = HookKind.VOID, HookKind.MODIFYING

EVENT_SPECS: dict[Event, EventSpec] = {
    Event.ON_GATEWAY_START: EventSpec(_V, GatewayStart, carries_content=False),
    Event.ON_GATEWAY_STOP: EventSpec(_V, GatewayStop, carries_content=False),
    Event.ON_SESSION_START: EventSpec(_V, SessionStart, carries_content=False),
    Event.ON_SESSION_END: EventSpec(_V, SessionEnd, carries_content=False),
    Event.ON_LLM_INPUT: EventSpec(_V, LLMInput, carries_content=True),
    Event.ON_LLM_OUTPUT: EventSpec(_V, LLMOutput, carries_content=True),
    Event.ON_AFTER_TOOL_CALL: EventSpec(_V, AfterToolCall, carries_content=True),
    Event.ON_MESSAGE_SENT: EventSpec(_V, MessageSent, carries_content=True),
    Event.ON_HEARTBEAT_TICK: EventSpec(_V, HeartbeatTick, carries_content=False),
    Event.AFTER_COMPACTION: EventSpec(_V, AfterCompaction, carries_content=True),
    Event.BEFORE_MODEL_RESOLVE: EventSpec(_M, ModelResolve, carries_content=False),
    Event.BEFORE_PROMPT_BUILD: EventSpec(_M, PromptBuild, carries_content=True),
    Event.BEFORE_LLM_CALL: EventSpec(_M, LLMCall, carries_content=True),
    Event.BEFORE_TOOL_CALL: EventSpec(_M, ToolCallRequest, carries_content=True),
    Event.ON_MESSAGE_RECEIVED: EventSpec(_M, InboundMessage, carries_content=True),
    Event.ON_MESSAGE_SENDING: EventSpec(_M, OutboundMessage, carries_content=True),
    Event.BEFORE_COMPACTION: EventSpec(_M, CompactionRequest, carries_content=False),
    Event.TOOL_RESULT_PERSIST: EventSpec(_M, ToolResultPersist, carries_content=True),
}

_EVENT_OF_PAYLOAD: dict[type[Payload], Event] = {
    spec.payload_type: event for event, spec in EVENT_SPECS.items()
}


def event_of(payload: Payload) -> Event:
    """The event a payload belongs to: each payload type serves exactly one event."""
    return _EVENT_OF_PAYLOAD[type(payload)]


class UnknownEventError(ZeroClawError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"unknown hook event {name!r}",
            hint="use one of: " + ", ".join(event.value for event in Event),
        )
        self.name = name
