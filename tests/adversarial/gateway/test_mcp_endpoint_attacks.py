"""`/mcp` on the gateway attacked as a hostile MCP client: the official SDK's client (and
httpx for what the SDK would not send) against a real gateway under uvicorn on 127.0.0.1.

What must hold: a tool that mcp.serve.tools offers but the policy forbids is refused by the
agent's gate and never runs; a path out of the workspace is refused; an MCP session id is
no credential (without the token it is a 401); deep, huge, non-JSON and wrong-shaped
bodies are 4xx answers, never a 500; a burst of concurrent calls is answered whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from gateway_harness import TOKEN, Gateway, make_config, running_gateway

httpx2 = pytest.importorskip("httpx2")
pytest.importorskip("mcp")

from mcp import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.types import TextContent  # noqa: E402

pytestmark = pytest.mark.slow

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    config = make_config(tmp_path_factory.mktemp("mcp-attacks"))
    config.gateway.mcp.enabled = True
    config.gateway.rate_limit_per_minute = 0
    config.gateway.max_body_bytes = 1_000_000
    # everything is offered; the policy allows reading only
    config.mcp.serve.tools = ["*"]
    config.tools.allowed = ["file_read", "file_write", "shell"]
    config.tools.autonomy = "read_only"
    (config.workspace / "note.txt").write_text("inside the workspace")
    with running_gateway(config) as running:
        yield running


def _text(result: Any) -> str:
    return "".join(part.text for part in result.content if isinstance(part, TextContent))


async def _with_client(gateway: Gateway, body: Any) -> Any:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    async with (
        http,
        Client(streamable_http_client(f"{gateway.base_url}/mcp", http_client=http)) as client,
    ):
        return await body(client)


async def test_the_gate_refuses_what_the_policy_forbids(gateway: Gateway) -> None:
    workspace = gateway.state.runtime.config.workspace

    async def attack(client: Any) -> list[Any]:
        return [
            await client.call_tool("shell", {"command": "touch pwned"}),
            await client.call_tool("file_write", {"path": "pwned", "content": "x"}),
            await client.call_tool("file_read", {"path": "../../../../etc/passwd"}),
            await client.call_tool("file_read", {"path": "/etc/passwd"}),
            await client.call_tool("memory_store", {"key": "k", "content": "v"}),
            await client.call_tool("file_read", {"path": "note.txt"}),
        ]

    *refused, allowed = await _with_client(gateway, attack)
    for result in refused:
        assert result.is_error, _text(result)
        assert "root:" not in _text(result)
    assert not (workspace / "pwned").exists()
    assert not allowed.is_error
    assert "inside the workspace" in _text(allowed)


async def test_an_mcp_session_id_is_no_credential(gateway: Gateway) -> None:
    url = f"{gateway.base_url}/mcp"
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "attacker", "version": "1"},
        },
    }
    async with httpx.AsyncClient(timeout=30) as http:
        opened = await http.post(
            url, json=initialize, headers={**ACCEPT, "Authorization": f"Bearer {TOKEN}"}
        )
        assert opened.status_code == 200, opened.text
        session = opened.headers["mcp-session-id"]
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "file_read", "arguments": {"path": "note.txt"}},
        }
        for auth in ({}, {"Authorization": "Bearer zc_stolen-session-no-token"}):
            answer = await http.post(
                url, json=call, headers={**ACCEPT, "mcp-session-id": session, **auth}
            )
            assert answer.status_code == 401
            assert "inside the workspace" not in answer.text
            deleted = await http.delete(url, headers={"mcp-session-id": session, **auth})
            assert deleted.status_code == 401


@pytest.mark.parametrize(
    ("body", "statuses"),
    [
        ("[" * 200_000 + "]" * 200_000, {400}),
        ("x" * 2_000_000, {413}),
        (b"\xff\xfe\x00garbage", {400}),
        ("{}", {400}),
        (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": []}), {400}),
        (json.dumps([{"jsonrpc": "2.0", "id": i, "method": "ping"} for i in range(5000)]), {400}),
    ],
    ids=["deep", "2MB", "not-utf8", "empty-object", "params-list", "batch-5000"],
)
def test_hostile_bodies_are_4xx(gateway: Gateway, body: str | bytes, statuses: set[int]) -> None:
    with httpx.Client(timeout=60) as http:
        answer = http.post(
            f"{gateway.base_url}/mcp",
            content=body,
            headers={**ACCEPT, "Authorization": f"Bearer {TOKEN}"},
        )
    assert answer.status_code in statuses, answer.text[:300]
    assert "Traceback" not in answer.text
    with httpx.Client(timeout=30) as http:
        assert http.get(f"{gateway.base_url}/health").status_code == 200


async def test_a_burst_of_concurrent_calls_is_answered_whole(gateway: Gateway) -> None:
    async def burst(client: Any) -> list[Any]:
        results: list[Any] = [None] * 40

        async def one(index: int) -> None:
            results[index] = await client.call_tool("file_read", {"path": "note.txt"})

        async with anyio.create_task_group() as group:
            for index in range(40):
                group.start_soon(one, index)
        return results

    results = await _with_client(gateway, burst)
    assert all(not r.is_error and "inside the workspace" in _text(r) for r in results)
