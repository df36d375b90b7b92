"""The OpenAI-compatible API, driven by the real `openai` SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from gateway_harness import TOKEN, Gateway, running_gateway

from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig


def test_completion_runs_the_agent_and_its_tools(gateway: Gateway, config: Config) -> None:
    (config.workspace / "notes.txt").write_text("hello")
    client = gateway.openai()

    completion = client.chat.completions.create(
        model="zeroclaw", messages=[{"role": "user", "content": "/tool file_list {}"}]
    )

    assert completion.object == "chat.completion"
    assert completion.choices[0].finish_reason == "stop"
    reply = completion.choices[0].message.content or ""
    assert "Tool `file_list` returned" in reply
    assert "notes.txt" in reply
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    extra = completion.model_extra or {}
    assert extra["zeroclaw"]["tool_calls"] == 1


def test_streamed_completion_sends_chunks_then_done(gateway: Gateway, config: Config) -> None:
    (config.workspace / "streamed.txt").write_text("x")
    client = gateway.openai()

    stream = client.chat.completions.create(
        model="zeroclaw",
        messages=[{"role": "user", "content": "/tool file_list {}"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "streamed.txt" in text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert finishes.count("stop") == 1
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_stream_ends_with_done_marker(gateway: Gateway) -> None:
    body = {"model": "zeroclaw", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with gateway.client() as http:
        response = http.post("/v1/chat/completions", json=body)

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.text.split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    assert all(event.startswith("data: ") for event in events)


def test_streamed_and_whole_replies_agree(gateway: Gateway) -> None:
    client = gateway.openai()
    messages = [{"role": "user", "content": "same words either way"}]

    whole = client.chat.completions.create(model="zeroclaw", messages=messages)  # type: ignore[arg-type]
    stream = client.chat.completions.create(model="zeroclaw", messages=messages, stream=True)  # type: ignore[arg-type]
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    assert streamed == whole.choices[0].message.content


def test_no_token_is_an_authentication_error(gateway: Gateway) -> None:
    # The SDK insists on a key; omitting the header sends the request without one.
    client = gateway.openai()
    with pytest.raises(openai.AuthenticationError) as raised:
        client.chat.completions.create(
            model="zeroclaw",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"Authorization": openai.omit},
        )
    assert raised.value.status_code == 401
    assert "missing or invalid bearer token" in raised.value.message


def test_wrong_token_gets_the_same_401_as_none(gateway: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError):
        gateway.openai(token="zc_not-a-real-token").models.list()

    with gateway.client(token=None) as anonymous, gateway.client(token="zc_wrong") as wrong:
        missing = anonymous.get("/v1/models")
        invalid = wrong.get("/v1/models")
        malformed = anonymous.get("/v1/models", headers={"Authorization": "Basic Zm9vOmJhcg=="})

    assert missing.status_code == invalid.status_code == malformed.status_code == 401
    assert missing.content == invalid.content == malformed.content
    assert missing.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in missing.text


def test_models_lists_the_default_and_the_providers(gateway: Gateway) -> None:
    ids = [model.id for model in gateway.openai().models.list()]

    assert ids[0] == "zeroclaw"
    assert "offline/offline" in ids


def test_one_model_is_retrieved_by_id_and_an_unknown_one_is_404(gateway: Gateway) -> None:
    client = gateway.openai()

    listed = client.models.retrieve("offline/offline")
    default = client.models.retrieve("zeroclaw")
    any_model = client.models.retrieve("offline/some-model")
    with pytest.raises(openai.NotFoundError) as raised:
        client.models.retrieve("nosuch/model")

    assert (listed.id, listed.object, listed.owned_by) == ("offline/offline", "model", "zeroclaw")
    assert (default.id, any_model.id) == ("zeroclaw", "offline/some-model")
    assert "unknown model 'nosuch/model'" in raised.value.message


def test_a_provider_model_name_is_accepted_and_an_unknown_one_is_404(gateway: Gateway) -> None:
    client = gateway.openai()
    reply = client.chat.completions.create(
        model="offline/offline", messages=[{"role": "user", "content": "which model?"}]
    )
    assert reply.model == "offline/offline"

    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(
            model="nosuch/model", messages=[{"role": "user", "content": "hi"}]
        )
    assert "unknown model 'nosuch/model'" in str(raised.value)


def test_session_header_keeps_the_conversation(gateway: Gateway) -> None:
    client = gateway.openai()
    for text in ("first message", "second message"):
        client.chat.completions.create(
            model="zeroclaw",
            messages=[{"role": "user", "content": text}],
            extra_headers={"X-Session-Id": "sdk-session"},
        )

    with gateway.client() as http:
        history = http.get("/api/sessions/sdk-session").json()

    said = [m["content"] for m in history["messages"] if m["role"] == "user"]
    assert said == ["first message", "second message"]
    assert history["channel"] == "gateway"
    assert history["open_turn"] is None  # both turns settled


def test_earlier_messages_seed_a_new_session_only(gateway: Gateway) -> None:
    client = gateway.openai()
    conversation = [
        {"role": "system", "content": "ignored: the agent has its own prompt"},
        {"role": "user", "content": "my name is Ada"},
        {"role": "assistant", "content": "Hello Ada"},
        {"role": "user", "content": "what is my name?"},
    ]
    client.chat.completions.create(model="zeroclaw", messages=conversation, user="seeded")  # type: ignore[arg-type]
    client.chat.completions.create(model="zeroclaw", messages=conversation, user="seeded")  # type: ignore[arg-type]

    with gateway.client() as http:
        messages = http.get("/api/sessions/seeded").json()["messages"]

    contents = [(m["role"], m["content"]) for m in messages]
    assert contents[:3] == [
        ("user", "my name is Ada"),
        ("assistant", "Hello Ada"),
        ("user", "what is my name?"),
    ]
    # The second request's history came from memory, not from the request again.
    assert [c for c in contents if c == ("user", "my name is Ada")] == [contents[0]]
    assert not any("ignored" in content for _, content in contents)


def test_unknown_session_history_is_404(gateway: Gateway) -> None:
    with gateway.client() as http:
        response = http.get("/api/sessions/never-seen")
    assert response.status_code == 404
    assert "never-seen" in response.json()["error"]["message"]


def test_openapi_schema_lists_every_endpoint(gateway: Gateway) -> None:
    schema = httpx.get(f"{gateway.base_url}/openapi.json").json()

    for path in (
        "/health",
        "/pair",
        "/metrics",
        "/webhook",
        "/v1/chat/completions",
        "/v1/models",
        "/api/sessions/{session_id}",
    ):
        assert path in schema["paths"], path


def test_the_requested_provider_answers(config: Config, tmp_path: Path) -> None:
    script = tmp_path / "other.json"
    script.write_text('[{"text": "answered by the other provider"}]')
    config.llm.providers = {"other": ProviderConfig(kind="scripted", script=script)}
    with running_gateway(config) as gateway:
        client = gateway.openai()
        routed = client.chat.completions.create(
            model="other/any-model", messages=[{"role": "user", "content": "who?"}], user="a"
        )
        default = client.chat.completions.create(
            model="zeroclaw", messages=[{"role": "user", "content": "who?"}], user="b"
        )

    assert routed.choices[0].message.content == "answered by the other provider"
    assert "[offline" in (default.choices[0].message.content or "")


@pytest.mark.parametrize(
    "part",
    [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
    ],
)
def test_an_image_or_audio_part_is_a_400_naming_its_type(
    gateway: Gateway, part: dict[str, Any]
) -> None:
    content = [{"type": "text", "text": "what is this?"}, part]
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().chat.completions.create(
            model="zeroclaw",
            messages=[{"role": "user", "content": content}],  # type: ignore[list-item]
            extra_headers={"X-Session-Id": "with-an-image"},
        )

    assert raised.value.code == "unsupported_content"
    assert repr(part["type"]) in raised.value.message
    assert raised.value.param == "messages[0].content[1]"  # type: ignore[attr-defined]
    memory = gateway.state.runtime.memory
    assert memory.blocking(memory.get_session("with-an-image")) is None
