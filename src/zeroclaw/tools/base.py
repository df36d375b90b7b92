"""The Tool protocol: a named, described, JSON-schema-typed action the model may request.

`execute` gets arguments already validated against the tool's schema and a `ToolContext`
for the call. It returns a `ToolResult`; an exception escaping `execute` is turned into a
failed result by the registry, never into a crashed turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, cast, runtime_checkable

from zeroclaw.messages import ToolResult, ToolSpec

ToolOwner = Literal["native", "plugin", "mcp"]

# What one tool's spec may weigh, whoever offers it (a plugin, an MCP server). The
# description and the schema go to the model with every request, beside the conversation:
# a runaway one would crowd it out (or exceed the provider's limit) on every turn.
MAX_TOOL_DESCRIPTION_BYTES = 16 * 1024
MAX_TOOL_SCHEMA_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Who is calling and where: the session and the workspace the call is confined to."""

    session_id: str
    workspace: Path


@runtime_checkable
class Tool(Protocol):
    spec: ToolSpec
    # True when running the tool changes something (files, memory, the network's state);
    # read_only autonomy refuses such tools and supervised autonomy asks before each call.
    mutating: bool

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult: ...


@runtime_checkable
class CallDependentMutation(Protocol):
    """A tool whose calls change something or not depending on the arguments
    (http_request: GET reads, POST writes). Its `mutating` is the worst case."""

    def mutates(self, arguments: dict[str, Any]) -> bool: ...


@runtime_checkable
class RunsCommand(Protocol):
    """A tool whose call runs a command line (shell): approval rules per command pattern
    (tools.approval.commands) look at it."""

    def command_line(self, arguments: dict[str, Any]) -> str | None: ...


# The two functions below run on every tool call. They test for the protocols above with
# getattr, not isinstance: the same test as a runtime-checkable protocol's (the member is
# there and not None), without typing's walk over the protocol's members (~9 us a call).


def command_of(tool: Tool | None, arguments: dict[str, Any]) -> str | None:
    """The command line this call of `tool` runs, if it runs one (`RunsCommand`)."""
    command_line = getattr(tool, "command_line", None)
    return None if command_line is None else cast(str | None, command_line(arguments))


def is_mutating_call(tool: Tool, arguments: dict[str, Any]) -> bool:
    """Whether this call of `tool` changes something: what the policy should be told
    (`CallDependentMutation` asks the tool)."""
    mutates = getattr(tool, "mutates", None)
    return tool.mutating if mutates is None else bool(mutates(arguments))
