"""The SDK client for one `[[mcp.servers]]` entry, by transport.

stdio: the server is started with a minimal environment (the SDK's: PATH, HOME, USER,
...) plus the entry's `env`, in the entry's `cwd` (default: the workspace); its stderr
goes to a log file of its own, so a chatty server neither clutters the terminal nor
loses what it said before it died. streamable-http and sse: the entry's headers on every
request. Secrets in `env` and `headers` go to the server and nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.session import MessageHandlerFnT
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from zeroclaw.config.models import McpServerConfig


def build_client(
    config: McpServerConfig,
    *,
    workspace: Path,
    stderr: TextIO,
    read_timeout_s: float,
    on_message: MessageHandlerFnT | None = None,
) -> tuple[Client, httpx2.AsyncClient | None]:
    """The SDK client for `config` (not yet connected), and the HTTP client it uses, which
    the caller closes after it. `on_message` receives the server's notifications."""
    if config.transport == "stdio":
        assert config.command is not None  # the config model requires it for stdio
        params = StdioServerParameters(
            command=config.command,
            args=list(config.args),
            env=dict(config.env),
            cwd=config.cwd or workspace,
        )
        transport = stdio_client(params, errlog=stderr)
        client = Client(
            transport, read_timeout_seconds=read_timeout_s, mode="auto", message_handler=on_message
        )
        return client, None
    assert config.url is not None  # required for the HTTP transports
    if config.transport == "sse":
        transport = sse_client(config.url, headers=dict(config.headers))
        return Client(transport, mode="legacy", message_handler=on_message), None
    http = httpx2.AsyncClient(
        headers=dict(config.headers),
        timeout=httpx2.Timeout(config.connect_timeout_s, read=max(read_timeout_s, 300.0)),
    )
    transport = streamable_http_client(config.url, http_client=http)
    client = Client(
        transport, read_timeout_seconds=read_timeout_s, mode="auto", message_handler=on_message
    )
    return client, http
