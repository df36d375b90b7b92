"""The audit log hears the MCP client of a real runtime talking to real SDK servers: each
connection's state (connected, failed, lost, closed) writes its line, and a call of an
MCP tool names its server as owner, the server's configured secrets redacted."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest
from mcp_fixtures import NOT_MCP, stdio_server

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.config.models import McpServerConfig
from zeroclaw.messages import ToolCall

pytestmark = pytest.mark.slow

SERVER_SECRET = "plain-server-secret-value"


def audit_lines(config: Config, kind: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in config.audit_path.read_text().splitlines()]
    return [line for line in lines if line["event"] == kind]


def _states(config: Config) -> set[tuple[str, str]]:
    if not config.audit_path.exists():
        return set()
    return {(line["server"], line["state"]) for line in audit_lines(config, "mcp_connection")}


async def test_connections_and_calls_write_their_lines(config: Config) -> None:
    config.mcp.servers = [
        stdio_server(env={"SERVER_SECRET": SERVER_SECRET}),
        McpServerConfig(
            name="junk", command=sys.executable, args=["-c", NOT_MCP], connect_timeout_s=2
        ),
    ]

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await runtime.agent.turn("s1", "/tool t__secret_echo {}")
        await runtime.call_tool("s1", ToolCall("c2", "t__crash", {}), origin="test")
        # The connection notices the crash on its own thread: wait for its line before the
        # runtime closes it (a close first would be recorded as "closed" only).
        for _ in range(600):
            if ("t", "lost") in _states(config):
                break
            await asyncio.sleep(0.05)

    connections = audit_lines(config, "mcp_connection")
    states = _states(config)
    assert {("t", "connected"), ("t", "lost"), ("junk", "failed"), ("t", "closed")} <= states
    connected = next(line for line in connections if line["state"] == "connected")
    assert (connected["transport"], connected["tools"] > 0) == ("stdio", True)
    failed = next(line for line in connections if line["state"] == "failed")
    assert failed["error"]

    secret, crash = audit_lines(config, "tool_call_finished")
    assert (secret["tool"], secret["owner"], secret["outcome"]) == (
        "t__secret_echo",
        "mcp:t",
        "success",
    )
    # The server echoed the secret from its configured env; the line does not.
    assert SERVER_SECRET not in config.audit_path.read_text()
    assert (crash["owner"], crash["outcome"]) == ("mcp:t", "error")
