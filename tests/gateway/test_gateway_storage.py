"""A memory database that fails under the gateway (here: a real SQLite file with a page
in its middle overwritten) answers every route that touches it with the documented
error body, 503 `storage_unavailable` with the store's hint, instead of a plain-text 500;
the log gets one warning line, no traceback; and the gateway goes on serving what does
not need the damaged page."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import openai
import pytest
from gateway_harness import Gateway, running_gateway

from zeroclaw.config import Config

CHAT = "/v1/chat/completions"


@pytest.fixture
def damaged(
    config: Config, damaged_database: Callable[[Path], str]
) -> Iterator[tuple[Gateway, str]]:
    config.memory_path.parent.mkdir(parents=True, exist_ok=True)
    session = damaged_database(config.memory_path)
    with running_gateway(config) as gateway:
        yield gateway, session


def assert_storage_unavailable(status: int, body: dict[str, object]) -> None:
    assert status == 503, body
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "storage_unavailable"
    assert error["type"] == "service_unavailable"
    assert "the file is damaged (database disk image is malformed)" in error["message"]
    assert "zeroclaw doctor" in error["message"]


def test_every_route_on_the_damaged_session_answers_503_storage_unavailable(
    damaged: tuple[Gateway, str], caplog: pytest.LogCaptureFixture
) -> None:
    gateway, session = damaged
    caplog.set_level(logging.DEBUG)
    with gateway.client() as http:
        history = http.get(f"/api/sessions/{session}")
        webhook = http.post("/webhook", json={"message": "hi", "session_id": session})
        chat = http.post(
            CHAT,
            json={"model": "zeroclaw", "messages": [{"role": "user", "content": "hi"}]},
            headers={"X-Session-Id": session},
        )

    for response in (history, webhook, chat):
        assert response.headers["content-type"] == "application/json"
        assert_storage_unavailable(response.status_code, response.json())
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert failures == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"GET /api/sessions/{session} -> 503" in line for line in warnings)


def test_the_openai_sdk_and_a_stream_get_the_storage_error(damaged: tuple[Gateway, str]) -> None:
    gateway, session = damaged
    client = gateway.openai()
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": "hi"}
    ]

    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(
            model="zeroclaw", messages=messages, extra_headers={"X-Session-Id": session}
        )
    assert caught.value.status_code == 503
    assert "storage_unavailable" in str(caught.value.body)

    with gateway.client() as http:
        stream = http.post(
            CHAT,
            json={"model": "zeroclaw", "stream": True, "messages": messages},
            headers={"X-Session-Id": session},
        )
    events = [line.removeprefix("data: ") for line in stream.text.splitlines() if line]
    errors = [json.loads(event) for event in events if '"error"' in event]
    assert len(errors) == 1
    assert_storage_unavailable(503, errors[0])


def test_the_gateway_goes_on_serving_what_does_not_reach_the_damage(
    damaged: tuple[Gateway, str],
) -> None:
    gateway, session = damaged
    with gateway.client() as http:
        assert http.get(f"/api/sessions/{session}").status_code == 503
        health = http.get("/health")
        fresh = http.post("/webhook", json={"message": "hello", "session_id": "fresh"})

    assert health.status_code == 200
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["session_id"] == "fresh"


def test_a_bug_answers_in_the_error_shape_not_plain_text(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> list[str]:
        raise RuntimeError("internal detail xyz")

    monkeypatch.setattr(gateway.state.models, "ids", broken)
    with gateway.client() as http:
        response = http.get("/v1/models")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "internal detail xyz" not in response.text
