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
"""

from __future__ import annotations

import logging

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

    def record(self, event: ObserverEvent) -> None:
        hook = void_hook_for(event)
        if hook is None:
            return
        try:
            self._hooks().emit(*hook)
        except Exception:
            # An observer never breaks the turn that records into it.
            _LOG.exception("could not dispatch %s to void hooks", event.kind)


def void_hook_for(event: ObserverEvent) -> tuple[Event, VoidPayload] | None:
    """The void hook an observer event becomes, if any (the table in the docstring)."""
    match event:
        case GatewayStarted():
            return Event.ON_GATEWAY_START, GatewayStart(event.host, event.port)
        case GatewayStopped():
            return Event.ON_GATEWAY_STOP, GatewayStop()
        case AgentStart():
            return Event.ON_SESSION_START, SessionStart(
                event.session_id, event.channel, event.user_id
            )
        case AgentEnd():
            return Event.ON_SESSION_END, SessionEnd(event.session_id, event.channel, event.user_id)
        case LLMRequest():
            return Event.ON_LLM_INPUT, LLMInput(
                event.session_id, event.provider, event.model, event.messages
            )
        case LLMResponse() if event.success:
            return Event.ON_LLM_OUTPUT, LLMOutput(
                event.session_id,
                event.provider,
                event.model,
                event.text,
                event.tool_calls,
                event.usage,
                event.latency_ms,
            )
        case ToolCallFinished():
            return Event.ON_AFTER_TOOL_CALL, AfterToolCall(
                event.session_id, event.tool, event.arguments, event.result, event.duration_ms
            )
        case MessageDelivered():
            return Event.ON_MESSAGE_SENT, MessageSent(event.channel, event.recipient, event.content)
        case HeartbeatObserved():
            return Event.ON_HEARTBEAT_TICK, HeartbeatTick(event.tick, event.at)
        case Compaction():
            return Event.AFTER_COMPACTION, AfterCompaction(
                event.session_id, event.summary, event.compacted_messages
            )
        case _:
            return None
