"""OtelObserver: spans per turn, LLM call and tool call, parented by the events' ids."""

import sys

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from zeroclaw.messages import ChatMessage, ToolResult, Usage
from zeroclaw.observability import (
    AgentEnd,
    Compaction,
    Error,
    LLMRequest,
    LLMResponse,
    OtelNotInstalledError,
    OtelObserver,
    ToolCallFinished,
    ToolCallStarted,
    TurnComplete,
    TurnStarted,
)
from zeroclaw.observability.redaction import REDACTED, Redactor

MESSAGES = (ChatMessage("user", "what is in /tmp?"),)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def observer(exporter: InMemorySpanExporter) -> OtelObserver:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OtelObserver(provider)


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


def test_turn_llm_and_tool_spans_are_parented(
    observer: OtelObserver, exporter: InMemorySpanExporter
) -> None:
    observer.record(TurnStarted("s1", "t1", "cli"))
    observer.record(LLMRequest("s1", "t1", "r1", "openai", "gpt", MESSAGES, tools=2))
    observer.record(LLMResponse("s1", "t1", "r1", "openai", "gpt", 20.0, None, usage=Usage(9, 4)))
    observer.record(ToolCallStarted("s1", "t1", "c1", "shell", {"command": "ls /tmp"}))
    observer.record(
        ToolCallFinished("s1", "t1", "c1", "shell", {"command": "ls"}, ToolResult.ok("a b"), 2.0)
    )
    observer.record(TurnComplete("s1", "t1", "answer", 1, 1, Usage(9, 4), 30.0))

    spans = by_name(exporter)
    assert set(spans) == {"zeroclaw.turn", "chat gpt", "execute_tool shell"}
    turn, llm, tool = spans["zeroclaw.turn"], spans["chat gpt"], spans["execute_tool shell"]
    assert turn.parent is None
    assert llm.parent is not None
    assert llm.parent.span_id == turn.context.span_id
    assert tool.parent is not None
    assert tool.parent.span_id == turn.context.span_id
    assert llm.context.trace_id == tool.context.trace_id == turn.context.trace_id
    assert llm.kind is SpanKind.CLIENT
    assert llm.attributes is not None
    assert llm.attributes["gen_ai.usage.input_tokens"] == 9
    assert llm.attributes["gen_ai.request.model"] == "gpt"
    assert llm.attributes["zeroclaw.messages.count"] == 1
    assert tool.attributes is not None
    assert tool.attributes["gen_ai.tool.call.id"] == "c1"
    assert tool.attributes["zeroclaw.outcome"] == "success"
    assert "ls /tmp" not in str(dict(tool.attributes))
    assert turn.attributes is not None
    assert turn.attributes["zeroclaw.outcome"] == "answer"
    assert turn.status.status_code is StatusCode.UNSET


def test_two_turns_do_not_mix(observer: OtelObserver, exporter: InMemorySpanExporter) -> None:
    observer.record(TurnStarted("s1", "t1", "cli"))
    observer.record(TurnStarted("s2", "t2", "cli"))
    observer.record(LLMRequest("s2", "t2", "r2", "openai", "gpt", MESSAGES))
    observer.record(LLMResponse("s2", "t2", "r2", "openai", "gpt", 5.0, "x"))
    observer.record(TurnComplete("s2", "t2", "answer", 1, 0, Usage(), 10.0))
    observer.record(TurnComplete("s1", "t1", "answer", 0, 0, Usage(), 10.0))

    turns = {
        s.attributes["zeroclaw.turn_id"]: s  # type: ignore[index]
        for s in exporter.get_finished_spans()
        if s.name == "zeroclaw.turn"
    }
    llm = by_name(exporter)["chat gpt"]
    assert llm.parent is not None
    assert llm.parent.span_id == turns["t2"].context.span_id


