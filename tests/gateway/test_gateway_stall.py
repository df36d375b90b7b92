"""One request never holds the event loop: the storage work a large request brings (a
conversation of thousands of messages to seed, a long history to read) runs off the
loop, so /health and other sessions are answered meanwhile; and a request over
`gateway.max_messages` is refused before anything is stored.

To see the order of events without timing anything, the store's database is wrapped in
a gate that holds the big request's storage work (inside its transaction, blocking the
thread that runs it) until the test has had /health answered. Were that work run on the
gateway's event loop, /health could not be answered while it is held, and the test would
fail (after the client's timeout) instead of hanging."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from gateway_harness import Gateway, running_gateway
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.config import Config

CHAT = "/v1/chat/completions"
Work = Callable[[AsyncConnection], Awaitable[Any]]
BIG = 5000
# Long enough for a slow machine, short enough that a stalled loop fails the test.
GATE_TIMEOUT_S = 20.0


def conversation(count: int) -> list[dict[str, str]]:
    """`count` messages ending with a user message, alternating user and assistant."""
    return [
        {"role": "user" if (count - i) % 2 == 1 else "assistant", "content": f"message {i}"}
        for i in range(count)
    ]


class Gate:
    """Wraps `Database.read` or `write`: the work of the store method named `of` announces
    itself, then blocks the thread it runs on until opened."""

    def __init__(self, of: str) -> None:
        self.of = of
        self.entered = threading.Event()
        self.opened = threading.Event()

    def wrap(self, method: Callable[[Work], Awaitable[Any]]) -> Callable[[Work], Awaitable[Any]]:
        async def gated(work: Work) -> Any:
            if f".{self.of}." not in work.__qualname__:
                return await method(work)

            async def held(conn: AsyncConnection) -> Any:
                self.entered.set()
                assert self.opened.wait(GATE_TIMEOUT_S), "the test never opened the gate"
                return await work(conn)

            return await method(held)

        return gated


@pytest.fixture
def big_gateway(config: Config) -> Iterator[Gateway]:
    config.gateway.max_messages = BIG
    with running_gateway(config) as gateway:
        yield gateway


def health_while_held(
    gateway: Gateway, gate: Gate, big_request: Callable[[httpx.Client], httpx.Response]
) -> tuple[list[str], httpx.Response]:
    """Sends the big request, waits until it is inside the gated storage call, asks for
    /health; returns the order things finished in and the big request's response."""
    order: list[str] = []
    with ThreadPoolExecutor(1) as pool, gateway.client() as http:
        big: Future[httpx.Response] = pool.submit(big_request, http)
        big.add_done_callback(lambda _: order.append("big request"))
        assert gate.entered.wait(GATE_TIMEOUT_S), "the big request never reached the store"
        try:
            with gateway.client() as other:
                health = other.get("/health", timeout=GATE_TIMEOUT_S / 2)
            assert health.status_code == 200
            order.append("health")
        finally:
            gate.opened.set()
        response = big.result(timeout=GATE_TIMEOUT_S)
    return order, response


def test_health_is_answered_while_a_big_conversation_is_being_stored(
    big_gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = big_gateway.state.runtime.memory
    gate = Gate("append_messages")
    monkeypatch.setattr(memory.database, "write", gate.wrap(memory.database.write))
    body = {"model": "zeroclaw", "messages": conversation(BIG), "session_id": "big"}

    order, response = health_while_held(big_gateway, gate, lambda http: http.post(CHAT, json=body))

    assert order == ["health", "big request"]
    assert response.status_code == 200, response.text
    info = memory.blocking(memory.get_session("big"))
    assert info is not None
    assert info.message_count == BIG + 1  # the seed, then the reply


def test_health_is_answered_while_a_long_history_is_read(
    big_gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = big_gateway.state.runtime.memory
    body = {"model": "zeroclaw", "messages": conversation(BIG), "session_id": "long"}
    with big_gateway.client() as http:
        assert http.post(CHAT, json=body).status_code == 200
    gate = Gate("session_messages")
    monkeypatch.setattr(memory.database, "read", gate.wrap(memory.database.read))

    order, response = health_while_held(
        big_gateway, gate, lambda http: http.get("/api/sessions/long")
    )

    assert order == ["health", "big request"]
    assert response.status_code == 200
    assert len(response.json()["messages"]) == BIG + 1


def test_a_request_over_the_message_cap_is_400_naming_the_cap_and_the_key(
    gateway: Gateway,
) -> None:
    cap = gateway.state.settings.max_messages
    body = {"model": "zeroclaw", "messages": conversation(cap + 1), "session_id": "over"}
    with gateway.client() as http:
        over = http.post(CHAT, json=body)
        at_cap = http.post(CHAT, json={**body, "messages": conversation(cap), "session_id": "at"})

    assert over.status_code == 400
    error = over.json()["error"]
    assert error["code"] == "too_many_messages"
    assert f"messages has {cap + 1} entries, over the cap of {cap} per request" in error["message"]
    assert "(gateway.max_messages)" in error["message"]
    memory = gateway.state.runtime.memory
    assert memory.blocking(memory.get_session("over")) is None
    assert at_cap.status_code == 200, at_cap.text
