"""One session-id grammar on every route that takes one: an id that could not be read
back (`team/alpha`, `..`) is refused with a 400 before anything is stored, wherever it
comes in; every id that is accepted can be read back with GET /api/sessions/{id}."""

from __future__ import annotations

import pytest
from gateway_harness import Gateway

CHAT = "/v1/chat/completions"
HI = [{"role": "user", "content": "hi"}]
REFUSED = ["team/alpha", "..", ".", "a b", "x" * 201, "", "é", "a%2Fb", "-lead"]


def assert_invalid_session_id(response_json: dict[str, dict[str, str]], where: str) -> None:
    error = response_json["error"]
    assert error["code"] == "invalid_session_id"
    assert error["message"].count("\n") == 0
    assert f"{where}: " in error["message"]
    assert "is not a session id: use 1 to 200 characters of letters, digits" in error["message"]


@pytest.mark.parametrize("session_id", REFUSED)
def test_an_id_outside_the_grammar_is_400_in_every_body_field(
    gateway: Gateway, session_id: str
) -> None:
    with gateway.client() as http:
        webhook = http.post("/webhook", json={"message": "hi", "session_id": session_id})
        chat = http.post(CHAT, json={"model": "zeroclaw", "messages": HI, "session_id": session_id})

    for response in (webhook, chat):
        assert response.status_code == 400, response.text
        assert_invalid_session_id(response.json(), "session_id")
    assert gateway.state.runtime.memory.blocking(gateway.state.runtime.memory.list_sessions()) == []


@pytest.mark.parametrize("session_id", ["team/alpha", "..", "a b", "x" * 201])
def test_header_and_user_follow_the_same_grammar(gateway: Gateway, session_id: str) -> None:
    with gateway.client() as http:
        header = http.post(
            CHAT, json={"model": "zeroclaw", "messages": HI}, headers={"X-Session-Id": session_id}
        )
        user = http.post(CHAT, json={"model": "zeroclaw", "messages": HI, "user": session_id})

    assert header.status_code == user.status_code == 400
    assert_invalid_session_id(header.json(), "X-Session-Id (header)")
    assert_invalid_session_id(user.json(), "user")
    assert "send a valid one of those" in user.json()["error"]["message"]
    assert gateway.state.runtime.memory.blocking(gateway.state.runtime.memory.list_sessions()) == []


def test_a_user_outside_the_grammar_is_fine_when_the_session_is_named(gateway: Gateway) -> None:
    body = {"model": "zeroclaw", "messages": HI, "user": "team/alpha", "session_id": "named"}
    with gateway.client() as http:
        response = http.post(CHAT, json=body)

    assert response.status_code == 200, response.text
    assert response.headers["X-Session-Id"] == "named"


@pytest.mark.parametrize("session_id", ["team%2Falpha", "..%2F", "a%20b"])
def test_the_history_route_refuses_the_same_ids(gateway: Gateway, session_id: str) -> None:
    with gateway.client() as http:
        response = http.get(f"/api/sessions/{session_id}")

    assert response.status_code == 400, response.text
    assert_invalid_session_id(response.json(), "session_id (path)")


@pytest.mark.parametrize(
    "session_id",
    ["alice@example.com", "team:alpha", "ops-chat_2", "v1.2", "a..b", "9" * 200],
)
def test_every_accepted_id_reads_back(gateway: Gateway, session_id: str) -> None:
    with gateway.client() as http:
        written = http.post("/webhook", json={"message": "hello", "session_id": session_id})
        read = http.get(f"/api/sessions/{session_id}")

    assert written.status_code == 200, written.text
    assert read.status_code == 200, read.text
    assert read.json()["session_id"] == session_id
    assert read.json()["messages"][0]["content"] == "hello"
