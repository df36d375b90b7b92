"""Bad requests get 4xx with a clear message; body size, rate and time are limited;
a failing agent is a 502 with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from gateway_harness import Gateway, RendezvousTool, running_gateway, tool_command

from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig
from zeroclaw.gateway.ratelimit import RateLimiter, retry_after_header

CHAT = "/v1/chat/completions"


def test_malformed_json_is_400_with_the_reason(gateway: Gateway) -> None:
    with gateway.client() as http:
        response = http.post(
            CHAT, content=b'{"model": "zeroclaw", "messages": [', headers=_json_type()
        )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    assert "not valid JSON" in error["message"]


def test_wrong_types_are_422_naming_the_field(gateway: Gateway) -> None:
    body = {"model": "zeroclaw", "messages": [{"role": "robot", "content": 3}], "stream": "maybe"}
    with gateway.client() as http:
        response = http.post(CHAT, json=body)

    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "messages[0].role" in message
    assert "stream" in message


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/webhook", {"message": ""}, "message"),
        ("/webhook", {"message": "hi", "sesion_id": "typo"}, "sesion_id"),
        ("/webhook", [1, 2], "body"),
        (CHAT, {"model": "zeroclaw", "messages": []}, "messages"),
        (CHAT, {"model": "zeroclaw", "messages": [{"role": "system", "content": "x"}]}, "user"),
        ("/pair", {}, "code"),
    ],
)
def test_bad_bodies_are_4xx_never_500(
    gateway: Gateway, path: str, body: object, expected: str
) -> None:
    with gateway.client() as http:
        response = http.post(path, json=body)

    assert 400 <= response.status_code < 500, response.text
    assert expected in response.json()["error"]["message"]


def test_openai_sdk_sees_the_validation_message(gateway: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().chat.completions.create(
            model="zeroclaw", messages=[{"role": "assistant", "content": "no user here"}]
        )
    assert "no user message" in str(raised.value)


def test_body_over_the_limit_is_413(config: Config) -> None:
    config.gateway.max_body_bytes = 2048
    big = json.dumps({"message": "x" * 4096}).encode()
    with running_gateway(config) as gateway, gateway.client() as http:
        declared = http.post("/webhook", content=big, headers=_json_type())
        parts = iter([big[:1000], big[1000:]])  # no Content-Length: sent chunked
        chunked = http.post("/webhook", content=parts, headers=_json_type())
        small = http.post("/webhook", json={"message": "fits"})

    for response in (declared, chunked):
        assert response.status_code == 413
        assert "gateway.max_body_bytes" in response.json()["error"]["message"]
    assert small.status_code == 200


def test_rate_limit_is_429_with_retry_after(config: Config) -> None:
    config.gateway.rate_limit_per_minute = 3
    with running_gateway(config) as gateway, gateway.client() as http:
        statuses = [http.get("/v1/models").status_code for _ in range(3)]
        limited = http.get("/v1/models")
        with pytest.raises(openai.RateLimitError):
            gateway.openai().models.list()

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "rate_limit_per_minute" in limited.json()["error"]["message"]


def test_slow_turn_is_504_and_keeps_what_it_stored(
    config: Config, rendezvous: RendezvousTool
) -> None:
    config.gateway.request_timeout_s = 0.3
    with running_gateway(config) as gateway:
        gateway.state.runtime.tools.register(rendezvous)
        message = tool_command("rendezvous", name="alone", wait_for="nobody", timeout_s=5)
        with gateway.client() as http:
            response = http.post("/webhook", json={"message": message, "session_id": "slow"})
            history = http.get("/api/sessions/slow").json()

    assert response.status_code == 504
    assert "gateway.request_timeout_s" in response.json()["error"]["message"]
    assert history["messages"][0]["content"] == message


def test_provider_failure_is_502_with_its_message(config: Config, tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    failure = '{"error": {"status": 400, "message": "model does not exist"}}'
    # Named sessions: they end (and session_memory asks the model) only at shutdown.
    script.write_text(f"[{failure}, {failure}]")
    config.llm.providers = {"broken": ProviderConfig(kind="scripted", script=script)}
    config.llm.provider = "broken"
    with running_gateway(config) as gateway:
        with pytest.raises(openai.APIStatusError) as raised:
            gateway.openai().chat.completions.create(
                model="zeroclaw", messages=[{"role": "user", "content": "hi"}], user="one"
            )
        stream = gateway.openai().chat.completions.create(
            model="zeroclaw",
            messages=[{"role": "user", "content": "hi"}],
            user="two",
            stream=True,
        )
        with pytest.raises(openai.APIError) as in_stream:
            list(stream)

    assert raised.value.status_code == 502
    assert "model does not exist" in raised.value.message
    assert "model does not exist" in str(in_stream.value)


def test_rate_limiter_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])

    assert all(limiter.acquire("a") is None for _ in range(60))
    wait = limiter.acquire("a")
    assert wait is not None
    assert wait == pytest.approx(1.0)
    assert limiter.acquire("b") is None  # per caller

    now[0] += 1.0
    assert limiter.acquire("a") is None
    assert RateLimiter(0).acquire("a") is None  # 0: no limit
    assert retry_after_header(0.2) == "1"


def _json_type() -> dict[str, str]:
    return {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"model": "zeroclaw", "messages": [{"role": "user", "content": "caf\xe9"}]}',
         "it is not UTF-8 text (byte 0xe9 at position 67); send the JSON encoded as UTF-8"),
        (b'{"model": "zeroclaw", "messages": ' + b"[" * 5000 + b"]" * 5000 + b"}",
         "nested too deeply to parse"),
    ],
    ids=["latin-1", "nested-5000-deep"],
)  # fmt: skip
def test_a_body_json_cannot_read_is_400_invalid_json_with_the_reason(
    gateway: Gateway, body: bytes, reason: str
) -> None:
    with gateway.client() as http:
        responses = [
            http.post(path, content=body, headers=_json_type()) for path in (CHAT, "/webhook")
        ]

    for response in responses:
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_json"
        assert error["message"].startswith("the body is not valid JSON: ")
        assert reason in error["message"]


@pytest.mark.parametrize("flag", ["yes", "on", "1", "true", 1, 0, None])
def test_flags_are_json_booleans_not_look_alikes(gateway: Gateway, flag: object) -> None:
    stream = {"model": "zeroclaw", "messages": [{"role": "user", "content": "hi"}], "stream": flag}
    usage = {**stream, "stream": True, "stream_options": {"include_usage": flag}}
    with gateway.client() as http:
        responses = [http.post(CHAT, json=body) for body in (stream, usage)]

    for response, field in zip(responses, ("stream", "stream_options.include_usage"), strict=True):
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_body"
        assert f"{field}: Input should be a valid boolean" in error["message"]
    assert gateway.state.runtime.memory.blocking(gateway.state.runtime.memory.list_sessions()) == []
