"""Tool-call arguments between a wire format (a JSON string) and a `ToolCall` (a dict).

Models sometimes send arguments that are not a JSON object (truncated output, a bare
string). We do not fail the whole response for that: the raw text is kept as
`{INVALID_ARGUMENTS_KEY: raw}`, so the tool call still reaches the registry, whose schema
validation reports it to the model ("arguments are not valid JSON: ..."), and the model
gets a chance to correct itself. Sending the history back, the raw text goes out unchanged,
so the model sees exactly what it wrote.
"""

from __future__ import annotations

import json
from typing import Any

from zeroclaw.messages import ToolCall, valid_json_value

INVALID_ARGUMENTS_KEY = "__invalid_json_arguments__"


def parse_tool_arguments(raw: str | None) -> dict[str, Any]:
    """A JSON object's fields; anything else is kept raw under `INVALID_ARGUMENTS_KEY`."""
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {INVALID_ARGUMENTS_KEY: raw}
    if not isinstance(value, dict):
        return {INVALID_ARGUMENTS_KEY: raw}
    return dict(valid_json_value(value))


def invalid_arguments(arguments: dict[str, Any]) -> str | None:
    """The raw text of arguments that were not a JSON object, else None."""
    if not isinstance(arguments, dict):  # reported by the schema check instead
        return None
    raw = arguments.get(INVALID_ARGUMENTS_KEY)
    if len(arguments) == 1 and isinstance(raw, str):
        return raw
    return None


def arguments_to_wire(call: ToolCall) -> str:
    """The JSON string a wire format carries for `call`'s arguments."""
    raw = invalid_arguments(call.arguments)
    return raw if raw is not None else call.arguments_json()
