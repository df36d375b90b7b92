"""LogObserver: one structured record per event; content left out unless asked."""

import logging

import pytest

from zeroclaw.messages import ChatMessage, ToolResult, Usage
from zeroclaw.observability import (
    Error,
    GatewayStopped,
    HeartbeatObserved,
    LLMRequest,
    LLMResponse,
    LogObserver,
    ToolCallFinished,
)

LOGGER = "zeroclaw.observability"


def test_key_value_line_and_extra_fields(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        LogObserver().record(
            LLMResponse(
                "s1", "t1", "r1", "openai", "gpt 4", 812.4, "secret answer", usage=Usage(10, 2)
            )
        )
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert message.startswith("llm_response session_id=s1 turn_id=t1 request_id=r1")
    assert 'model="gpt 4"' in message
    assert "latency_ms=812.4" in message
    assert "usage.input_tokens=10 usage.output_tokens=2" in message
    assert "text.chars=13" in message
    assert "secret answer" not in message
    assert record.event == "llm_response"  # type: ignore[attr-defined]
    assert record.fields["usage.output_tokens"] == 2  # type: ignore[attr-defined]


def test_content_is_logged_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    event = LLMRequest("s1", "t1", "r1", "openai", "gpt", (ChatMessage("user", "my password"),))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        LogObserver().record(event)
        LogObserver(include_content=True).record(event)
    redacted, full = (r.getMessage() for r in caplog.records)
    assert "messages.count=1" in redacted
    assert "my password" not in redacted
    assert "my password" in full


def test_tool_outcome_is_kept_when_its_content_is_not(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        LogObserver().record(
            ToolCallFinished(
                "s", "t", "c", "read_file", {"path": "/x"}, ToolResult.fail("nope"), 2.0
            )
        )
    message = caplog.records[0].getMessage()
    assert "result.success=false" in message
    assert "result.chars=4" in message
    assert "arguments.count=1" in message
    assert "/x" not in message


def test_levels_by_event(caplog: pytest.LogCaptureFixture) -> None:
    observer = LogObserver()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        observer.record(HeartbeatObserved(1, 0.0))
        observer.record(Error("provider", "rate limited", error_type="ProviderError"))
        observer.record(GatewayStopped())
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, 'error component=provider message="rate limited" error_type=ProviderError'),
        (logging.INFO, "gateway_stopped"),
    ]


def test_nothing_is_formatted_when_the_logger_is_off(caplog: pytest.LogCaptureFixture) -> None:
    class Exploding(LLMResponse):
        @property
        def content_fields(self) -> tuple[str, ...]:  # type: ignore[override]
            raise AssertionError("formatted although nobody listens")

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        LogObserver().record(Exploding("s", "t", "r", "p", "m", 1.0))
    assert caplog.records == []
