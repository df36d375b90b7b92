"""An event as flat `key -> scalar` attributes, for log lines and span attributes.

Nested values get dotted keys (`usage.input_tokens`, `result.success`). Conversation
content (an event's `content_fields`) is replaced by its size (`text.chars`,
`messages.count`) unless content recording is on: logs and traces often travel further
than the conversation itself should. With a `redactor`, recorded content is redacted and
cut to `max_chars` as an audit line's texts are (`Redactor.cut`): secret keys anywhere in
a structured value, shapes and known secrets' values in its texts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sized

from zeroclaw.messages import ToolResult, Usage
from zeroclaw.observability.events import ObserverEvent
from zeroclaw.observability.redaction import Redactor

Scalar = str | int | float | bool

# The default of observability.content_max_chars: as long as an audit line's text.
CONTENT_MAX_CHARS = 2000


def flat_fields(
    event: ObserverEvent,
    *,
    include_content: bool = False,
    redactor: Redactor | None = None,
    max_chars: int = CONTENT_MAX_CHARS,
) -> dict[str, Scalar]:
    fields: dict[str, Scalar] = {}
    for field in dataclasses.fields(event):
        name = field.name
        value = getattr(event, name)
        if value is None:
            continue
        if name not in event.content_fields:
            _add(fields, name, value)
        elif not include_content:
            _add_size(fields, name, value)
        elif redactor is None:
            _add(fields, name, value)
        else:
            _add_redacted(fields, name, value, redactor, max_chars)
    return fields


def _add(fields: dict[str, Scalar], name: str, value: object) -> None:
    if isinstance(value, str | int | float | bool):
        fields[name] = value
    elif isinstance(value, Usage):
        fields[f"{name}.input_tokens"] = value.input_tokens
        fields[f"{name}.output_tokens"] = value.output_tokens
    elif isinstance(value, ToolResult):
        fields[f"{name}.success"] = value.success
        fields[f"{name}.output"] = value.output
        if value.error is not None:
            fields[f"{name}.error"] = value.error
    else:
        fields[name] = json.dumps(_plain(value), ensure_ascii=False, default=str)


def _add_redacted(
    fields: dict[str, Scalar], name: str, value: object, redactor: Redactor, max_chars: int
) -> None:
    if isinstance(value, ToolResult):
        output, error = redactor.cut([value.output, value.error], max_chars)
        _add(fields, name, ToolResult(value.success, output, error))
    else:
        _add(fields, name, redactor.cut(_plain(value), max_chars))


def _add_size(fields: dict[str, Scalar], name: str, value: object) -> None:
    if isinstance(value, ToolResult):
        # Whether a tool failed is not content; what it said is.
        fields[f"{name}.success"] = value.success
        fields[f"{name}.chars"] = len(value.output) + len(value.error or "")
    elif isinstance(value, str):
        fields[f"{name}.chars"] = len(value)
    elif isinstance(value, Sized):
        fields[f"{name}.count"] = len(value)


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value
