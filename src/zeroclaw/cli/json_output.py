"""`--json`: one option, one way to print, one shape of error, for every command that
lists or reports.

A command takes `json_output: JsonFlag = False`, calls `use_json(json_output)` before any
step that can fail, and ends with `print_json(shape)`. From `use_json(True)` on, a failure
that `user_errors` or the root command reports is one JSON object on stderr,
`{"error": {"message": ..., "hint": ...}}`, with the same non-zero exit as in text; stdout
then holds nothing, so a script can parse whatever it gets there. A usage error (an unknown
option) is still click's text, exit 2: it is found before the command knows it speaks JSON.

The shapes are plain JSON objects built by each command and documented in
docs/commands-reference.md; a key is never removed or renamed without a note there.
Paths, datetimes and pydantic models become JSON through pydantic's encoder.
"""

from __future__ import annotations

import json
import sys
from contextvars import ContextVar
from typing import Annotated, Any

import typer
from pydantic_core import to_jsonable_python

JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print JSON instead of text (shapes: docs/commands-reference.md); errors go to "
        "stderr as JSON too.",
    ),
]

# Reset by the root command for every invocation (tests run many in one process).
_JSON_ERRORS: ContextVar[bool] = ContextVar("zeroclaw_json_errors", default=False)


def use_json(enabled: bool) -> None:
    """From now on this invocation's failures are reported as JSON (if `enabled`)."""
    _JSON_ERRORS.set(enabled)


def json_errors() -> bool:
    return _JSON_ERRORS.get()


def print_json(value: Any) -> None:
    """`value` as indented JSON on stdout, non-ASCII text kept as is."""
    sys.stdout.write(to_json(value) + "\n")
    sys.stdout.flush()


def to_json(value: Any) -> str:
    return json.dumps(to_jsonable_python(value), indent=2, ensure_ascii=False)


def error_json(message: str, hint: str | None) -> str:
    """The one line a failure is on stderr with --json."""
    return json.dumps({"error": {"message": message, "hint": hint}}, ensure_ascii=False)
