"""The conversation types every part of the runtime shares.

Plain frozen dataclasses: they are created on every turn and copied by hooks, so they stay
cheap; validation happens once at the edges (config, HTTP bodies, provider responses).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]

# A surrogate code point in a Python str is always a lone one (a JSON escape such as
# "\ud800" decodes to it); it cannot be encoded as UTF-8, so SQLite and HTTP refuse it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD, so it can be stored and sent."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def valid_json_value(value: Any) -> Any:
    """A decoded JSON value with `valid_text` applied to every string (keys included)."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return [valid_json_value(item) for item in value]
    if isinstance(value, dict):
        return {valid_text(k): valid_json_value(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A model's request to run one tool."""

    id: str
    name: str
    arguments: dict[str, Any]

    def arguments_json(self) -> str:
        return json.dumps(self.arguments, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation.

    `tool_calls` is set on assistant messages that ask for tools; `tool_call_id` and
    `name` are set on the tool messages that answer them.
    """

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one LLM call (or a sum of several)."""

    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """What the model is told about a tool: its name, purpose and JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The outcome of one tool call, as the model and the memory see it."""

    success: bool
    output: str = ""
    error: str | None = None

    @classmethod
    def ok(cls, output: str) -> ToolResult:
        return cls(success=True, output=output)

    @classmethod
    def fail(cls, error: str) -> ToolResult:
        return cls(success=False, error=error)

    def for_model(self) -> str:
        """The text the model reads as the tool message."""
        if self.success:
            return self.output
        return f"error: {self.error}"


def transcript(messages: Sequence[ChatMessage], previous_summary: str | None) -> str:
    """A conversation as plain text, one line a message, for a model to summarize."""
    lines = []
    if previous_summary:
        lines.append(f"Earlier summary: {previous_summary}")
    for message in messages:
        if message.role == "tool":
            lines.append(f"tool {message.name or ''}: {message.content}")
        elif message.tool_calls:
            calls = ", ".join(f"{c.name}({c.arguments_json()})" for c in message.tool_calls)
            lines.append(f"{message.role}: {message.content} [called {calls}]".strip())
        else:
            lines.append(f"{message.role}: {message.content}")
    return "\n".join(lines)
