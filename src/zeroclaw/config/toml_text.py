"""TOML text of Python values, written by tomlkit.

The config is written in three places: `zeroclaw config set` edits the user's file,
`config init` writes the commented template, and the docs and error messages quote keys
and values as they look in a file. All three go through tomlkit, which keeps a file's
comments and layout when it changes one key; this module only turns the config's own
value types into what tomlkit takes (a path is a string, a tuple a list, a mapping an
inline table where one value is written) and refuses anything else with a `TypeError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import tomlkit
from tomlkit.items import Item


def toml_key(key: str) -> str:
    """`key` as written in a file: bare when it may be, else quoted."""
    return tomlkit.key(key).as_string()


def toml_dotted(path: tuple[str, ...]) -> str:
    """A dotted key, e.g. `plugins.overrides."my plugin".required`."""
    return ".".join(toml_key(part) for part in path)


def toml_value(value: Any) -> str:
    """One TOML value: string, path, integer, float, boolean, a list of these, or a
    mapping as an inline table."""
    return toml_item(value).as_string()


def toml_item(value: Any) -> Item:
    """A tomlkit item of `value`, mappings as inline tables."""
    plain = plain_value(value)
    if isinstance(plain, Mapping):
        table = tomlkit.inline_table()
        table.update({key: toml_item(item) for key, item in plain.items()})
        return table
    if isinstance(plain, list):
        array = tomlkit.array()
        array.extend(toml_item(item) for item in plain)
        return array
    item: Item = tomlkit.item(plain)
    return item


def toml_document(table: Mapping[str, Any], at: tuple[str, ...] = ()) -> str:
    """The TOML document of `table` placed at the dotted path `at`: plain keys first, then
    one [header] per sub-table (tables that hold only tables get no header of their own)."""
    for part in reversed(at):
        table = {part: table}
    return tomlkit.dumps(plain_value(table))


def plain_value(value: Any) -> Any:
    """`value` with paths as strings and tuples as lists; TypeError for what TOML lacks."""
    # bool first: True is an int to Python, and stays a bool.
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): plain_value(item) for key, item in value.items()}
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value: {value!r}")
