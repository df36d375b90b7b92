"""A real MCP server (the official SDK's low-level `Server`) whose tool list changes at run time.

    python changing_server.py [--legacy] [--silent]

It starts with `echo` and `grow`; calling `grow` adds `extra` and announces the change;
calling `shrink` (offered once `extra` exists) removes `extra` and announces that. The
announcement goes both ways the SDK delivers it: a `ToolsListChanged` event on the
2026-07-28 `subscriptions/listen` streams, and a `notifications/tools/list_changed` to
the handshake-era session that made the call.

--legacy     serve the handshake-era loop only: a client in "auto" mode has its discover
             probe refused and falls back to the initialize handshake (2025-era protocol)
--silent     advertise no `tools.listChanged` (no listen handler, no notification option),
             but still send the notification: a client must then ignore it
"""

from __future__ import annotations

import sys
from typing import Any

import anyio
from mcp import types
from mcp.server import Server
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.runner import serve_loop
from mcp.server.stdio import stdio_server
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

LEGACY = "--legacy" in sys.argv
SILENT = "--silent" in sys.argv

_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
_ECHO = types.Tool(
    name="echo",
    description="Echo the text back.",
    input_schema={"type": "object", "properties": {"text": {"type": "string"}}},
)
_GROW = types.Tool(name="grow", description="Add the tool `extra`.", input_schema=_SCHEMA)
_SHRINK = types.Tool(name="shrink", description="Remove the tool `extra`.", input_schema=_SCHEMA)
_EXTRA = types.Tool(name="extra", description="A tool added at run time.", input_schema=_SCHEMA)

state = {"grown": False}
bus = InMemorySubscriptionBus()


async def list_tools(
    ctx: Any, params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    tools = [_ECHO, _GROW, _SHRINK, _EXTRA] if state["grown"] else [_ECHO, _GROW]
    return types.ListToolsResult(tools=tools)


async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    arguments = params.arguments or {}
    if params.name == "echo":
        text = f"echo: {arguments.get('text', '')}"
    elif params.name == "extra":
        text = "extra was called"
    elif params.name in ("grow", "shrink"):
        state["grown"] = params.name == "grow"
        await bus.publish(ToolsListChanged())
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            await ctx.session.send_tool_list_changed()
        text = f"{params.name}: done"
    else:
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=f"no tool {params.name}")], is_error=True
        )
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)])


server: Server[Any] = Server(
    "zeroclaw-changing-server",
    on_list_tools=list_tools,
    on_call_tool=call_tool,
    on_subscriptions_listen=None if SILENT else ListenHandler(bus),
)


async def main() -> None:
    options = server.create_initialization_options(NotificationOptions(tools_changed=not SILENT))
    async with stdio_server() as (read_stream, write_stream):
        if not LEGACY:
            await server.run(read_stream, write_stream, options)
            return
        # The handshake-only loop: the client's discover probe is refused, it falls back.
        async with server.lifespan(server) as state:
            await serve_loop(
                server, read_stream, write_stream, lifespan_state=state, init_options=options
            )


if __name__ == "__main__":
    anyio.run(main)
