"""`McpTool`: one tool of an MCP server, as a `Tool` the registry can hold.

It is a thin forwarder: the registry has already validated the arguments against the
server's own JSON schema, and the gate has applied the policy, approvals and hooks, as
for any tool. The call runs on the MCP loop under the server's call_timeout_s, with a
little slack on this side, so even a wedged MCP loop cannot hold the turn.

Whether a call changes something: MCP tools say so only by a hint (`readOnlyHint`), so a
tool counts as changing things unless it carries that hint and the server's
`read_only_hint` setting trusts it.
"""

from __future__ import annotations

from typing import Any

from mcp.types import Tool as McpToolSpec

from zeroclaw.mcp.connection import McpConnection
from zeroclaw.mcp.errors import McpCallFailed
from zeroclaw.mcp.loop import McpLoop
from zeroclaw.mcp.names import qualified_name
from zeroclaw.mcp.results import tool_result
from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.tools.base import ToolContext

# Beyond the server's own call timeout, for the hop to the MCP loop and back.
_SLACK_S = 5.0


class McpTool:
    def __init__(self, connection: McpConnection, loop: McpLoop, remote: McpToolSpec) -> None:
        self.connection = connection
        self.remote_name = remote.name
        self._loop = loop
        self.spec = ToolSpec(
            name=qualified_name(connection.name, remote.name),
            description=_description(connection.name, remote),
            parameters=_parameters(remote.input_schema),
        )
        hints = remote.annotations
        read_only = hints is not None and hints.read_only_hint is True
        self.mutating = not (read_only and connection.config.read_only_hint)

    @property
    def label(self) -> str:
        return f"mcp:{self.connection.name}"

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        timeout = self.connection.config.call_timeout_s + _SLACK_S
        try:
            result = await self._loop.run(
                self.connection.call(self.remote_name, arguments), timeout
            )
        except TimeoutError:
            raise McpCallFailed(
                f"MCP server {self.connection.name!r} did not answer within {timeout:g} s"
            ) from None
        return tool_result(result)


def _description(server: str, remote: McpToolSpec) -> str:
    text = (remote.description or remote.title or "").strip()
    return f"{text} (MCP server {server})" if text else f"Tool {remote.name} of MCP server {server}"


def _parameters(schema: dict[str, Any] | None) -> dict[str, Any]:
    if not schema:
        return {"type": "object", "properties": {}}
    return dict(schema)
