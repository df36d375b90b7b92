"""Events as OpenTelemetry spans (optional: needs the `otel` extra).

Spans:
  zeroclaw.turn            TurnStarted -> TurnComplete; parent: the caller's current
                           span if any (e.g. the gateway's HTTP request)
  chat {model}             LLMRequest -> LLMResponse, child of its turn (turn_id)
  execute_tool {tool}      ToolCallStarted -> ToolCallFinished, child of its turn
  zeroclaw.compaction      Compaction (timed by its duration), child of its turn if any
An Error inside a turn becomes an `exception`-style event on the turn span. A span still
open when its turn (or, for a turn, its session: AgentEnd) ends is closed with an error
status rather than leaked. Plugin events are left to logs and metrics.

Attributes follow the GenAI conventions where they exist (gen_ai.*) and carry every
field of the event as zeroclaw.<field>, content replaced by its size unless recorded.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zeroclaw import __version__
from zeroclaw.errors import ZeroClawError
from zeroclaw.observability.events import (
    AgentEnd,
    Compaction,
    Error,
    LLMRequest,
    LLMResponse,
    ObserverEvent,
    ToolCallFinished,
    ToolCallStarted,
    TurnComplete,
    TurnStarted,
)
from zeroclaw.observability.fields import CONTENT_MAX_CHARS, Scalar, flat_fields
from zeroclaw.observability.redaction import Redactor

if TYPE_CHECKING:
    from opentelemetry.trace import Span, SpanKind, TracerProvider


class OtelNotInstalledError(ZeroClawError):
    def __init__(self) -> None:
        super().__init__(
            "the otel observability backend needs OpenTelemetry, which is not installed",
            hint="pip install 'zeroclaw[otel]', or set observability.backend to another backend",
        )


@dataclass(slots=True)
class _OpenTurn:
    span: Span
    session_id: str
    # keys of the LLM and tool spans opened under this turn and not yet ended
    children: set[tuple[str, str]] = field(default_factory=set)


class OtelObserver:
    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        *,
        include_content: bool = False,
        redactor: Redactor | None = None,
        max_chars: int = CONTENT_MAX_CHARS,
    ) -> None:
        """`redactor`: the secrets to redact from recorded content (the config's); without
        one, only the shapes and secret keys are caught. Content is cut to `max_chars` as
        the log backend cuts it: spans travel as far as log lines."""
        try:
            from opentelemetry import trace
        except ImportError as error:
            raise OtelNotInstalledError() from error
        self._trace = trace
        self._tracer = trace.get_tracer("zeroclaw", __version__, tracer_provider=tracer_provider)
        self._include_content = include_content
        self._redactor = redactor or Redactor()
        self._max_chars = max_chars
        # Plugin calls may record from worker threads; span bookkeeping stays consistent.
        self._lock = threading.Lock()
        self._turns: dict[str, _OpenTurn] = {}
        self._children: dict[tuple[str, str], tuple[str, Span]] = {}

    def record(self, event: ObserverEvent) -> None:
        with self._lock:
            match event:
                case TurnStarted():
                    self._start_turn(event)
                case TurnComplete():
                    self._end_turn(event)
                case LLMRequest():
                    self._start_child(("llm", event.request_id), event, f"chat {event.model}")
                case LLMResponse():
                    self._end_llm(event)
                case ToolCallStarted():
                    self._start_child(("tool", event.call_id), event, f"execute_tool {event.tool}")
                case ToolCallFinished():
                    self._end_tool(event)
                case Compaction():
                    self._compaction(event)
                case Error():
                    self._error(event)
                case AgentEnd():
                    self._end_session(event.session_id)
                case _:
                    pass

    # -- turns -----------------------------------------------------------------------------

    def _start_turn(self, event: TurnStarted) -> None:
        span = self._tracer.start_span("zeroclaw.turn", attributes=self._attributes(event))
        self._turns[event.turn_id] = _OpenTurn(span, event.session_id)

    def _end_turn(self, event: TurnComplete) -> None:
        turn = self._turns.pop(event.turn_id, None)
        if turn is None:
            return
        for key in turn.children:
            _, span = self._children.pop(key)
            self._fail(span, "unfinished when its turn ended")
            span.end()
        turn.span.set_attributes(self._attributes(event))
        if event.outcome == "error":
            self._fail(turn.span, "the turn failed")
        turn.span.end()

    def _end_session(self, session_id: str) -> None:
        for turn_id in [tid for tid, turn in self._turns.items() if turn.session_id == session_id]:
            turn = self._turns.pop(turn_id)
            for key in turn.children:
                _, span = self._children.pop(key)
                self._fail(span, "unfinished when its session ended")
                span.end()
            self._fail(turn.span, "unfinished when its session ended")
            turn.span.end()

    # -- LLM and tool calls ----------------------------------------------------------------

    def _start_child(
        self, key: tuple[str, str], event: LLMRequest | ToolCallStarted, name: str
    ) -> None:
        span = self._child_span(event.turn_id, name, event, start_time=None)
        self._children[key] = (event.turn_id, span)
        if (turn := self._turns.get(event.turn_id)) is not None:
            turn.children.add(key)

    def _end_llm(self, event: LLMResponse) -> None:
        span = self._pop_child(("llm", event.request_id), event, f"chat {event.model}")
        span.set_attributes(
            {
                "gen_ai.usage.input_tokens": event.usage.input_tokens,
                "gen_ai.usage.output_tokens": event.usage.output_tokens,
                "gen_ai.response.model": event.model,
                **self._attributes(event),
            }
        )
        if event.error is not None:
            self._fail(span, event.error)
        span.end()

    def _end_tool(self, event: ToolCallFinished) -> None:
        span = self._pop_child(("tool", event.call_id), event, f"execute_tool {event.tool}")
        span.set_attributes({"zeroclaw.outcome": event.outcome, **self._attributes(event)})
        if event.outcome == "error":
            self._fail(span, event.result.error or "the tool failed")
        span.end()

    def _pop_child(
        self, key: tuple[str, str], event: LLMResponse | ToolCallFinished, name: str
    ) -> Span:
        opened = self._children.pop(key, None)
        if opened is not None:
            turn_id, span = opened
            if (turn := self._turns.get(turn_id)) is not None:
                turn.children.discard(key)
            return span
        # The start was never recorded: open the span now, back-dated by the duration.
        duration_ms = event.latency_ms if isinstance(event, LLMResponse) else event.duration_ms
        return self._child_span(event.turn_id, name, event, start_time=_ago(duration_ms))

    def _compaction(self, event: Compaction) -> None:
        span = self._child_span(
            event.turn_id, "zeroclaw.compaction", event, start_time=_ago(event.duration_ms)
        )
        span.end()

    def _error(self, event: Error) -> None:
        turn = self._turns.get(event.turn_id) if event.turn_id is not None else None
        if turn is not None:
            turn.span.add_event("exception", self._attributes(event))

    # -- helpers ---------------------------------------------------------------------------

    def _child_span(
        self, turn_id: str | None, name: str, event: ObserverEvent, *, start_time: int | None
    ) -> Span:
        turn = self._turns.get(turn_id) if turn_id is not None else None
        context = self._trace.set_span_in_context(turn.span) if turn is not None else None
        return self._tracer.start_span(
            name,
            context=context,
            kind=self._kind(event),
            attributes=self._attributes(event),
            start_time=start_time,
        )

    def _kind(self, event: ObserverEvent) -> SpanKind:
        if isinstance(event, LLMRequest | LLMResponse):
            return self._trace.SpanKind.CLIENT
        return self._trace.SpanKind.INTERNAL

    def _attributes(self, event: ObserverEvent) -> dict[str, Scalar]:
        attributes: dict[str, Scalar] = {
            f"zeroclaw.{key}": value
            for key, value in flat_fields(
                event,
                include_content=self._include_content,
                redactor=self._redactor,
                max_chars=self._max_chars,
            ).items()
        }
        if isinstance(event, LLMRequest | LLMResponse):
            attributes["gen_ai.operation.name"] = "chat"
            attributes["gen_ai.provider.name"] = event.provider
            attributes["gen_ai.request.model"] = event.model
        elif isinstance(event, ToolCallStarted | ToolCallFinished):
            attributes["gen_ai.operation.name"] = "execute_tool"
            attributes["gen_ai.tool.name"] = event.tool
            attributes["gen_ai.tool.call.id"] = event.call_id
        return attributes

    def _fail(self, span: Span, description: str) -> None:
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, description))


def _ago(duration_ms: float) -> int:
    return time.time_ns() - int(duration_ms * 1_000_000)
