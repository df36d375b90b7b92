"""The Anthropic provider against a fake server, through the real `anthropic` SDK."""

from __future__ import annotations

from typing import Any

import pytest
from fake_llm_server import FakeLLMServer

from zeroclaw.config.models import ProviderConfig
from zeroclaw.messages import ChatMessage, ToolCall, ToolSpec, Usage
from zeroclaw.providers import (
    ChatOptions,
    ChatRequest,
    MissingCredentialsError,
    ProviderError,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from zeroclaw.providers.anthropic_native import (
    CONTINUATION,
    DEFAULT_MAX_TOKENS,
    AnthropicProvider,
    to_anthropic_messages,
)

FILE_READ = ToolSpec(
    "file_read", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}}
)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)


def make_provider(server: FakeLLMServer, **overrides: Any) -> AnthropicProvider:
    config = ProviderConfig(
        kind="anthropic",
        base_url=server.url,
        api_key_env="ANTHROPIC_API_KEY",
        model="claude-test",
        **overrides,
    )
    return AnthropicProvider("anthropic", config)


def message(content: list[dict[str, Any]], stop: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test-2025",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 4, "cache_read_input_tokens": 5},
    }


def user(text: str) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage("user", text)], model="")


async def collect(events: Any) -> list[StreamEvent]:
    return [event async for event in events]


def test_conversation_shape() -> None:
    calls = (ToolCall("toolu_1", "file_read", {"path": "a"}), ToolCall("toolu_2", "ls", {}))
    system, messages = to_anthropic_messages(
        [
            ChatMessage("system", "be brief"),
            ChatMessage("user", "hi"),
            ChatMessage("user", "read a"),
            ChatMessage("assistant", "Reading.", tool_calls=calls),
            ChatMessage("tool", "content of a", tool_call_id="toolu_1"),
            ChatMessage("tool", "a b", tool_call_id="toolu_2"),
            ChatMessage("user", "thanks"),
            ChatMessage("system", "more rules"),
        ]
    )
    assert system == "be brief\n\nmore rules"
    assert messages == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "read a"}],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Reading."},
                {"type": "tool_use", "id": "toolu_1", "name": "file_read", "input": {"path": "a"}},
                {"type": "tool_use", "id": "toolu_2", "name": "ls", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "content of a"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "a b"},
                {"type": "text", "text": "thanks"},
            ],
        },
    ]


def test_assistant_tool_call_without_text_has_no_empty_text_block() -> None:
    _, messages = to_anthropic_messages(
        [
            ChatMessage("user", "go"),
            ChatMessage("assistant", "", tool_calls=(ToolCall("t", "x", {}),)),
        ]
    )
    assert messages[1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "t", "name": "x", "input": {}}],
    }


def test_a_history_starting_with_the_assistant_gets_a_user_turn_first() -> None:
    _, messages = to_anthropic_messages([ChatMessage("assistant", "earlier answer")])
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"] == [{"type": "text", "text": CONTINUATION}]


async def test_plain_text_round_trip(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json(message([{"type": "text", "text": "Hello!"}]))
    request = ChatRequest(
        messages=[ChatMessage("system", "be brief"), ChatMessage("user", "hi")], model=""
    )
    response = await make_provider(llm_server).chat(request)
    assert response.text == "Hello!"
    assert response.usage == Usage(15, 4)  # cached prompt tokens count as input
    assert response.model == "claude-test-2025"
    assert response.finish_reason == "stop"
    sent = llm_server.requests[0]
    assert sent.path == "/v1/messages"
    # Older SDKs send the key as x-api-key, newer ones as a bearer token.
    auth = sent.headers.get("x-api-key", "") + sent.headers.get("authorization", "")
    assert "sk-ant-test" in auth
    assert sent.body["model"] == "claude-test"
    assert sent.body["system"] == "be brief"
    assert sent.body["max_tokens"] == DEFAULT_MAX_TOKENS
    assert sent.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert "tools" not in sent.body
    assert "temperature" not in sent.body


async def test_options_are_sent(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json(message([{"type": "text", "text": "ok"}]))
    options = ChatOptions(temperature=0.3, max_tokens=99)
    await make_provider(llm_server).chat(
        ChatRequest(messages=[ChatMessage("user", "hi")], model="claude-x", options=options)
    )
    body = llm_server.requests[0].body
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("claude-x", 0.3, 99)


async def test_tool_use_round_trip(llm_server: FakeLLMServer) -> None:
    provider = make_provider(llm_server)
    llm_server.reply_json(
        message(
            [
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_1", "name": "file_read", "input": {"path": "a"}},
            ],
            stop="tool_use",
        )
    )
    first = await provider.chat(
        ChatRequest(messages=[ChatMessage("user", "read a")], model="", tools=[FILE_READ])
    )
    assert first.text == "Let me look."
    assert first.tool_calls == (ToolCall("toolu_1", "file_read", {"path": "a"}),)
    assert first.finish_reason == "tool_calls"
    assert llm_server.requests[0].body["tools"] == [
        {"name": "file_read", "description": "Read a file", "input_schema": FILE_READ.parameters}
    ]

    llm_server.reply_json(message([{"type": "text", "text": "Done."}]))
    history = [
        ChatMessage("user", "read a"),
        ChatMessage("assistant", first.text or "", tool_calls=first.tool_calls),
        ChatMessage("tool", "hello", tool_call_id="toolu_1", name="file_read"),
    ]
    await provider.chat(ChatRequest(messages=history, model="", tools=[FILE_READ]))
    sent = llm_server.requests[1].body["messages"]
    assert sent[1]["content"][1] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "file_read",
        "input": {"path": "a"},
    }
    assert sent[2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "hello"}],
    }


