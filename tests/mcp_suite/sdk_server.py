"""A real MCP server built with the official SDK, started by the MCP tests.

    python sdk_server.py stdio
    python sdk_server.py streamable-http PORT

Tools: `echo` and `add` (ordinary), `lookup` (annotated read-only), `secret_echo` (returns
the SERVER_SECRET variable it was given), `crash` (the process dies in the middle of the
call), `hang` (never answers), `garbage` (writes a line that is not JSON-RPC to stdout,
then answers), `fail` (an error result).
"""

from __future__ import annotations

import os
import sys
import time

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

server = MCPServer("zeroclaw-test-server", log_level="WARNING")


@server.tool(description="Echo the text back.")
def echo(text: str) -> str:
    return f"echo: {text}"


@server.tool(description="Add two integers.")
def add(a: int, b: int) -> str:
    return str(a + b)


@server.tool(
    description="Look a word up (changes nothing).",
    annotations=ToolAnnotations(read_only_hint=True),
)
def lookup(word: str) -> str:
    return f"{word}: a word"


@server.tool(description="Return the SERVER_SECRET environment variable.")
def secret_echo() -> str:
    return os.environ.get("SERVER_SECRET", "(unset)")


@server.tool(description="Die in the middle of the call.")
def crash() -> str:
    os._exit(3)


@server.tool(description="Never answer.")
def hang() -> str:
    time.sleep(3600)
    return "too late"


@server.tool(description="Write garbage to stdout, then answer.")
def garbage() -> str:
    sys.stdout.write("this is not JSON-RPC\n")
    sys.stdout.flush()
    return "answered after garbage"


@server.tool(description="Always fail.")
def fail() -> str:
    raise ToolError("this tool always fails")


if __name__ == "__main__":
    transport = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
