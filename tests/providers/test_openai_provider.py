"""The OpenAI-compatible provider against a fake server, through the real `openai` SDK."""

from __future__ import annotations

import socket
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
from zeroclaw.providers.openai_compat import PLACEHOLDER_API_KEY, OpenAIProvider
from zeroclaw.tool_arguments import INVALID_ARGUMENTS_KEY

FILE_READ = ToolSpec(
    "file_read",
    "Read a file",
    {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def make_provider(
    server: FakeLLMServer, *, api_key_env: str | None = "OPENAI_API_KEY", **overrides: Any
) -> OpenAIProvider:
    config = ProviderConfig(
        kind="openai",
        base_url=f"{server.url}/v1",
        api_key_env=api_key_env,
        model="gpt-test",
        **overrides,
    )
    return OpenAIProvider("openai", config)


def completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-test-2024",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
    }


def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test",
        "choices": choices,
        **extra,
    }


def user(text: str) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage("user", text)], model="")


async def collect(events: Any) -> list[StreamEvent]:
    return [event async for event in events]


async def test_plain_text_round_trip(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json(completion({"content": "Hello!"}))
    request = ChatRequest(
        messages=[ChatMessage("system", "be brief"), ChatMessage("user", "hi")], model=""
    )
    response = await make_provider(llm_server).chat(request)
    assert response.text == "Hello!"
    assert response.usage == Usage(12, 5)
    assert response.model == "gpt-test-2024"
    assert response.finish_reason == "stop"
    sent = llm_server.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.body["model"] == "gpt-test"
    assert sent.body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert "tools" not in sent.body
    assert "temperature" not in sent.body
    assert "max_tokens" not in sent.body


async def test_options_and_explicit_model_are_sent(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json(completion({"content": "ok"}))
    request = ChatRequest(
        messages=[ChatMessage("user", "hi")],
        model="other-model",
        options=ChatOptions(temperature=0.2, max_tokens=50),
    )
    await make_provider(llm_server).chat(request)
    body = llm_server.requests[0].body
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("other-model", 0.2, 50)


async def test_tool_calls_round_trip(llm_server: FakeLLMServer) -> None:
    provider = make_provider(llm_server)
    llm_server.reply_json(
        completion(
            {
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_abc",
                        "type": "function",
                        "function": {"name": "file_read", "arguments": '{"path": "a.txt"}'},
                    }
                ],
            },
            finish="tool_calls",
        )
    )
    first = await provider.chat(
        ChatRequest(messages=[ChatMessage("user", "read a.txt")], model="", tools=[FILE_READ])
    )
    assert first.tool_calls == (ToolCall("call_abc", "file_read", {"path": "a.txt"}),)
    assert first.finish_reason == "tool_calls"
    assert first.text is None
    assert llm_server.requests[0].body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "file_read",
                "description": "Read a file",
                "parameters": FILE_READ.parameters,
            },
        }
    ]

    llm_server.reply_json(completion({"content": "It says hello."}))
    history = [
        ChatMessage("user", "read a.txt"),
        ChatMessage("assistant", "", tool_calls=first.tool_calls),
        ChatMessage("tool", "hello", tool_call_id="call_abc", name="file_read"),
    ]
    second = await provider.chat(ChatRequest(messages=history, model="", tools=[FILE_READ]))
    assert second.text == "It says hello."
    messages = llm_server.requests[1].body["messages"]
    assert messages[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_abc",
                "type": "function",
                "function": {"name": "file_read", "arguments": '{"path": "a.txt"}'},
            }
        ],
    }
    assert messages[2] == {"role": "tool", "content": "hello", "tool_call_id": "call_abc"}


async def test_invalid_tool_arguments_are_kept_raw_and_sent_back_unchanged(
    llm_server: FakeLLMServer,
) -> None:
    provider = make_provider(llm_server)
    raw = '{"path": "a.txt"'
    llm_server.reply_json(
        completion(
            {
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": raw}}
                ]
            },
            finish="tool_calls",
        )
    )
    response = await provider.chat(user("go"))
    assert response.tool_calls[0].arguments == {INVALID_ARGUMENTS_KEY: raw}

    llm_server.reply_json(completion({"content": "ok"}))
    history = [
        ChatMessage("assistant", tool_calls=response.tool_calls),
        ChatMessage("tool", "error: bad arguments", tool_call_id="c1"),
    ]
    await provider.chat(ChatRequest(messages=history, model=""))
    sent_call = llm_server.requests[1].body["messages"][0]["tool_calls"][0]
    assert sent_call["function"]["arguments"] == raw


