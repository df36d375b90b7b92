"""A hostile MCP server (the official SDK's low-level `Server`, over stdio) whose tool list
never ends, in one of two ways:

    python endless_server.py pages     every page holds 10 tools and a cursor to the next
    python endless_server.py wide      one page of 20,000 tools

Each list request is counted in the file named by ENDLESS_COUNT (one line per page
served), so a test can tell how many pages the client asked for.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio
from mcp import types
from mcp.server import Server
from mcp.server.stdio import stdio_server

PAGE = 10
WIDE = 20_000
_SCHEMA: dict[str, Any] = {"type": "object"}


def _tools(start: int, count: int) -> list[types.Tool]:
    return [
        types.Tool(name=f"t{n}", description="One of many.", input_schema=_SCHEMA)
        for n in range(start, start + count)
    ]


async def list_tools(
    ctx: Any, params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    async with await anyio.open_file(os.environ["ENDLESS_COUNT"], "a", encoding="utf-8") as count:
        await count.write("page\n")
    if sys.argv[1] == "wide":
        return types.ListToolsResult(tools=_tools(0, WIDE))
    start = int(params.cursor) if params is not None and params.cursor else 0
    return types.ListToolsResult(tools=_tools(start, PAGE), next_cursor=str(start + PAGE))


async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=params.name)])


server: Server[Any] = Server("endless-server", on_list_tools=list_tools, on_call_tool=call_tool)


async def main() -> None:
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
