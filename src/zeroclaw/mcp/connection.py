"""`McpConnection`: one configured MCP server, kept connected for as long as the runtime runs.

Its life, in the MCP loop's task `run`:

    connecting   start/reach the server and list its tools, within connect_timeout_s
    connected    calls go through; a call that times out, or that finds the connection
                 broken (the server died) or the answer unreadable, ends this state
    backoff      wait, doubling from mcp.reconnect_initial_backoff_ms up to
                 reconnect_max_backoff_ms on each failure in a row, then connect again

A call never waits for a server that is known to be down: in backoff it fails at once
with the last error and when the next attempt is due; while connecting it waits for that
attempt, within the call's own deadline. A call that times out restarts the connection,
because a server that stopped answering one request cannot be trusted with the next.
Every change of state is an `McpConnection` observer event (the audit log writes it).

While connected, a server that advertises `tools.listChanged` is followed: a change it
announces (a `notifications/tools/list_changed` on the handshake-era protocol; a
`ToolsListChanged` event on a `subscriptions/listen` stream on the 2026-07-28 one, where
nothing is sent unless the client listens) makes the connection list the tools again,
bypassing the SDK's response cache, and call `on_tools`, so the agent sees added and
removed tools without a restart. A burst of announcements is one re-list (the flag is
level-triggered). A server that does not advertise it is taken at its word: its
announcements are ignored and its tools change only when it reconnects.

A server's list is bounded (`ToolListLimits`: mcp.max_tools_per_server, mcp.max_tool_pages):
a server that lists millions of tools, or hands out a next cursor forever, costs a bounded
number of requests and tools kept. What was left out is said once per listing in the log
and in `tools_cut`, which `zeroclaw mcp probe` and `mcp tools` show.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp import Client, MCPError
from mcp.client import CacheMode
from mcp.client.session import IncomingMessage
from mcp.types import CONNECTION_CLOSED, CallToolResult, ToolListChangedNotification
from mcp.types import Tool as McpToolSpec
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from zeroclaw.config.models import McpServerConfig
from zeroclaw.mcp.errors import McpCallFailed, McpServerUnavailable
from zeroclaw.mcp.transports import build_client
from zeroclaw.observability import McpConnection as McpConnectionEvent
from zeroclaw.observability import NoopObserver, Observer
from zeroclaw.observability.events import McpConnectionState

log = logging.getLogger(__name__)

ConnectionState = Literal["connecting", "connected", "backoff", "closed"]


@dataclass(frozen=True, slots=True)
class ToolListLimits:
    """How much of one server's tool list is taken (mcp.max_tools_per_server and
    mcp.max_tool_pages)."""

    tools: int = 1000
    pages: int = 100


@dataclass(frozen=True, slots=True)
class ToolList:
    tools: list[McpToolSpec]
    # Why the list was cut (one line), or None when it was read to its end.
    cut: str | None = None


class McpConnection:
    def __init__(
        self,
        config: McpServerConfig,
        *,
        workspace: Path,
        log_dir: Path,
        initial_backoff_s: float,
        max_backoff_s: float,
        observer: Observer | None = None,
        on_tools: Callable[[], None] = lambda: None,
        limits: ToolListLimits | None = None,
    ) -> None:
        self.config = config
        self._limits = limits or ToolListLimits()
        self._workspace = workspace
        self._log_path = log_dir / f"{config.name}.log"
        self._initial_backoff_s = initial_backoff_s
        self._max_backoff_s = max(initial_backoff_s, max_backoff_s)
        self._observer = observer or NoopObserver()
        self._on_tools = on_tools
        self.state: ConnectionState = "connecting"
        self.tools: tuple[McpToolSpec, ...] = ()
        # Why the server's last tool list was cut short (ToolListLimits), or None.
        self.tools_cut: str | None = None
        self.last_error: str | None = None
        self.next_attempt_at: float | None = None
        self.attempts = 0
        self.server_version: str | None = None
        self.protocol_version: str | None = None
        self._client: Client | None = None
        # Set when an attempt has ended either way (connected, or failed into backoff).
        # (An asyncio.Event binds to the loop that first waits on it: the MCP loop.)
        self._settled = asyncio.Event()
        self._lost = asyncio.Event()
        self._lost_reason = ""
        # Set when the server announced that its tools changed (and it advertises that).
        self._tools_stale = asyncio.Event()
        self._follows_tools = False

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def log_path(self) -> Path:
        """Where a stdio server's stderr goes."""
        return self._log_path

    # -- the connection's task -------------------------------------------------------------

    async def run(self) -> None:
        """Connect, serve until the connection is lost, back off, again; until cancelled."""
        failures = 0
        try:
            while True:
                self.state = "connecting"
                self._settled.clear()
                self._lost.clear()
                self.attempts += 1
                error = await self._connect_and_serve()
                failures = 1 if error.startswith("lost:") else failures + 1
                self._client = None
                delay = min(self._initial_backoff_s * 2 ** (failures - 1), self._max_backoff_s)
                self.last_error = error.removeprefix("lost:")
                self.state = "backoff"
                self.next_attempt_at = time.monotonic() + delay
                self._settled.set()
                log.warning(
                    "MCP server %r: %s; reconnecting in %.1f s", self.name, self.last_error, delay
                )
                await asyncio.sleep(delay)
        finally:
            self.state = "closed"
            self._client = None
            self._record("closed")

    async def _connect_and_serve(self) -> str:
        """One attempt: connect, list tools, serve until lost. Returns why it ended
        ("lost:..." once it had connected)."""
        connected = False
        try:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            if self.config.transport == "stdio" and self.config.cwd is None:
                self._workspace.mkdir(parents=True, exist_ok=True)
            with self._log_path.open("a", encoding="utf-8") as stderr:
                client, http = build_client(
                    self.config,
                    workspace=self._workspace,
                    stderr=stderr,
                    read_timeout_s=self.config.call_timeout_s,
                    on_message=self._on_message,
                )
                # One scope around the connection's whole life (the SDK's task groups must
                # be left in the scope they were entered in): its deadline bounds the
                # connecting, and is lifted once connected.
                deadline = anyio.current_time() + self.config.connect_timeout_s
                with anyio.CancelScope(deadline=deadline) as scope:
                    async with AsyncExitStack() as stack:
                        if http is not None:
                            stack.push_async_callback(http.aclose)
                        await stack.enter_async_context(client)
                        listed = await self._list_tools(client)
                        scope.deadline = math.inf
                        self._connected(client, listed)
                        connected = True
                        async with anyio.create_task_group() as following:
                            if self._follows_tools:
                                following.start_soon(self._relist_when_stale, client)
                            if self._follows_tools and _listens(client):
                                following.start_soon(self._listen_for_tool_changes, client)
                            await self._lost.wait()
                            following.cancel_scope.cancel()
                    # Left the client (the server is stopped) before saying it is lost.
                    self._record("lost", error=self._lost_reason)
                    return f"lost:{self._lost_reason}"
                assert scope.cancelled_caught
                reason = f"no answer within connect_timeout_s = {self.config.connect_timeout_s:g} s"
        except OSError as exc:
            what = f" {exc.filename}" if exc.filename else ""
            reason = f"cannot start the server{what}: {exc.strerror or exc}"
        except Exception as exc:
            reason = _describe(exc)
            if self.config.url and _is_http_error(exc):
                reason = f"cannot reach {self.config.url}: {reason}"
        if self.config.transport == "stdio" and not connected:
            reason += f" (the server's stderr is in {self._log_path})"
        if connected:
            reason = f"lost:{self._lost_reason or reason}"
            self._record("lost", error=reason.removeprefix("lost:"))
        else:
            self._record("failed", error=reason)
        return reason

    def _connected(self, client: Client, listed: ToolList) -> None:
        self._client = client
        self._take(listed)
        tools = client.server_capabilities.tools
        self._follows_tools = bool(tools and tools.list_changed)
        self._tools_stale.clear()
        info = client.server_info
        self.server_version = f"{info.name} {info.version}".strip() if info else None
        self.protocol_version = client.protocol_version
        self.state = "connected"
        self.last_error = None
        self.next_attempt_at = None
        self._settled.set()
        self._on_tools()
        self._record("connected")

    # -- following the server's tool list ---------------------------------------------------

    async def _on_message(self, message: IncomingMessage) -> None:
        """The SDK's message handler: note an announced tool change (the re-list runs in a
        task of its own: a request from inside the handler would wait on itself)."""
        if isinstance(message, ToolListChangedNotification) and self._follows_tools:
            self._tools_stale.set()
        await anyio.lowlevel.checkpoint()

    async def _listen_for_tool_changes(self, client: Client) -> None:
        """2026-07-28: changes are only sent on a `subscriptions/listen` stream; keep one
        open. A stream the server closes is opened again (it replays nothing, so the tools
        are listed again too); a stream that breaks ends the connection."""
        try:
            while True:
                async with client.listen(tools_list_changed=True) as subscription:
                    async for _event in subscription:
                        self._tools_stale.set()
                self._tools_stale.set()
                await anyio.sleep(self._initial_backoff_s)
        except Exception as exc:
            self._lose(f"its tool-change subscription failed: {_describe(exc)}")

    async def _relist_when_stale(self, client: Client) -> None:
        while True:
            await self._tools_stale.wait()
            self._tools_stale.clear()
            try:
                with anyio.fail_after(self.config.connect_timeout_s):
                    listed = await self._list_tools(client, cache_mode="refresh")
            except Exception as exc:
                self._lose(
                    f"listing its tools after it announced a change failed: {_describe(exc)}"
                )
                return
            if self._client is not client:
                return
            self._take(listed)
            log.info("MCP server %r changed its tools: now %d", self.name, len(self.tools))
            self._on_tools()
            self._record("tools_changed")

    async def _list_tools(self, client: Client, cache_mode: CacheMode = "use") -> ToolList:
        """The server's tools, page after page, within `ToolListLimits`."""
        limits = self._limits
        tools: list[McpToolSpec] = []
        cursor: str | None = None
        for _ in range(limits.pages):
            page = await client.list_tools(cursor=cursor, cache_mode=cache_mode)
            room = limits.tools - len(tools)
            tools.extend(page.tools[:room])
            cursor = page.next_cursor
            if len(page.tools) > room or (cursor is not None and len(tools) == limits.tools):
                return ToolList(
                    tools,
                    f"its tool list was cut at mcp.max_tools_per_server = {limits.tools} "
                    "(it lists more): the rest are left out",
                )
            if cursor is None:
                return ToolList(tools)
        return ToolList(
            tools,
            f"its tool list was cut at mcp.max_tool_pages = {limits.pages} pages (it "
            f"offered more): {len(tools)} tool(s) kept, the rest left out",
        )

    def _take(self, listed: ToolList) -> None:
        self.tools = tuple(listed.tools)
        self.tools_cut = listed.cut
        if listed.cut is not None:
            log.warning("MCP server %r: %s", self.name, listed.cut)

    def _lose(self, reason: str) -> None:
        """The connection cannot be trusted any more: end it (run reconnects)."""
        if not self._lost.is_set():
            self._lost_reason = reason
            self._lost.set()
            # No call may start on the broken client; they wait for the next attempt.
            self._client = None
            self.state = "connecting"
            self.last_error = reason
            self._settled.clear()

    def _record(self, state: McpConnectionState, error: str | None = None) -> None:
        self._observer.record(
            McpConnectionEvent(
                self.name, self.config.transport, state, tools=len(self.tools), error=error
            )
        )

    # -- calls (run on the MCP loop) -------------------------------------------------------

    async def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """Call `tool` on the server. Raises McpServerUnavailable (not connected) or
        McpCallFailed (timed out, connection broken, unreadable answer)."""
        client = await self._ready()
        timeout = self.config.call_timeout_s
        try:
            with anyio.fail_after(timeout):
                return await client.call_tool(tool, arguments)
        except TimeoutError:
            self._lose(f"a call to {tool!r} got no answer within call_timeout_s = {timeout:g} s")
            raise McpCallFailed(
                f"MCP server {self.name!r} did not answer {tool!r} within {timeout:g} s; "
                "the connection is being restarted",
                hint=f"raise call_timeout_s of [[mcp.servers]] {self.name!r} if the tool is "
                "slow, or check the server",
            ) from None
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                self._lose(f"the connection closed during a call to {tool!r}")
                raise McpCallFailed(
                    f"MCP server {self.name!r} closed the connection during the call (did it "
                    f"crash?); reconnecting. Its stderr is in {self._log_path}"
                    if self.config.transport == "stdio"
                    else f"MCP server {self.name!r} closed the connection during the call; "
                    "reconnecting"
                ) from None
            # A JSON-RPC error answer (unknown tool, invalid params): the server is fine.
            raise McpCallFailed(
                f"MCP server {self.name!r} refused the call: {exc.message}"
            ) from None
        except Exception as exc:
            self._lose(f"an unreadable answer to {tool!r}: {_describe(exc)}")
            raise McpCallFailed(
                f"MCP server {self.name!r} answered {tool!r} with something that is not a "
                f"valid MCP result ({_describe(exc)}); reconnecting"
            ) from None

    async def _ready(self) -> Client:
        if self.state == "connecting":
            await self._settled.wait()
        client = self._client
        if self.state == "connected" and client is not None:
            return client
        raise self.unavailable()

    def unavailable(self) -> McpServerUnavailable:
        """The error saying why this server is not connected, and what to check."""
        return McpServerUnavailable(self.unavailable_reason(), hint=self._hint())

    async def wait_settled(self) -> None:
        """Until the current connection attempt has ended, either way."""
        await self._settled.wait()

    def unavailable_reason(self) -> str:
        if self.state == "closed":
            return f"MCP server {self.name!r} is shut down"
        when = ""
        if self.next_attempt_at is not None:
            when = f"; next attempt in {max(0.0, self.next_attempt_at - time.monotonic()):.1f} s"
        return f"MCP server {self.name!r} is not connected: {self.last_error or 'not yet'}{when}"

    def _hint(self) -> str:
        probe = f"`zeroclaw mcp probe {self.name}` shows the error"
        if self.config.transport == "stdio":
            return f"{probe}; the server's stderr is in {self._log_path}"
        return f"{probe}; check that {self.config.url} is up"


def _listens(client: Client) -> bool:
    """Whether the negotiated protocol delivers changes only on `subscriptions/listen`."""
    return client.protocol_version in MODERN_PROTOCOL_VERSIONS


def _is_http_error(exc: BaseException) -> bool:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return type(exc).__module__.split(".")[0] in ("httpx", "httpx2")


def _describe(exc: BaseException) -> str:
    """One line for an exception, looking into exception groups (anyio's task groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError):
        return exc.message
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
