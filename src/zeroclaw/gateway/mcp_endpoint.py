"""`/mcp` on the gateway: the agent's tools for MCP clients (streamable HTTP), when
gateway.mcp.enabled.

The server is `zeroclaw mcp serve`'s (`agent.tool_server`): the same tools, filtered by
mcp.serve.tools and tools.allowed, and every call through the agent's gate. The door is
the gateway's: a request needs a valid bearer token (configured, ZEROCLAW_GATEWAY_TOKEN or
from /pair) and counts against that token's rate limit, exactly as /v1 does; a refusal is
the gateway's own 401/429 body and `auth_failure` event. The SDK's Host/Origin check is
left off: it guards servers that trust the network they listen on, and this one trusts
only tokens, which a browser never sends on its own. The SDK is imported only when the
endpoint is on (it is the `mcp` extra).

The SDK's session manager needs a task group for the server's life, and the gateway runs
uvicorn without a lifespan; so it is started by the first request, in a task of its own,
and ended when the gateway starts to stop (open `subscriptions/listen` streams are closed
gracefully then, so they do not hold the shutdown for its whole grace). The same task
tells connected clients when the tools change: the live registry is one object until a
plugin reload or an MCP server changes it, so a changed identity is a changed list.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from zeroclaw.gateway.state import GatewayState, authenticated
from zeroclaw.mcp import require_sdk

if TYPE_CHECKING:
    from zeroclaw.mcp.server import ToolServer

MCP_PATH = "/mcp"

# How often the serving task looks for a changed tool list or a stopping gateway: both are
# a reference comparison, and a client learns of a change this much later at most.
_WATCH_INTERVAL_S = 0.25

log = logging.getLogger(__name__)


def install_mcp_endpoint(app: FastAPI, state: GatewayState) -> None:
    """Serve `state`'s runtime tools at /mcp on `app`, if gateway.mcp.enabled."""
    if not state.settings.mcp.enabled:
        return
    # The SDK is the `mcp` extra: loaded only when the endpoint is on.
    require_sdk()
    from zeroclaw.agent.tool_server import runtime_tool_server

    server = runtime_tool_server(state.runtime.config, state.runtime)
    # A plain Starlette route: FastAPI's would wrap the ASGI endpoint as a request handler.
    endpoint = McpEndpoint(state, server)
    app.router.routes.append(Route(MCP_PATH, endpoint, methods=["GET", "POST", "DELETE"]))


class McpEndpoint:
    """The ASGI endpoint: the gateway's auth, then the SDK's streamable HTTP transport."""

    def __init__(self, state: GatewayState, server: ToolServer) -> None:
        from mcp.server.streamable_http_manager import (
            StreamableHTTPASGIApp,
            StreamableHTTPSessionManager,
        )

        self._state = state
        self._server = server
        self._manager = StreamableHTTPSessionManager(app=server.server)
        self._transport = StreamableHTTPASGIApp(self._manager)
        self._serving: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Raises the gateway's Unauthorized / RateLimited, which its handlers answer.
        await authenticated(Request(scope, receive), self._state)
        if self._serving is None:
            self._serving = asyncio.get_running_loop().create_task(self._serve())
        await self._ready.wait()
        await self._transport(scope, receive, send)

    async def _serve(self) -> None:
        try:
            async with self._manager.run():
                self._ready.set()
                try:
                    await self._watch()
                finally:
                    self._server.close()
        finally:
            # Never leave a request waiting: past this, the SDK answers (or fails) itself.
            self._ready.set()

    async def _watch(self) -> None:
        """Until the gateway stops: tell the clients when the live tools change."""
        tools = self._state.runtime.live_tools()
        while not self._state.stopping:
            await asyncio.sleep(_WATCH_INTERVAL_S)
            now = self._state.runtime.live_tools()
            if now is not tools:
                tools = now
                try:
                    await self._server.tools_changed()
                except Exception as exc:  # a client gone: it lists again when it comes back
                    log.debug("could not tell MCP clients of changed tools: %s", exc)
