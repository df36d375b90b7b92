"""`ToolServer`: this runtime's tools as an MCP server, for any MCP client.

It knows tools only through two callables it is given: which tools are offered now, and
how to run one call. The runtime gives it its live registry (native tools, WASM plugin
tools, MCP servers' tools) filtered by mcp.serve.tools, and its gate, so a call from an
MCP client takes the very path of an agent's call: policy, approvals (which fail at once:
nobody can answer here), before_tool_call, the call, tool_result_persist, output caps.
A refusal comes back as an error result (`isError`) that says why, as the model would
read it.

Every client is told that the tool list may change (`tools.listChanged`), over every
transport. `tools_changed()` tells connected clients to list the tools again: on the 2026 protocol
through their `subscriptions/listen` streams (the SDK's subscription bus), on the
handshake-era protocol by a `notifications/tools/list_changed` to each session that has
listed tools. The runtime calls it after a plugin reload that swapped the snapshot, and
when an MCP server's tools change.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from mcp import types
from mcp.server import Server
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.models import InitializationOptions
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from zeroclaw.messages import ToolResult, ToolSpec

log = logging.getLogger(__name__)

ToolLister = Callable[[], list[ToolSpec]]
ToolCaller = Callable[[str, dict[str, Any]], Awaitable[ToolResult]]

SERVER_NAME = "zeroclaw"


class ToolServer:
    def __init__(self, list_tools: ToolLister, call_tool: ToolCaller, *, version: str) -> None:
        self._list_tools = list_tools
        self._call_tool = call_tool
        self._bus = InMemorySubscriptionBus()
        self._listen = ListenHandler(self._bus)
        # Handshake-era sessions that listed tools: told by a notification when they change.
        self._sessions: weakref.WeakSet[ServerSession] = weakref.WeakSet()
        self.server: Server[Any] = _AnnouncingServer(
            SERVER_NAME,
            version=version,
            instructions="The tools of a ZeroClaw agent runtime; every call goes through its "
            "security policy and hooks.",
            on_list_tools=self._on_list_tools,
            on_call_tool=self._on_call_tool,
            on_subscriptions_listen=self._listen,
        )

    def initialization_options(self) -> InitializationOptions:
        return self.server.create_initialization_options()

    async def _on_list_tools(
        self, ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            self._sessions.add(ctx.session)
        return types.ListToolsResult(tools=[_mcp_tool(spec) for spec in self._list_tools()])

    async def _on_call_tool(
        self, ctx: Any, params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        result = await self._call_tool(params.name, dict(params.arguments or {}))
        text = result.output if result.success else (result.error or "the tool failed")
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], is_error=not result.success
        )

    async def tools_changed(self) -> None:
        """Tell every connected client that the tool list changed."""
        await self._bus.publish(ToolsListChanged())
        for session in list(self._sessions):
            try:
                await session.send_tool_list_changed()
            except Exception as exc:  # a client gone away: it will list again on reconnect
                log.debug("could not notify an MCP session of changed tools: %s", exc)
                self._sessions.discard(session)

    def close(self) -> None:
        """End the open listen streams gracefully."""
        self._listen.close()


class _AnnouncingServer(Server[Any]):
    """The SDK's server, advertising `tools.listChanged` to handshake-era clients by default.

    The streamable HTTP session manager initializes sessions with the server's default
    options (it takes none), which advertise no list changes: its handshake-era clients
    would be told that the tools never change, and then be sent notifications anyway.
    """

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True),
            experimental_capabilities,
            extensions,
        )


def _mcp_tool(spec: ToolSpec) -> types.Tool:
    return types.Tool(name=spec.name, description=spec.description, input_schema=spec.parameters)
