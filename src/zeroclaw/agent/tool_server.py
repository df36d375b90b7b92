"""The runtime's tools as an MCP `ToolServer`: which tools an MCP client sees, and how its
call is run. One policy for every place that serves them (`zeroclaw mcp serve`, and the
gateway's `/mcp`), so the two can never offer different tools.

Offered: the tools a turn would see (native, the live plugin snapshot's, connected MCP
servers'), that match `mcp.serve.tools` and are not refused outright by `tools.allowed`.
A call takes the agent's gate (`AgentRuntime.call_tool`, origin "mcp"): policy, approvals
(the runtime's approver; nobody can answer one here), hooks, output caps.

Importing this module imports the MCP SDK: callers import it only when serving MCP.
"""

from __future__ import annotations

import fnmatch
import uuid
from typing import Any

from zeroclaw import __version__
from zeroclaw.agent.runtime import AgentRuntime
from zeroclaw.config import Config
from zeroclaw.mcp.server import ToolServer
from zeroclaw.messages import ToolCall, ToolResult, ToolSpec


def runtime_tool_server(config: Config, runtime: AgentRuntime) -> ToolServer:
    """A `ToolServer` offering `runtime`'s live tools under `config`'s MCP serving policy."""
    offered = config.mcp.serve.tools
    allowed = config.tools.allowed

    def listed() -> list[ToolSpec]:
        return [
            spec
            for spec in runtime.live_tools().specs()
            if is_offered(spec.name, offered) and ("*" in allowed or spec.name in allowed)
        ]

    async def call(name: str, arguments: dict[str, Any]) -> ToolResult:
        if not is_offered(name, offered):
            return ToolResult.fail(f"tool {name!r} is not offered by this server (mcp.serve.tools)")
        call = ToolCall(id=f"mcp-{uuid.uuid4().hex[:12]}", name=name, arguments=arguments)
        return (await runtime.call_tool("mcp", call, origin="mcp")).result

    return ToolServer(listed, call, version=__version__)


def is_offered(name: str, patterns: list[str]) -> bool:
    """Whether `name` matches one of mcp.serve.tools' shell-style patterns."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
