"""LogObserver: one structured record per event; content left out unless asked."""

import json
import logging
from pathlib import Path

import pytest

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.messages import ChatMessage, ToolResult, Usage
from zeroclaw.observability import (
    REDACTED,
    Error,
    GatewayStopped,
    HeartbeatObserved,
    LLMRequest,
    LLMResponse,
    LogObserver,
    MessageDelivered,
    Redactor,
    ToolCallFinished,
)
from zeroclaw.observability.fields import flat_fields

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


def test_recorded_content_is_redacted(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_TEST_KEY", "Plain7Looking9Value")
    event = ToolCallFinished(
        "s",
        "t",
        "c",
        "shell",
        {"command": "curl -H 'Authorization: Bearer abcdefgh12345678'", "cookie": "c-99999"},
        ToolResult.fail("echo Plain7Looking9Value password=hunter22 sk-abcdefghijklmnop"),
        2.0,
    )
    with caplog.at_level(logging.INFO, logger=LOGGER):
        LogObserver(include_content=True, redactor=Redactor(["LOG_TEST_KEY"])).record(event)
    (record,) = caplog.records
    message = record.getMessage()
    for secret in ("abcdefgh12345678", "c-99999", "Plain7Looking9Value", "hunter22", "sk-abc"):
        assert secret not in message
        assert secret not in str(record.fields)  # type: ignore[attr-defined]
    assert "result.success=false" in message
    assert record.fields["result.error"] == (  # type: ignore[attr-defined]
        f"echo {REDACTED} password={REDACTED} {REDACTED}"
    )
    arguments = json.loads(record.fields["arguments"])  # type: ignore[attr-defined]
    command = f"curl -H 'Authorization: Bearer {REDACTED}'"
    assert arguments == {"command": command, "cookie": REDACTED}


def test_recorded_content_is_cut_without_leaking_across_the_cut(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A megabyte of output is a line of `max_chars` characters, and a secret the cut
    falls inside is not shown in part."""
    head = "x" * 95 + " token=hunter22-and-more"  # the cut (100) falls inside the value
    output = head + " line\n" * 200_000
    event = ToolCallFinished("s", "t", "c", "shell", {}, ToolResult.ok(output), 1.0)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        LogObserver(include_content=True, max_chars=100).record(event)
    shown = caplog.records[0].fields["result.output"]  # type: ignore[attr-defined]
    assert shown.startswith("x" * 95 + " toke")
    assert "hunter" not in shown
    assert shown.endswith(" more chars]")
    assert len(caplog.records[0].getMessage()) < 400


def test_content_is_written_raw_only_without_a_redactor() -> None:
    event = MessageDelivered("cli", "u", "token=hunter22")
    assert flat_fields(event, include_content=True)["content"] == "token=hunter22"
    redacted = flat_fields(event, include_content=True, redactor=Redactor())
    assert redacted["content"] == f"token={REDACTED}"


async def test_a_runtime_logs_content_with_the_configs_secrets_redacted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "Plain7Looking9Value")
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.observability.record_content = True
    config.observability.content_max_chars = 300
    config.workspace.mkdir(parents=True)
    command = {"command": "echo Plain7Looking9Value password=hunter22" + " word" * 200}
    with caplog.at_level(logging.INFO, logger=LOGGER):
        async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
            await runtime.agent.start_session("s1", channel="test")
            await runtime.agent.turn("s1", "/tool shell " + json.dumps(command))
    finished = [r for r in caplog.records if r.getMessage().startswith("tool_call_finished")]
    assert len(finished) == 1
    assert "Plain7Looking9Value" not in caplog.text
    assert "hunter22" not in caplog.text
    output = finished[0].fields["result.output"]  # type: ignore[attr-defined]
    assert output.startswith(f"{REDACTED} password={REDACTED}")
    assert output.endswith(" more chars]")
