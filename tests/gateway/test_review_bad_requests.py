"""Requests a client gets wrong are the client's error (4xx naming the field and what to
send), never a 502 "agent failed" with a traceback in the gateway's log: text with a lone
surrogate escape (`\\ud800`) in a chat message, a content part or `user`, and unknown
routes or methods."""

from __future__ import annotations

import pytest
from gateway_harness import Gateway

# json.dumps would escape the backslash: these bodies are written by hand.
USER = '{"role": "user", "content": "hi"}'
LONE = "\\ud800"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (f'{{"model": "zeroclaw", "messages": [{{"role": "user", "content": "{LONE}"}}]}}',
         "messages[0].content"),
        (f'{{"model": "zeroclaw", "messages": [{{"role": "user", "content": '
         f'[{{"type": "text", "text": "a{LONE}"}}]}}]}}',
         "messages[0].content.list[ContentPart][0].text"),
        (f'{{"model": "zeroclaw", "messages": [{{"role": "assistant", "content": "{LONE}"}}, '
         f"{USER}]}}",
         "messages[0].content"),
        (f'{{"model": "zeroclaw", "user": "{LONE}", "messages": [{USER}]}}', "user"),
    ],
)  # fmt: skip
def test_lone_surrogate_is_a_422_naming_the_field(gateway: Gateway, body: str, field: str) -> None:
    with gateway.client() as client:
        response = client.post(
            "/v1/chat/completions",
            content=body.encode(),
            headers={"content-type": "application/json", "X-Session-Id": "surrogate"},
        )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_body"
    assert f"{field}: " in error["message"]
    assert "lone surrogate" in error["message"]
    assert "send UTF-8 text" in error["message"]
    # Nothing of the refused request was stored.
    assert (
        gateway.state.runtime.memory.blocking(gateway.state.runtime.memory.get_session("surrogate"))
        is None
    )


def test_lone_surrogate_in_a_stream_request_is_refused_before_the_stream(
    gateway: Gateway,
) -> None:
    message = f'{{"role": "user", "content": "{LONE}"}}'
    body = f'{{"model": "zeroclaw", "stream": true, "messages": [{message}]}}'
    with gateway.client() as client:
        response = client.post(
            "/v1/chat/completions",
            content=body.encode(),
            headers={"content-type": "application/json"},
        )

    assert response.status_code == 422
    assert "lone surrogate" in response.json()["error"]["message"]


def test_a_valid_surrogate_pair_still_works(gateway: Gateway) -> None:
    body = '{"model": "zeroclaw", "messages": [{"role": "user", "content": "\\ud83d\\ude00"}]}'
    with gateway.client() as client:
        response = client.post(
            "/v1/chat/completions",
            content=body.encode(),
            headers={"content-type": "application/json"},
        )

    assert response.status_code == 200, response.text
    assert "\U0001f600" in response.json()["choices"][0]["message"]["content"]


def test_unknown_route_says_what_and_where_to_look(gateway: Gateway) -> None:
    with gateway.client() as client:
        response = client.get("/v1/nosuch")

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"] == "no route GET /v1/nosuch; GET /openapi.json lists the endpoints"


def test_wrong_method_names_the_allowed_ones(gateway: Gateway) -> None:
    with gateway.client() as client:
        response = client.delete("/v1/models")

    assert response.status_code == 405
    message = response.json()["error"]["message"]
    assert message.startswith("method not allowed: DELETE /v1/models (allowed: GET)")
    assert "/openapi.json" in message
