"""MCP both ways: MCP servers' tools for the agent (a tool owner beside native and plugin
tools, `clients.py`), and this runtime's tools for any MCP client (`server.py`,
`zeroclaw mcp serve`).

Both sides go through the one tool gate (policy, approvals, before_tool_call, the call,
tool_result_persist, output caps): the client's tools are ordinary registry entries, and
the server calls the gate it is given. The official `mcp` SDK speaks the protocol; it is
the `mcp` extra, and importing this package (or its errors) does not import it, so a
runtime without MCP servers never loads it.
"""

from zeroclaw.mcp.errors import (
    McpCallFailed,
    McpError,
    McpNotInstalled,
    McpServeRefused,
    McpServerUnavailable,
    UnknownMcpServer,
    require_sdk,
)

__all__ = [
    "McpCallFailed",
    "McpError",
    "McpNotInstalled",
    "McpServeRefused",
    "McpServerUnavailable",
    "UnknownMcpServer",
    "require_sdk",
]
