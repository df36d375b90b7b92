"""An MCP server's tool list changing while connected: a real SDK server
(tests/mcp_suite/changing_server.py) adds a tool at run time and announces it, on the
2026-07-28 protocol (a `subscriptions/listen` stream) and on the handshake-era one (a
`notifications/tools/list_changed`); the agent's registry follows without a restart. A
server that does not advertise `tools.listChanged` is not followed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mcp_fixtures import Recorder, wait_until

from zeroclaw.agent import AgentRuntime, DenyApprover
from zeroclaw.config import Config
from zeroclaw.config.models import McpServerConfig
from zeroclaw.messages import ToolCall, ToolResult
from zeroclaw.observability import McpConnection

pytestmark = pytest.mark.slow

CHANGING_SERVER = Path(__file__).resolve().parent / "changing_server.py"


def _server(*flags: str) -> McpServerConfig:
    return McpServerConfig(name="c", command=sys.executable, args=[str(CHANGING_SERVER), *flags])


async def _call(runtime: AgentRuntime, name: str) -> ToolResult:
    call = ToolCall(id="c1", name=name, arguments={})
    return (await runtime.call_tool("s", call, origin="test")).result


@pytest.mark.parametrize(
    ("flags", "protocol"),
    [((), "2026-07-28"), (("--legacy",), "2025-11-25")],
    ids=["listen-2026", "notification-2025"],
)
async def test_an_announced_tool_change_reaches_the_registry(
    config: Config, flags: tuple[str, ...], protocol: str
) -> None:
    config.mcp.servers = [_server(*flags)]
    recorder = Recorder()
    async with AgentRuntime.from_config(
        config, approver=DenyApprover(), extra_observers=[recorder]
    ) as runtime:
        assert runtime.mcp is not None
        assert runtime.mcp.connection("c").protocol_version == protocol
        assert "c__extra" not in runtime.live_tools()

        assert (await _call(runtime, "c__grow")).output == "grow: done"
        wait_until(lambda: "c__extra" in runtime.live_tools())
        assert {"c__shrink", "c__echo"} <= set(runtime.live_tools().names())
        assert (await _call(runtime, "c__extra")).output == "extra was called"
        changed = [e for e in recorder.of(McpConnection) if e.state == "tools_changed"]
        assert changed
        assert changed[-1].tools == 4

        # and a removed tool leaves the registry
        assert (await _call(runtime, "c__shrink")).output == "shrink: done"
        wait_until(lambda: "c__extra" not in runtime.live_tools())
        assert "unknown tool" in ((await _call(runtime, "c__extra")).error or "")
        # one connection all along: the change did not go through a reconnect
        states = [e.state for e in recorder.of(McpConnection)]
        assert states.count("connected") == 1
        assert "lost" not in states


@pytest.mark.parametrize("flags", [("--silent",), ("--silent", "--legacy")])
async def test_a_server_that_does_not_advertise_list_changed_is_not_followed(
    config: Config, flags: tuple[str, ...]
) -> None:
    config.mcp.servers = [_server(*flags)]
    recorder = Recorder()
    async with AgentRuntime.from_config(
        config, approver=DenyApprover(), extra_observers=[recorder]
    ) as runtime:
        assert (await _call(runtime, "c__grow")).output == "grow: done"
        # A marker: a later call answered means any announcement sent with `grow` was read.
        assert (await _call(runtime, "c__echo")).success
        assert "c__extra" not in runtime.live_tools()
        assert all(e.state != "tools_changed" for e in recorder.of(McpConnection))
        assert all(e.state != "lost" for e in recorder.of(McpConnection))