async def test_streaming_text_and_usage(llm_server: FakeLLMServer) -> None:
    llm_server.reply_sse(
        [
            (None, chunk({"role": "assistant", "content": ""})),
            (None, chunk({"content": "Hel"})),
            (None, chunk({"content": "lo"})),
            (None, chunk({}, finish="stop")),
            (
                None,
                chunk(None, usage={"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}),
            ),
            (None, "[DONE]"),
        ]
    )
    events = await collect(make_provider(llm_server).stream(user("hi")))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo"]
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.response.text == "Hello"
    assert end.response.usage == Usage(9, 2)
    body = llm_server.requests[0].body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_streamed_tool_calls_are_assembled_by_index(llm_server: FakeLLMServer) -> None:
    def piece(index: int, **fields: Any) -> dict[str, Any]:
        return chunk({"tool_calls": [{"index": index, **fields}]})

    llm_server.reply_sse(
        [
            (None, piece(0, id="call_a", type="function", function={"name": "f", "arguments": ""})),
            (None, piece(1, id="call_b", type="function", function={"name": "g", "arguments": ""})),
            (None, piece(0, function={"arguments": '{"x": '})),
            (None, piece(1, function={"arguments": "{}"})),
            (None, piece(0, function={"arguments": "1}"})),
            (None, chunk({}, finish="tool_calls")),
            (None, "[DONE]"),
        ]
    )
    events = await collect(make_provider(llm_server).stream(user("go")))
    assert len(events) == 1
    end = events[0]
    assert isinstance(end, StreamEnd)
    assert end.response.tool_calls == (
        ToolCall("call_a", "f", {"x": 1}),
        ToolCall("call_b", "g", {}),
    )
    assert end.response.finish_reason == "tool_calls"
    assert end.response.text is None


async def test_rate_limit_is_retryable_with_retry_after(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json(
        {"error": {"message": "Rate limit reached", "type": "requests"}},
        status=429,
        headers={"retry-after": "7"},
    )
    with pytest.raises(ProviderError) as exc:
        await make_provider(llm_server).chat(user("hi"))
    error = exc.value
    assert (error.retryable, error.retry_after, error.status) == (True, 7.0, 429)
    assert "Rate limit reached" in error.message
    assert len(llm_server.requests) == 1  # the SDK itself did not retry


async def test_server_error_is_retryable(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json({"error": {"message": "boom"}}, status=503)
    with pytest.raises(ProviderError) as exc:
        await make_provider(llm_server).chat(user("hi"))
    assert exc.value.retryable is True
    assert exc.value.retry_after is None


async def test_unauthorized_is_not_retryable_and_keeps_the_server_message(
    llm_server: FakeLLMServer,
) -> None:
    llm_server.reply_json(
        {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}},
        status=401,
    )
    with pytest.raises(ProviderError) as exc:
        await make_provider(llm_server).chat(user("hi"))
    error = exc.value
    assert error.retryable is False
    assert error.status == 401
    assert "Incorrect API key provided" in error.message
    assert "api_key_env" in (error.hint or "")


async def test_stream_errors_are_mapped_too(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json({"error": {"message": "busy"}}, status=429, headers={"retry-after": "1"})
    with pytest.raises(ProviderError) as exc:
        await collect(make_provider(llm_server).stream(user("hi")))
    assert (exc.value.retryable, exc.value.retry_after) == (True, 1.0)


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    config = ProviderConfig(kind="openai", api_key_env="OPENAI_API_KEY", model="m")
    with pytest.raises(MissingCredentialsError) as exc:
        OpenAIProvider("openai", config)
    assert exc.value.env_var == "OPENAI_API_KEY"
    assert "OPENAI_API_KEY" in str(exc.value)


async def test_no_key_variable_sends_a_placeholder(llm_server: FakeLLMServer) -> None:
    llm_server.reply_json(completion({"content": "local"}))
    await make_provider(llm_server, api_key_env=None).chat(user("hi"))
    assert llm_server.requests[0].headers["authorization"] == f"Bearer {PLACEHOLDER_API_KEY}"


async def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = ProviderConfig(kind="openai", base_url=f"http://127.0.0.1:{port}/v1", model="m")
    with pytest.raises(ProviderError) as exc:
        await OpenAIProvider("local", config).chat(user("hi"))
    assert exc.value.retryable is True
    assert f"127.0.0.1:{port}" in exc.value.message


async def test_timeout_is_retryable(llm_server: FakeLLMServer) -> None:
    llm_server.reply_delay(2.0)
    with pytest.raises(ProviderError) as exc:
        await make_provider(llm_server, timeout_s=0.1).chat(user("hi"))
    assert exc.value.retryable is True
    assert "0.1 s" in exc.value.message


async def test_a_request_needs_some_model(llm_server: FakeLLMServer) -> None:
    config = ProviderConfig(kind="openai", base_url=f"{llm_server.url}/v1")
    with pytest.raises(ProviderError, match="no model") as exc:
        await OpenAIProvider("local", config).chat(user("hi"))
    assert "llm.providers.local.model" in (exc.value.hint or "")
    assert llm_server.requests == []
