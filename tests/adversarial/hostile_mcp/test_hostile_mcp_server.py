"""A hostile MCP server (hostile_server.py, the official SDK over stdio) connected to a real
`AgentRuntime`, its tools called through the agent's gate as the model would call them.

What must hold whatever it lists or sends: its tools are named `h__...` (never a native
tool's name, never a path), two of its names that clean up alike leave one out; a
description or schema over a tool spec's caps leaves that tool out (named in `skipped`)
instead of riding along with every request; its schema's regular expressions never run
on the host (a backtracking pattern and crafted arguments would stall every session: the
arguments go to the server, which checks its own input); a `$ref` it points elsewhere is
a failed result, never fetched, never an exception; a burst of tool-change announcements
is coalesced into a few re-lists, and the agent keeps answering.
"""

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
from zeroclaw.tools.base import MAX_TOOL_DESCRIPTION_BYTES, MAX_TOOL_SCHEMA_BYTES

pytest.importorskip("mcp")

pytestmark = pytest.mark.slow

SERVER = Path(__file__).resolve().parent / "hostile_server.py"
FLOOD = 500  # hostile_server.FLOOD


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.workspace.mkdir(parents=True)
    config.mcp.servers = [McpServerConfig(name="h", command=sys.executable, args=[str(SERVER)])]
    return config


async def _call(runtime: AgentRuntime, name: str, **arguments: object) -> ToolResult:
    call = ToolCall(id="c1", name=name, arguments=dict(arguments))
    return (await runtime.call_tool("s", call, origin="test")).result


async def test_hostile_names_stay_under_the_servers_prefix(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        tools = runtime.live_tools()
        mcp_names = {name for name in tools.names() if tools.owner_of(name) == "mcp"}
        assert all(name.startswith("h__") for name in mcp_names)
        assert all(len(name) <= 64 for name in mcp_names)
        # a native name is served by the native tool; the server's is h__file_read
        assert tools.owner_of("file_read") == "native"
        assert "h__file_read" in mcp_names
        # no path in a name: `../../etc/passwd` is h________etc_passwd
        assert "h________etc_passwd" in mcp_names
        assert not any("/" in name or "." in name for name in mcp_names)
        # a.b and a_b both clean up to h__a_b: the second one is left out, and named
        assert "h__a_b" in mcp_names
        skipped = {s.tool: s.reason for s in runtime.mcp.skipped} if runtime.mcp else {}
        assert "taken by another tool" in skipped["a_b"]
        # the 300-character name is cut to 64, and still calls the server's own tool
        long = "h__" + "n" * 61
        assert long in mcp_names
        result = await _call(runtime, long, text="hi")
        assert result.output == "n" * 300 + ' got {"text": "hi"}'
        # the path-named tool reaches only the server: what it was called is echoed back
        result = await _call(runtime, "h________etc_passwd", text="x")
        assert result.output.startswith("../../etc/passwd got")


async def test_tools_over_the_spec_caps_are_left_out(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        tools = runtime.live_tools()
        assert "h__bigdesc" not in tools
        assert "h__bigschema" not in tools
        assert runtime.mcp is not None
        skipped = {s.tool: s.reason for s in runtime.mcp.skipped}
        assert f"over the cap of {MAX_TOOL_DESCRIPTION_BYTES:,} bytes" in skipped["bigdesc"]
        assert f"over the cap of {MAX_TOOL_SCHEMA_BYTES:,} bytes" in skipped["bigschema"]
        # what the model is told stays small: no spec carries the megabyte
        told = sum(len(spec.description) for spec in tools.specs())
        assert told < 200_000
        # the neighbour is untouched
        assert (await _call(runtime, "h__echo", text="ok")).output == 'echo got {"text": "ok"}'


async def test_the_servers_regexes_never_run_on_the_host(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        # ^(a+)+$ against 64 a's and a '!': hours of backtracking in the event loop if the
        # host checked it. The arguments go to the server, which checks its own input.
        evil = "a" * 64 + "!"
        result = await _call(runtime, "h__redos", text=evil, tags={"x" * 64 + "!": "v"})
        assert result.success, result.error
        assert evil in result.output
        # a plain pattern is not checked on the host either (the server's job) ...
        result = await _call(runtime, "h__redos", digits="not digits")
        assert result.success, result.error
        # ... while types still are
        result = await _call(runtime, "h__redos", digits=42)
        assert not result.success
        assert "is not of type 'string'" in (result.error or "")


async def test_a_ref_elsewhere_is_a_failed_result_and_never_fetched(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        result = await _call(runtime, "h__far_ref", x=1)
        assert not result.success
        assert "$ref that cannot be resolved" in (result.error or "")
        assert "http://127.0.0.1:9/schema.json" in (result.error or "")
        assert (await _call(runtime, "h__echo", text="still")).success


async def test_a_flood_of_tool_change_announcements_is_coalesced(config: Config) -> None:
    recorder = Recorder()
    async with AgentRuntime.from_config(
        config, approver=DenyApprover(), extra_observers=[recorder]
    ) as runtime:
        assert (await _call(runtime, "h__flood")).success
        # a later call answered: every announcement sent with `flood` was read
        assert (await _call(runtime, "h__echo", text="after")).success
        wait_until(lambda: any(e.state == "tools_changed" for e in recorder.of(McpConnection)))
        assert (await _call(runtime, "h__echo", text="again")).success
        relists = [e for e in recorder.of(McpConnection) if e.state == "tools_changed"]
        # announcements that arrive while a re-list runs are one re-list
        assert 1 <= len(relists) < FLOOD
        states = [e.state for e in recorder.of(McpConnection)]
        assert states.count("connected") == 1
        assert "lost" not in states
