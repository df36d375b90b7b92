"""`zeroclaw mcp`: the configured MCP servers (list, probe, tools), and this runtime's
tools served to MCP clients (serve).

`list` reads the config only; `probe` and `tools` connect to the one server named (even
a disabled one: probing is how one checks it before enabling it) and say what went wrong
when it fails. `serve` builds the same runtime as `zeroclaw agent` and offers its tools
through the same gate; approvals that would need a person fail at once (nobody can answer
an MCP client's call here)."""

from __future__ import annotations

import asyncio
import signal
import time
from contextlib import suppress
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zeroclaw.agent import AgentRuntime, DenyApprover
from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.state import err_console, state_of, user_errors
from zeroclaw.config import Config
from zeroclaw.config.models import McpServerConfig
from zeroclaw.mcp import UnknownMcpServer, require_sdk
from zeroclaw.observability import AuthFailure

if TYPE_CHECKING:  # the SDK is an extra: imported when a command needs it
    from mcp.types import Tool as RemoteTool

    from zeroclaw.mcp.tool import McpTool

mcp_app = typer.Typer(
    help="MCP servers' tools, and this runtime's tools as an MCP server.", no_args_is_help=True
)

Transport = Literal["stdio", "streamable-http"]


@mcp_app.command("list")
def list_servers(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """The configured [[mcp.servers]]: transport, what is started or reached, timeouts and
    tool filters (env values and headers are not shown)."""
    use_json(json_output)
    config = state_of(ctx).config()
    if json_output:
        print_json({"servers": [_server_shape(server) for server in config.mcp.servers]})
        return
    console = Console()
    if not config.mcp.servers:
        console.print("no MCP servers configured (add [[mcp.servers]] to the config)")
        return
    table = Table("server", "enabled", "transport", "target", "timeouts", "tools")
    for server in config.mcp.servers:
        table.add_row(
            server.name,
            "yes" if server.enabled else "no",
            server.transport,
            _target(server),
            f"connect {server.connect_timeout_s:g}s, call {server.call_timeout_s:g}s",
            _filters(server),
        )
    console.print(table)


ServerName = Annotated[str, typer.Argument(help="Server name.")]


@mcp_app.command("probe")
def probe(ctx: typer.Context, name: ServerName, json_output: JsonFlag = False) -> None:
    """Connect to one server and list its tools; say why if it fails. Exit 1 if it does."""
    use_json(json_output)
    config = state_of(ctx).config()
    server = _server(config, name)
    started = time.monotonic()
    with user_errors(), _connected(config, server) as connection:
        elapsed = time.monotonic() - started
        if connection.state != "connected":
            raise connection.unavailable()
        if json_output:
            print_json(
                {
                    "server": name,
                    "transport": server.transport,
                    "connected": True,
                    "seconds": round(elapsed, 3),
                    "server_version": connection.server_version,
                    "protocol_version": connection.protocol_version,
                    "tools": len(connection.tools),
                    "tools_cut": connection.tools_cut,
                }
            )
            return
        typer.echo(
            f"{name}: connected in {elapsed:.2f} s ({server.transport}; "
            f"{connection.server_version or 'unnamed server'}; protocol "
            f"{connection.protocol_version}); {len(connection.tools)} tool(s)"
        )
        _say_cut(connection.tools_cut, name)


@mcp_app.command("tools")
def tools(ctx: typer.Context, name: ServerName, json_output: JsonFlag = False) -> None:
    """The tools one server offers: the name the model calls, whether it counts as
    changing things, and which are left out (filters, bad schemas) and why."""
    use_json(json_output)
    config = state_of(ctx).config()
    server = _server(config, name)
    with user_errors(), _clients(config, server) as clients:
        connection = clients.connection(name)
        if connection.state != "connected":
            raise connection.unavailable()
        offered = {tool.remote_name: tool for tool in clients.tools()}
        skipped = {s.tool: s.reason for s in clients.skipped}
        if json_output:
            print_json(
                {
                    "server": name,
                    "tools": [
                        _tool_shape(remote, offered.get(remote.name), skipped)
                        for remote in connection.tools
                    ],
                    "tools_cut": connection.tools_cut,
                }
            )
            return
        table = Table("tool", "server's name", "changes", "offered", "description")
        for remote in connection.tools:
            tool = offered.get(remote.name)
            if tool is not None:
                status, changes = "yes", "yes" if tool.mutating else "no"
                shown, description = tool.spec.name, remote.description or ""
            else:
                status = skipped.get(remote.name, "no: excluded by include_tools/exclude_tools")
                changes, shown, description = "", "", remote.description or ""
            table.add_row(shown, remote.name, changes, status, description)
        Console().print(table)
        _say_cut(connection.tools_cut, name)


def _say_cut(cut: str | None, name: str) -> None:
    """One line when the server's tool list was cut short (mcp.max_tools_per_server,
    mcp.max_tool_pages)."""
    if cut is not None:
        typer.echo(f"warning: MCP server {name!r}: {cut}")


@mcp_app.command("serve")
def serve(
    ctx: typer.Context,
    transport: Annotated[
        str, typer.Option("--transport", "-t", help="stdio or streamable-http.")
    ] = "stdio",
    host: Annotated[
        str | None, typer.Option("--host", help="streamable-http: address (mcp.serve.host).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="streamable-http: port (mcp.serve.port).")
    ] = None,
) -> None:
    """Serve this runtime's tools (native, WASM plugin and MCP servers' tools) to MCP
    clients, every call through the security policy, approvals and hooks."""
    if transport not in ("stdio", "streamable-http"):
        err_console.print(
            f"[bold red]error:[/] unknown transport {escape(transport)!r}; "
            "use stdio or streamable-http"
        )
        raise typer.Exit(2)
    config = state_of(ctx).config()
    with user_errors():
        require_sdk()
        serve_config = config.mcp.serve
        if host is not None:
            serve_config.host = host
        if port is not None:
            serve_config.port = port
        asyncio.run(_serve(config, "stdio" if transport == "stdio" else "streamable-http"))


# -- serving ----------------------------------------------------------------------------------


async def _serve(config: Config, transport: Transport) -> None:
    from zeroclaw.agent.tool_server import runtime_tool_server
    from zeroclaw.mcp.notifier import ToolsChangedNotifier

    notifier = ToolsChangedNotifier()
    authenticator = None
    if transport == "streamable-http":
        from zeroclaw.gateway.lifecycle.server import configured_authenticator
        from zeroclaw.mcp.http_server import check_bind

        authenticator = configured_authenticator(config)
        check_bind(config.mcp.serve.host, has_tokens=authenticator.has_tokens)
    # Nobody can answer an approval for an MCP client's call: such calls fail at once.
    async with AgentRuntime.from_config(
        config, approver=DenyApprover(), extra_observers=[notifier]
    ) as runtime:
        server = runtime_tool_server(config, runtime)
        loop = asyncio.get_running_loop()
        notifier.attach(server, loop)
        if runtime.reloader is not None:
            reloader = runtime.reloader
            with suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signal.SIGHUP, reloader.request, "sighup")
        try:
            if transport == "stdio":
                await _serve_stdio(server)
            else:
                await _serve_http(config, runtime, server, authenticator)
        finally:
            server.close()


async def _serve_stdio(server: Any) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read, write):
        await server.server.run(read, write, server.initialization_options())


