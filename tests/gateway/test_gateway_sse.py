"""The gateway's streams on the wire (sse-starlette), for both streaming endpoints: a
client that goes away cancels the turn it was waiting for, and a quiet turn (a tool
running) sends keep-alive pings."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from gateway_harness import Gateway, tool_command, wait_until

from zeroclaw.agent import CANCELLED_TURN
from zeroclaw.gateway import sse
from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.tools.base import ToolContext


@dataclass
class WaitingTool:
    """A tool that waits until it is cancelled, and says when it started and when the
    cancellation reached it."""

    spec: ToolSpec = field(
        default_factory=lambda: ToolSpec("wait", "Wait a while.", {"type": "object"})
    )
    mutating: bool = False
    started: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        self.started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return ToolResult.ok("waited")


ENDPOINTS = {
    "chat": (
        "/v1/chat/completions",
        lambda text: {"messages": [{"role": "user", "content": text}]},
    ),
    "responses": ("/v1/responses", lambda text: {"input": text}),
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_a_client_that_goes_away_cancels_the_turn(gateway: Gateway, endpoint: str) -> None:
    tool = WaitingTool()
    gateway.state.runtime.tools.register(tool)
    path, body = ENDPOINTS[endpoint]
    payload = {"model": "zeroclaw", "stream": True, **body(tool_command("wait"))}

    with gateway.client() as http, http.stream("POST", path, json=payload) as response:
        assert response.status_code == 200
        wait_until(tool.started.is_set)
        assert not tool.cancelled.is_set()
    # The connection is closed: the turn (and the tool it was running) is cancelled.
    wait_until(tool.cancelled.is_set)
    # ... and its session says so: the question, the call cut off, CANCELLED_TURN.
    memory = gateway.state.runtime.memory

    def stored_messages() -> list[tuple[str, str]]:
        (session,) = memory.blocking(memory.list_sessions())
        stored = memory.blocking(memory.session_messages(session.id))
        return [(s.message.role, s.message.content) for s in stored]

    wait_until(lambda: stored_messages()[-1] == ("assistant", CANCELLED_TURN.content))
    assert [role for role, _ in stored_messages()] == ["user", "assistant", "assistant"]


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_a_quiet_turn_sends_keep_alive_pings(
    gateway: Gateway, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "PING_S", 0.1)
    tool = WaitingTool()
    gateway.state.runtime.tools.register(tool)
    path, body = ENDPOINTS[endpoint]
    payload = {"model": "zeroclaw", "stream": True, **body(tool_command("wait"))}

    # Pings are counted once the turn is quiet (the tool running), not from the stream's
    # start: on a loaded machine the turn may reach the tool only after a few pings.
    pings = 0
    with gateway.client() as http, http.stream("POST", path, json=payload) as response:
        for line in response.iter_lines():
            if line.startswith(": ping") and tool.started.is_set():
                pings += 1
            if pings == 3:
                break
    assert pings == 3
