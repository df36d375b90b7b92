"""`/mcp` on the gateway, driven by the official SDK's client over streamable HTTP against
a real uvicorn on 127.0.0.1: off by default (404); on, it needs the gateway's bearer
token (401 and an audited `auth_failure` without it), and with it lists the tools that
`mcp serve` would offer (mcp.serve.tools, tools.allowed) and calls them through the
agent's gate, on the 2026-07-28 protocol and on the handshake-era one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from gateway_harness import TOKEN, Gateway, running_gateway

from zeroclaw.config import Config
from zeroclaw.config.models import McpServerConfig

httpx2 = pytest.importorskip("httpx2")
mcp = pytest.importorskip("mcp")

from mcp import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.types import TextContent  # noqa: E402

pytestmark = pytest.mark.slow

CHANGING_SERVER = Path(__file__).resolve().parents[1] / "mcp_suite" / "changing_server.py"


def _audit(config: Config, kind: str) -> list[dict[str, Any]]:
    text = (config.data_dir / "audit" / "audit.jsonl").read_text()
    return [line for line in map(json.loads, text.splitlines()) if line["event"] == kind]


def _text(result: Any) -> str:
    return "".join(part.text for part in result.content if isinstance(part, TextContent))


def test_mcp_is_not_mounted_unless_enabled(gateway: Gateway) -> None:
    with gateway.client() as http:
        response = http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.status_code == 404


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_mcp_on_the_gateway_needs_its_token_and_serves_the_policy(
    config: Config, mode: str
) -> None:
    config.gateway.mcp.enabled = True
    config.mcp.serve.tools = ["file_*", "memory_*"]
    config.tools.allowed = ["file_read", "file_write", "shell"]
    (config.workspace / "note.txt").write_text("hello from the workspace")
    with running_gateway(config) as gateway:
        url = f"{gateway.base_url}/mcp"
        async with httpx.AsyncClient() as plain:
            refused = await plain.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            wrong = await plain.post(
                url,
                json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                headers={"Authorization": "Bearer not-the-token"},
            )
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_api_key"
        assert wrong.status_code == 401

        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            assert client.server_info is None or client.server_info.name == "zeroclaw"
            # both eras are told that the tool list may change (and are told when it does)
            tools = client.server_capabilities.tools
            assert tools is not None
            assert tools.list_changed
            names = {tool.name for tool in (await client.list_tools()).tools}
            # mcp.serve.tools picks file_* and memory_*; tools.allowed then drops memory_*
            assert names == {"file_read", "file_write"}
            read = await client.call_tool("file_read", {"path": "note.txt"})
            assert not read.is_error
            assert "hello from the workspace" in _text(read)
            # offered nowhere: refused by the same gate as `mcp serve`'s
            shell = await client.call_tool("shell", {"command": "ls"})
            assert shell.is_error
            assert "mcp.serve.tools" in _text(shell)

    failures = _audit(config, "auth_failure")
    assert [(f["surface"], f["path"], f["reason"]) for f in failures] == [
        ("gateway", "/mcp", "no bearer token"),
        ("gateway", "/mcp", "invalid bearer token"),
    ]
    calls = {c["tool"]: (c["owner"], c["outcome"]) for c in _audit(config, "tool_call_finished")}
    assert calls["file_read"] == ("native", "success")


async def test_a_listening_client_of_the_gateway_hears_of_changed_tools(config: Config) -> None:
    """The chain end to end: an MCP server of the agent adds a tool and announces it; the
    agent's registry follows; the gateway tells its own MCP clients."""
    server = McpServerConfig(name="c", command=sys.executable, args=[str(CHANGING_SERVER)])
    config.mcp.servers = [server]
    config.gateway.mcp.enabled = True
    with running_gateway(config) as gateway:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        url = f"{gateway.base_url}/mcp"
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            before = {tool.name for tool in (await client.list_tools()).tools}
            assert "c__grow" in before
            assert "c__extra" not in before
            # (the limit only stops a broken test from hanging)
            with anyio.fail_after(60):
                await _hear_of_extra(client)


async def _hear_of_extra(client: Client) -> None:
    """Listen, have the agent's MCP server add a tool, and wait to be told of it."""
    async with client.listen(tools_list_changed=True) as subscription:
        grown = await client.call_tool("c__grow", {})
        assert _text(grown) == "grow: done"
        async for _event in subscription:
            names = {tool.name for tool in (await client.list_tools()).tools}
            if "c__extra" in names:
                return
    raise AssertionError("the listen stream ended before the new tool was announced")
