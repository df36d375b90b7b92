"""A small TOML writer for the value types the config uses.

Python reads TOML (`tomllib`) but cannot write it, and the config needs only a few types:
strings, integers, floats, booleans, paths (written as strings), lists of those, and
nested tables. Anything else is a `TypeError` rather than a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHORT_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def dumps(table: Mapping[str, Any], at: tuple[str, ...] = ()) -> str:
    """The TOML document of `table` (placed at the dotted path `at`): its plain keys first,
    then one [header] per sub-table."""
    lines: list[str] = []
    _write_table(table, at, lines)
    return "\n".join(lines).strip("\n") + "\n"


def format_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else format_string(key)


def format_dotted(path: tuple[str, ...]) -> str:
    return ".".join(format_key(part) for part in path)


def format_value(value: Any) -> str:
    """One TOML value: string, path, integer, float, boolean, list of these, or a mapping
    written as an inline table."""
    # bool before int: True is an int to Python but not to TOML.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, str):
        return format_string(value)
    if isinstance(value, PurePath):
        return format_string(str(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{format_key(k)} = {format_value(v)}" for k, v in value.items())
        return "{" + items + "}" if items else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value: {value!r}")


def format_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _format_float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    # repr always has a "." or an exponent ("1e+16"), both valid TOML floats.
    return repr(value)


def _write_table(table: Mapping[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    plain = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    # A header is needed only to hold plain keys, or to make an empty table exist at all.
    if path and (plain or not tables):
        lines.extend(["", f"[{format_dotted(path)}]"])
    for key, value in plain.items():
        lines.append(f"{format_key(key)} = {format_value(value)}")
    for key, value in tables.items():
        _write_table(value, (*path, key), lines)
