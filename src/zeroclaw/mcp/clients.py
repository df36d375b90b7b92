"""`McpClients`: every enabled `[[mcp.servers]]` entry, connected, and the tools they offer.

MCP tools are the tool registry's third owner (after native and plugin tools): a turn
takes `registry_over(native)` once, at its start, like the plugin snapshot's tools, and
the gate treats its MCP tools exactly as any other. The set changes when a server
(re)connects with a different list; `generation` counts those changes so the runtime
rebuilds its view only then.

A server's tools are filtered by its include_tools / exclude_tools patterns. A tool whose
input schema is not valid JSON schema, or whose name (after `SERVER__` and cleaning) is
taken by another of the same server, is left out and named in `skipped`, so one bad tool
never takes the others down.

Start-up waits for every server's first attempt (each bounded by its connect_timeout_s,
all at once), so the first turn already sees the tools of the servers that are up; a
server that is down is retried in the background and its tools appear when it connects.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zeroclaw.config.models import McpConfig, McpServerConfig
from zeroclaw.mcp.connection import McpConnection, ToolListLimits
from zeroclaw.mcp.errors import UnknownMcpServer
from zeroclaw.mcp.loop import McpLoop
from zeroclaw.mcp.tool import McpTool
from zeroclaw.observability import Observer
from zeroclaw.tools import ToolRegistrationError, ToolRegistry
from zeroclaw.tools.base import MAX_TOOL_DESCRIPTION_BYTES, MAX_TOOL_SCHEMA_BYTES

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SkippedTool:
    server: str
    tool: str
    reason: str


class McpClients:
    def __init__(
        self,
        config: McpConfig,
        *,
        workspace: Path,
        log_dir: Path,
        observer: Observer | None = None,
        servers: Sequence[McpServerConfig] | None = None,
    ) -> None:
        self._loop = McpLoop()
        self._lock = threading.Lock()
        self.generation = 0
        self.skipped: list[SkippedTool] = []
        chosen = [s for s in config.servers if s.enabled] if servers is None else list(servers)
        self.connections: dict[str, McpConnection] = {
            server.name: McpConnection(
                server,
                workspace=workspace,
                log_dir=log_dir,
                initial_backoff_s=config.reconnect_initial_backoff_ms / 1000,
                max_backoff_s=config.reconnect_max_backoff_ms / 1000,
                observer=observer,
                on_tools=self._tools_changed,
                limits=ToolListLimits(config.max_tools_per_server, config.max_tool_pages),
            )
            for server in chosen
        }
        self._tools: list[McpTool] = []
        self._view: tuple[int, ToolRegistry, ToolRegistry] | None = None

    @classmethod
    def start(
        cls,
        config: McpConfig,
        *,
        workspace: Path,
        log_dir: Path,
        observer: Observer | None = None,
        servers: Sequence[McpServerConfig] | None = None,
    ) -> McpClients:
        """Connect to the servers (all at once) and wait for each one's first attempt."""
        clients = cls(
            config, workspace=workspace, log_dir=log_dir, observer=observer, servers=servers
        )
        try:
            clients._launch()
        except BaseException:
            clients.close()
            raise
        return clients

    def _launch(self) -> None:
        for connection in self.connections.values():
            self._loop.submit(connection.run())
        if self.connections:
            wait = max(c.config.connect_timeout_s for c in self.connections.values()) + 5
            self._loop.run_sync(self._first_attempts(), wait)

    async def _first_attempts(self) -> None:
        await asyncio.gather(*(c.wait_settled() for c in self.connections.values()))

    def connection(self, name: str) -> McpConnection:
        found = self.connections.get(name)
        if found is None:
            known = ", ".join(self.connections) or "(none)"
            raise UnknownMcpServer(
                f"no MCP server named {name!r}; configured: {known}",
                hint="add it as [[mcp.servers]] in the config (`zeroclaw mcp list` lists them)",
            )
        return found

    @property
    def loop(self) -> McpLoop:
        return self._loop

    # -- tools ---------------------------------------------------------------------------

    def tools(self) -> list[McpTool]:
        with self._lock:
            return list(self._tools)

    def registry_over(self, native: ToolRegistry) -> ToolRegistry:
        """`native` plus the MCP tools of the connected servers, as owner "mcp"; the same
        registry object until the MCP tools change."""
        with self._lock:
            view = self._view
            if view is not None and view[0] == self.generation and view[1] is native:
                return view[2]
            tools = list(self._tools)
            generation = self.generation
        combined = native.with_tools(
            tools, "mcp", labels={tool.spec.name: tool.label for tool in tools}
        )
        with self._lock:
            self._view = (generation, native, combined)
        return combined

    def _tools_changed(self) -> None:
        """A server (re)connected: rebuild the MCP tools from every connected server."""
        tools: list[McpTool] = []
        skipped: list[SkippedTool] = []
        for connection in self.connections.values():
            offered, left_out = _offered_tools(connection, self._loop)
            tools += offered
            skipped += left_out
        with self._lock:
            changed = _fingerprint(self._tools) != _fingerprint(tools)
            self._tools = tools
            self.skipped = skipped
            if changed:
                self.generation += 1

    def close(self) -> None:
        self._loop.close()


def _offered_tools(
    connection: McpConnection, loop: McpLoop
) -> tuple[list[McpTool], list[SkippedTool]]:
    config = connection.config
    offered: list[McpTool] = []
    skipped: list[SkippedTool] = []
    names: set[str] = set()
    for remote in connection.tools:
        if not _wanted(remote.name, config):
            continue
        tool = McpTool(connection, loop, remote)
        reason = _unusable(tool, names)
        if reason is not None:
            log.warning("MCP server %r: tool %r left out: %s", connection.name, remote.name, reason)
            skipped.append(SkippedTool(connection.name, remote.name, reason))
            continue
        names.add(tool.spec.name)
        offered.append(tool)
    return offered, skipped


def _fingerprint(tools: list[McpTool]) -> list[str]:
    return sorted(
        json.dumps([t.spec.name, t.spec.description, t.spec.parameters, t.mutating], default=str)
        for t in tools
    )


def _wanted(name: str, config: McpServerConfig) -> bool:
    if config.include_tools and not any(fnmatch.fnmatchcase(name, p) for p in config.include_tools):
        return False
    return not any(fnmatch.fnmatchcase(name, p) for p in config.exclude_tools)


def _unusable(tool: McpTool, taken: set[str]) -> str | None:
    if tool.spec.name in taken:
        return f"its name {tool.spec.name!r} is taken by another tool of the server"
    sizes = (
        ("description", len(tool.spec.description.encode("utf-8")), MAX_TOOL_DESCRIPTION_BYTES),
        (
            "input schema",
            len(json.dumps(tool.spec.parameters).encode("utf-8")),
            MAX_TOOL_SCHEMA_BYTES,
        ),
    )
    for what, size, cap in sizes:
        if size > cap:
            # It would go to the model with every request: as for a plugin's tool.
            return f"its {what} is {size:,} bytes, over the cap of {cap:,} bytes"
    try:
        ToolRegistry().register(tool, "mcp")
    except ToolRegistrationError as exc:
        return exc.message
    return None
