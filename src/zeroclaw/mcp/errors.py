"""The MCP errors a user can meet: a server that cannot be reached, that fails or hangs in
a call, and a `mcp serve` that would listen where it should not."""

from __future__ import annotations

import importlib.util

from zeroclaw.errors import ZeroClawError


class McpError(ZeroClawError):
    """Base of the MCP errors."""


class McpServerUnavailable(McpError):
    """The server is not connected (it failed to start, died, or is being reconnected)."""


class McpCallFailed(McpError):
    """A call reached the server but did not come back with a result: it timed out, the
    connection broke in the middle, or the server answered with something unreadable."""


class UnknownMcpServer(McpError):
    """A command named a server that is not in [[mcp.servers]]."""


class McpServeRefused(McpError):
    """`zeroclaw mcp serve` was asked to do something unsafe (listen beyond loopback
    without a token)."""


class McpNotInstalled(McpError):
    """MCP is used but the SDK (the `mcp` extra) is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "MCP needs the official MCP SDK, which is not installed",
            hint="pip install 'zeroclaw[mcp]' (or remove the [[mcp.servers]] entries)",
        )


def require_sdk() -> None:
    """Raise McpNotInstalled unless the SDK can be imported."""
    if importlib.util.find_spec("mcp") is None:
        raise McpNotInstalled()