def stream_events(*blocks: list[tuple[str, dict[str, Any]]], stop: str) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-test",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 20, "output_tokens": 1},
                },
            },
        ),
        ("ping", {"type": "ping"}),
    ]
    for block in blocks:
        events.extend(block)
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": 15},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def text_block(index: int, *parts: str) -> list[tuple[str, dict[str, Any]]]:
    start = {
        "type": "content_block_start",
        "index": index,
        "content_block": {"type": "text", "text": ""},
    }
    deltas = [
        {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": p}}
        for p in parts
    ]
    stop = {"type": "content_block_stop", "index": index}
    return [(e["type"], e) for e in [start, *deltas, stop]]


def tool_block(
    index: int, tool_id: str, name: str, *json_parts: str
) -> list[tuple[str, dict[str, Any]]]:
    start = {
        "type": "content_block_start",
        "index": index,
        "content_block": {"type": "tool_use", "id": tool_id, "name": name, "input": {}},
    }
    deltas = [
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "input_json_delta", "partial_json": p},
        }
        for p in json_parts
    ]
    stop = {"type": "content_block_stop", "index": index}
    return [(e["type"], e) for e in [start, *deltas, stop]]


async def test_streaming_text(llm_server: FakeLLMServer) -> None:
    llm_server.reply_sse(stream_events(text_block(0, "Hel", "lo", "!"), stop="end_turn"))
    events = await collect(make_provider(llm_server).stream(user("hi")))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo", "!"]
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.response.text == "Hello!"
    assert end.response.usage == Usage(20, 15)
    assert end.response.finish_reason == "stop"
    assert llm_server.requests[0].body["stream"] is True


async def test_streamed_tool_use_input_is_assembled(llm_server: FakeLLMServer) -> None:
    llm_server.reply_sse(
        stream_events(
            text_block(0, "Reading."),
            tool_block(1, "toolu_1", "file_read", '{"pa', 'th": "a', '.txt"}'),
            tool_block(2, "toolu_2", "ls"),
            stop="tool_use",
        )
    )
    events = await collect(make_provider(llm_server).stream(user("go")))
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.response.text == "Reading."
    assert end.response.tool_calls == (
        ToolCall("toolu_1", "file_read", {"path": "a.txt"}),
        ToolCall("toolu_2", "ls", {}),
    )
    assert end.response.finish_reason == "tool_calls"


async def test_error_event_inside_a_stream_is_mapped(llm_server: FakeLLMServer) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    llm_server.reply_sse([*stream_events(stop="end_turn")[:2], ("error", overloaded)])
    with pytest.raises(ProviderError) as exc:
        await collect(make_provider(llm_server).stream(user("hi")))
    assert exc.value.retryable is True
    assert "Overloaded" in exc.value.message


async def test_rate_limit_is_retryable_with_retry_after(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json(
        {"type": "error", "error": {"type": "rate_limit_error", "message": "Too many requests"}},
        status=429,
        headers={"retry-after": "12"},
    )
    with pytest.raises(ProviderError) as exc:
        await make_provider(llm_server).chat(user("hi"))
    assert (exc.value.retryable, exc.value.retry_after, exc.value.status) == (True, 12.0, 429)
    assert "Too many requests" in exc.value.message
    assert len(llm_server.requests) == 1


async def test_overloaded_529_is_retryable(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json(
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        status=529,
    )
    with pytest.raises(ProviderError) as exc:
        await make_provider(llm_server).chat(user("hi"))
    assert exc.value.retryable is True


async def test_unauthorized_is_not_retryable(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json(
        {
            "type": "error",
            "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        },
        status=401,
    )
    with pytest.raises(ProviderError) as exc:
        await make_provider(llm_server).chat(user("hi"))
    assert exc.value.retryable is False
    assert "invalid x-api-key" in exc.value.message


def test_missing_key_names_the_configured_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_CLAUDE_KEY", raising=False)
    config = ProviderConfig(kind="anthropic", api_key_env="MY_CLAUDE_KEY", model="m")
    with pytest.raises(MissingCredentialsError, match="MY_CLAUDE_KEY"):
        AnthropicProvider("anthropic", config)


def test_key_variable_defaults_to_anthropic_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(MissingCredentialsError) as exc:
        AnthropicProvider("claude", ProviderConfig(kind="anthropic", model="m"))
    assert exc.value.env_var == "ANTHROPIC_API_KEY"
    assert exc.value.provider == "claude"
