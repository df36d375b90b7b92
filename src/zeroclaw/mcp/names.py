"""How an MCP server's tool is named for the model: `SERVER__TOOL`.

The prefix keeps two servers' tools apart and tells the model (and the operator reading
the audit log) where a tool comes from. Model APIs accept tool names of letters, digits,
`_` and `-`, at most 64 characters; a server's name for its tool may hold other
characters (`.`, `/`, spaces), so those become `_`, and the original name is kept for the
call itself.
"""

from __future__ import annotations

import re
from typing import Final

SEPARATOR: Final = "__"
MAX_TOOL_NAME: Final = 64

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def qualified_name(server: str, tool: str) -> str:
    """The name the model calls `tool` of `server` by (cut to 64 characters)."""
    return f"{server}{SEPARATOR}{_NOT_ALLOWED.sub('_', tool)}"[:MAX_TOOL_NAME]


def split_name(name: str) -> tuple[str, str] | None:
    """(server, tool part) of a qualified name, or None if it is not one."""
    server, separator, tool = name.partition(SEPARATOR)
    if not separator or not server or not tool:
        return None
    return server, tool