async def _serve_http(
    config: Config, runtime: AgentRuntime, server: Any, authenticator: Any
) -> None:
    import uvicorn

    from zeroclaw.gateway.auth import bearer_token
    from zeroclaw.mcp.http_server import http_app, uvicorn_config

    settings = config.mcp.serve

    def token_ok(authorization: str | None) -> bool:
        return authenticator.verify(bearer_token(authorization)) is not None

    def failed(client: str, path: str, reason: str) -> None:
        runtime.observer.record(AuthFailure("mcp", client, path, reason))

    app = http_app(
        server,
        host=settings.host,
        path=settings.path,
        token_check=token_ok if authenticator.has_tokens else None,
        on_auth_failure=failed,
    )
    uv = uvicorn.Server(uvicorn_config(app, settings.host, settings.port))
    err_console.print(
        f"serving MCP on http://{settings.host}:{settings.port}{settings.path}"
        + (" (bearer token required)" if authenticator.has_tokens else " (loopback, no token)"),
        highlight=False,
    )
    await uv.serve()


# -- helpers of the commands ----------------------------------------------------------------


def _server(config: Config, name: str) -> McpServerConfig:
    for server in config.mcp.servers:
        if server.name == name:
            return server
    with user_errors():
        known = ", ".join(s.name for s in config.mcp.servers) or "(none)"
        raise UnknownMcpServer(
            f"no MCP server named {name!r}; configured: {known}",
            hint="`zeroclaw mcp list` lists them; add one as [[mcp.servers]] in the config",
        )
    raise AssertionError("unreachable")


class _clients:
    """McpClients connected to just `server`, closed on exit."""

    def __init__(self, config: Config, server: McpServerConfig) -> None:
        require_sdk()
        from zeroclaw.mcp.clients import McpClients

        # One attempt, no reconnecting behind a command that reports once.
        self._clients = McpClients.start(
            config.mcp,
            workspace=config.workspace,
            log_dir=config.data_dir / "mcp",
            servers=[server],
        )

    def __enter__(self) -> Any:
        return self._clients

    def __exit__(self, *exc_info: object) -> None:
        self._clients.close()


class _connected(_clients):
    def __enter__(self) -> Any:
        return next(iter(self._clients.connections.values()))


def _server_shape(server: McpServerConfig) -> dict[str, Any]:
    # Not env or headers: their values are credentials more often than not.
    return {
        "name": server.name,
        "enabled": server.enabled,
        "transport": server.transport,
        "command": server.command,
        "args": server.args,
        "url": server.url,
        "connect_timeout_s": server.connect_timeout_s,
        "call_timeout_s": server.call_timeout_s,
        "include_tools": server.include_tools,
        "exclude_tools": server.exclude_tools,
    }


def _tool_shape(
    remote: RemoteTool, tool: McpTool | None, skipped: dict[str, str]
) -> dict[str, Any]:
    """One tool of the server: offered to the model under `name`, or left out and why."""
    if tool is not None:
        return {
            "name": tool.spec.name,
            "server_name": remote.name,
            "changes": tool.mutating,
            "offered": True,
            "why_not": None,
            "description": remote.description or "",
        }
    return {
        "name": None,
        "server_name": remote.name,
        "changes": None,
        "offered": False,
        "why_not": skipped.get(remote.name, "excluded by include_tools/exclude_tools"),
        "description": remote.description or "",
    }


def _target(server: McpServerConfig) -> str:
    if server.transport == "stdio":
        return " ".join([server.command or "", *server.args]).strip()
    return server.url or ""


def _filters(server: McpServerConfig) -> str:
    parts = []
    if server.include_tools:
        parts.append("only " + ", ".join(server.include_tools))
    if server.exclude_tools:
        parts.append("not " + ", ".join(server.exclude_tools))
    return "; ".join(parts) or "all"
