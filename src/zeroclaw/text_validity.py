"""Whether text can be stored or sent: valid Unicode, encodable as UTF-8.

A lone surrogate (what an undecodable argv byte or a `\\ud800` JSON escape becomes in
Python) cannot be written to the database or the wire, so every edge that takes text from
a person (the CLI's options, the console's forms) refuses it first and says where it is.
It sits at the bottom of the house so that each of those edges finds the one copy.
"""

from __future__ import annotations

from typing import Any

UTF8_HINT = (
    "give text as UTF-8: an invalid byte (from a terminal or file in another encoding) or a "
    "lone surrogate escape such as \\ud800 in JSON cannot be stored"
)


def invalid_text(value: Any, where: str) -> str | None:
    """Where `value` (a string, or JSON made of lists and objects) holds text that is not
    valid Unicode (a lone surrogate, as an undecodable argv byte or a `\\ud800` escape
    becomes): nothing can store or send it, so it is refused before anything runs."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    if isinstance(value, list):
        items: list[tuple[Any, str]] = [(v, f"{where}[{i}]") for i, v in enumerate(value)]
    elif isinstance(value, dict):
        items = [(k, f"{where} (a key)") for k in value]
        items += [(v, f"{where}.{k}") for k, v in value.items()]
    else:
        return None
    for item, path in items:
        found = invalid_text(item, path)
        if found is not None:
            return found
    return None
