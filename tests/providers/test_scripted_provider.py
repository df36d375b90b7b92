from __future__ import annotations

import json
from pathlib import Path

import pytest

from zeroclaw.config.models import ProviderConfig
from zeroclaw.messages import ChatMessage, ToolCall, Usage
from zeroclaw.providers import (
    ChatRequest,
    ProviderError,
    ScriptedProvider,
    StreamEnd,
    StreamEvent,
    TextDelta,
)


def request(text: str = "hi") -> ChatRequest:
    return ChatRequest(messages=[ChatMessage("user", text)], model="")


async def test_replays_entries_in_order_and_keeps_requests() -> None:
    provider = ScriptedProvider(
        [
            {"text": "first"},
            {
                "tool_calls": [{"name": "file_list", "arguments": {"dir": "."}}],
                "usage": {"input_tokens": 7, "output_tokens": 3},
            },
            {"text": "third", "tool_calls": [{"name": "x", "id": "mine"}]},
        ]
    )
    first = await provider.chat(request("a"))
    second = await provider.chat(request("b"))
    third = await provider.chat(request("c"))
    assert first.text == "first"
    assert first.finish_reason == "stop"
    assert second.tool_calls == (ToolCall("call_1", "file_list", {"dir": "."}),)
    assert second.usage == Usage(7, 3)
    assert second.finish_reason == "tool_calls"
    assert third.tool_calls == (ToolCall("mine", "x", {}),)
    assert [r.messages[0].content for r in provider.requests] == ["a", "b", "c"]


async def test_error_entries_raise_the_matching_provider_error() -> None:
    provider = ScriptedProvider(
        [
            {"error": {"status": 429, "message": "slow down", "retry_after": 2.5}},
            {"error": {"status": 400, "message": "bad request"}},
            {"error": {"message": "connection reset"}},
            {"error": {"status": 500, "message": "oops", "retryable": False}},
        ],
        name="s",
    )
    with pytest.raises(ProviderError) as rate_limited:
        await provider.chat(request())
    assert (rate_limited.value.retryable, rate_limited.value.retry_after) == (True, 2.5)
    assert rate_limited.value.status == 429
    assert "slow down" in str(rate_limited.value)
    with pytest.raises(ProviderError) as bad:
        await provider.chat(request())
    assert bad.value.retryable is False
    with pytest.raises(ProviderError) as network:
        await provider.chat(request())
    assert network.value.retryable is True
    with pytest.raises(ProviderError) as overridden:
        await provider.chat(request())
    assert overridden.value.retryable is False


async def test_exhausted_script_is_a_clear_error() -> None:
    provider = ScriptedProvider([{"text": "only"}])
    await provider.chat(request())
    with pytest.raises(ProviderError, match="script exhausted") as exc:
        await provider.chat(request())
    assert exc.value.retryable is False
    assert exc.value.hint is not None
    assert len(provider.requests) == 2


async def test_stream_yields_text_then_end_and_errors_before_any_delta() -> None:
    provider = ScriptedProvider([{"text": "a b c"}, {"error": {"status": 503, "message": "x"}}])
    events = [event async for event in provider.stream(request())]
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["a ", "b ", "c"]
    assert isinstance(events[-1], StreamEnd)
    assert events[-1].response.text == "a b c"
    seen: list[StreamEvent] = []

    async def drain() -> None:
        async for event in provider.stream(request()):
            seen.append(event)

    with pytest.raises(ProviderError):
        await drain()
    assert seen == []


async def test_config_script_file_is_replayed(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"text": "from file"}]))
    provider = ScriptedProvider.from_config("mine", ProviderConfig(kind="scripted", script=script))
    assert provider.name == "mine"
    assert (await provider.chat(request())).text == "from file"


def test_bad_entry_names_the_file_and_the_entry(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"text": "ok"}, {"tool_calls": [{"arguments": {}}]}]))
    with pytest.raises(ProviderError) as exc:
        ScriptedProvider.from_file(script)
    message = str(exc.value)
    assert str(script) in message
    assert "entry 2" in message
    assert "tool_calls.0.name" in message


def test_entry_cannot_be_both_a_response_and_an_error() -> None:
    with pytest.raises(ProviderError, match="entry 1"):
        ScriptedProvider([{"text": "x", "error": {"message": "y"}}])


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ProviderError, match="txt"):
        ScriptedProvider([{"txt": "typo"}])


def test_invalid_json_file_names_the_file(tmp_path: Path) -> None:
    script = tmp_path / "broken.json"
    script.write_text("[{")
    with pytest.raises(ProviderError, match=r"broken\.json is not valid JSON"):
        ScriptedProvider.from_file(script)


def test_file_must_hold_a_list(tmp_path: Path) -> None:
    script = tmp_path / "obj.json"
    script.write_text('{"text": "x"}')
    with pytest.raises(ProviderError, match="JSON list"):
        ScriptedProvider.from_file(script)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="cannot read script file"):
        ScriptedProvider.from_file(tmp_path / "nope.json")


def test_scripted_config_needs_a_script() -> None:
    with pytest.raises(ProviderError, match="needs a script file") as exc:
        ScriptedProvider.from_config("s", ProviderConfig(kind="scripted"))
    assert "llm.providers.s.script" in (exc.value.hint or "")
