"""ObserverBridge: the one place lifecycle events become void hooks.

The host never emits a void hook itself: it records an observer event, and this
Observer (one of the fan-out) turns it into the matching void-hook dispatch. So hook
handlers, native and plugin, see every lifecycle event the host observes, exactly once.

  observer event                     void hook
  GatewayStarted                     on_gateway_start    GatewayStart
  GatewayStopped                     on_gateway_stop     GatewayStop
  AgentStart                         on_session_start    SessionStart
  AgentEnd                           on_session_end      SessionEnd
  LLMRequest                         on_llm_input        LLMInput
  LLMResponse (success only)         on_llm_output       LLMOutput
  ToolCallFinished                   on_after_tool_call  AfterToolCall
  MessageDelivered                   on_message_sent     MessageSent
  HeartbeatObserved                  on_heartbeat_tick   HeartbeatTick
  Compaction                         after_compaction    AfterCompaction
  TurnStarted, TurnComplete, ToolCallStarted, Error, Plugin*: no hook

An event whose hook has no handler in the runner costs a dictionary lookup and that
check: its payload is built only for a hook someone handles.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from zeroclaw.hooks.events import (
    AfterCompaction,
    AfterToolCall,
    Event,
    GatewayStart,
    GatewayStop,
    HeartbeatTick,
    LLMInput,
    LLMOutput,
    MessageSent,
    SessionEnd,
    SessionStart,
    VoidPayload,
)
from zeroclaw.hooks.runner import HookRunner, HookSource, hook_source
from zeroclaw.observability.events import (
    AgentEnd,
    AgentStart,
    Compaction,
    GatewayStarted,
    GatewayStopped,
    HeartbeatObserved,
    LLMRequest,
    LLMResponse,
    MessageDelivered,
    ObserverEvent,
    ToolCallFinished,
)

_LOG = logging.getLogger("zeroclaw.hooks")


class ObserverBridge:
    """`hooks`: a runner, or a source giving the live plugin snapshot's runner."""

    def __init__(self, hooks: HookRunner | HookSource) -> None:
        self._hooks = hook_source(hooks)

    def observes(self, kind: type[Any]) -> bool:
        """Only the bridged events can reach a hook (whatever handlers come and go)."""
        return kind in _BRIDGED

    def record(self, event: ObserverEvent) -> None:
        bridged = _BRIDGED.get(type(event))
        if bridged is None:
            return
        hook, payload_of = bridged
        try:
            runner = self._hooks()
            # Most events have no void handler: their payload is not even built.
            if not runner.has_handlers(hook):
                return
            payload = payload_of(event)
            if payload is not None:
                runner.emit(hook, payload)
        except Exception:
            # An observer never breaks the turn that records into it.
            _LOG.exception("could not dispatch %s to void hooks", event.kind)


def void_hook_for(event: ObserverEvent) -> tuple[Event, VoidPayload] | None:
    """The void hook an observer event becomes, if any (the table in the docstring)."""
    bridged = _BRIDGED.get(type(event))
    if bridged is None:
        return None
    hook, payload_of = bridged
    payload = payload_of(event)
    return None if payload is None else (hook, payload)


def _llm_output(event: LLMResponse) -> LLMOutput | None:
    if not event.success:
        return None
    return LLMOutput(
        event.session_id,
        event.provider,
        event.model,
        event.text,
        event.tool_calls,
        event.usage,
        event.latency_ms,
    )


# Observer event type -> (its void hook, its payload; None: this one is not bridged).
# Each function takes the event of its own key's type.
_BRIDGED: dict[type[ObserverEvent], tuple[Event, Callable[[Any], VoidPayload | None]]] = {
    GatewayStarted: (Event.ON_GATEWAY_START, lambda e: GatewayStart(e.host, e.port)),
    GatewayStopped: (Event.ON_GATEWAY_STOP, lambda e: GatewayStop()),
    AgentStart: (
        Event.ON_SESSION_START,
        lambda e: SessionStart(e.session_id, e.channel, e.user_id),
    ),
    AgentEnd: (Event.ON_SESSION_END, lambda e: SessionEnd(e.session_id, e.channel, e.user_id)),
    LLMRequest: (
        Event.ON_LLM_INPUT,
        lambda e: LLMInput(e.session_id, e.provider, e.model, e.messages),
    ),
    LLMResponse: (Event.ON_LLM_OUTPUT, _llm_output),
    ToolCallFinished: (
        Event.ON_AFTER_TOOL_CALL,
        lambda e: AfterToolCall(e.session_id, e.tool, e.arguments, e.result, e.duration_ms),
    ),
    MessageDelivered: (
        Event.ON_MESSAGE_SENT,
        lambda e: MessageSent(e.channel, e.recipient, e.content),
    ),
    HeartbeatObserved: (Event.ON_HEARTBEAT_TICK, lambda e: HeartbeatTick(e.tick, e.at)),
    Compaction: (
        Event.AFTER_COMPACTION,
        lambda e: AfterCompaction(e.session_id, e.summary, e.compacted_messages),
    ),
}
