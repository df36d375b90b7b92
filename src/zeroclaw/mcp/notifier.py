"""`ToolsChangedNotifier`: the observer that tells `mcp serve`'s clients when the tools
they see may have changed: a plugin reload that swapped the snapshot, or an MCP server
(re)connecting with its tools, or announcing that they changed.

Observer events arrive on whatever thread recorded them (the reload worker, the MCP
loop); the notification is sent from the serving loop, so it is handed over with
`call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import logging

from zeroclaw.mcp.server import ToolServer
from zeroclaw.observability import McpConnection, ObserverEvent, PluginReload

log = logging.getLogger(__name__)

# The states of an MCP server's connection after which its tools may differ.
_TOOLS_MAY_DIFFER = ("connected", "tools_changed", "lost")


class ToolsChangedNotifier:
    def __init__(self) -> None:
        self._target: tuple[ToolServer, asyncio.AbstractEventLoop] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def attach(self, server: ToolServer, loop: asyncio.AbstractEventLoop) -> None:
        self._target = (server, loop)

    def record(self, event: ObserverEvent) -> None:
        swapped = isinstance(event, PluginReload) and event.swapped
        reconnected = isinstance(event, McpConnection) and event.state in (
            "connected",
            "tools_changed",
            "lost",
        )
        if swapped or reconnected:
            self._notify()

    def _notify(self) -> None:
        target = self._target
        if target is None:
            return
        server, loop = target
        if loop.is_closed():
            return
        loop.call_soon_threadsafe(self._start, server)

    def _start(self, server: ToolServer) -> None:
        task = asyncio.get_running_loop().create_task(server.tools_changed())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