def test_failures_set_error_status(observer: OtelObserver, exporter: InMemorySpanExporter) -> None:
    observer.record(TurnStarted("s1", "t1", "cli"))
    observer.record(LLMRequest("s1", "t1", "r1", "openai", "gpt", MESSAGES))
    observer.record(LLMResponse("s1", "t1", "r1", "openai", "gpt", 5.0, error="HTTP 500"))
    observer.record(Error("provider", "HTTP 500", session_id="s1", turn_id="t1"))
    observer.record(ToolCallStarted("s1", "t1", "c1", "shell", {}))
    observer.record(TurnComplete("s1", "t1", "error", 1, 1, Usage(), 10.0))

    spans = by_name(exporter)
    assert spans["chat gpt"].status.status_code is StatusCode.ERROR
    assert spans["chat gpt"].status.description == "HTTP 500"
    # The tool call never finished: closed with its turn, not leaked.
    assert spans["execute_tool shell"].status.status_code is StatusCode.ERROR
    turn = spans["zeroclaw.turn"]
    assert turn.status.status_code is StatusCode.ERROR
    assert [e.name for e in turn.events] == ["exception"]


def test_a_response_without_its_request_still_gets_a_backdated_span(
    observer: OtelObserver, exporter: InMemorySpanExporter
) -> None:
    observer.record(TurnStarted("s1", "t1", "cli"))
    observer.record(LLMResponse("s1", "t1", "r9", "openai", "gpt", 250.0, "late"))
    observer.record(Compaction("s1", "sum", 10, 9000, 40.0, turn_id="t1"))
    observer.record(TurnComplete("s1", "t1", "answer", 1, 0, Usage(), 300.0))

    spans = by_name(exporter)
    llm = spans["chat gpt"]
    assert llm.end_time is not None
    assert llm.start_time is not None
    assert llm.end_time - llm.start_time >= 250_000_000
    assert llm.parent is not None
    assert llm.parent.span_id == spans["zeroclaw.turn"].context.span_id
    assert spans["zeroclaw.compaction"].parent is not None


def test_session_end_closes_open_turns(
    observer: OtelObserver, exporter: InMemorySpanExporter
) -> None:
    observer.record(TurnStarted("s1", "t1", "cli"))
    observer.record(TurnStarted("s2", "t2", "cli"))
    observer.record(AgentEnd("s1", "cli"))
    finished = exporter.get_finished_spans()
    assert [s.attributes["zeroclaw.turn_id"] for s in finished] == ["t1"]  # type: ignore[index]
    assert finished[0].status.status_code is StatusCode.ERROR


def test_missing_opentelemetry_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(OtelNotInstalledError) as caught:
        OtelObserver()
    assert "zeroclaw[otel]" in str(caught.value)


def test_recorded_content_is_redacted_and_cut_in_span_attributes(
    exporter: InMemorySpanExporter,
) -> None:
    """Spans travel as far as log lines: content recorded in them is redacted and cut as
    the log backend's is (the config's secrets by value too)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    redactor = Redactor(secret_values=["Plain7Looking9Value"])
    observer = OtelObserver(provider, include_content=True, redactor=redactor, max_chars=100)
    arguments = {"command": "curl -H 'Authorization: Bearer abcdefgh12345678'"}
    output = "echo Plain7Looking9Value password=hunter22 " + "line\n" * 100_000
    observer.record(TurnStarted("s1", "t1", "cli"))
    observer.record(ToolCallStarted("s1", "t1", "c1", "shell", arguments))
    observer.record(
        ToolCallFinished("s1", "t1", "c1", "shell", arguments, ToolResult.ok(output), 2.0)
    )
    observer.record(TurnComplete("s1", "t1", "answer", 1, 1, Usage(9, 4), 30.0))

    attributes = dict(by_name(exporter)["execute_tool shell"].attributes or {})
    shown = " ".join(str(value) for value in attributes.values())
    for secret in ("abcdefgh12345678", "Plain7Looking9Value", "hunter22"):
        assert secret not in shown
    assert REDACTED in str(attributes["zeroclaw.arguments"])
    cut = str(attributes["zeroclaw.result.output"])
    assert cut.startswith(f"echo {REDACTED} password={REDACTED}")
    assert cut.endswith(" more chars]")
    assert len(cut) < 200
