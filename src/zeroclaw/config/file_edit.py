"""Changing one key of the user's config file: `zeroclaw config set` and `config unset`.

The file is parsed by tomlkit, which keeps every comment, blank line, quoting style and
the order of what it does not touch; the key is changed where it is (or added at the end
of its table, the table created if needed). The whole new text is then read back as the
loader reads a file (the same limits, strict validation against the models) before
anything is written: a change that would make the file invalid is refused with the
loader's own error lines, and the file stays as it was. The new file replaces the old
one atomically, keeping its permissions.

A VALUE on the command line is text. For a key whose type is text (a string, a path, one
of a set of words) it is taken as it is, so `config set llm.model gpt-4o` needs no quotes;
for any other key it is read as a TOML value (`8`, `true`, `["a", "b"]`,
`{threshold = 3}`), and what does not read as one is kept as text so that validation says
what was expected.
"""

from __future__ import annotations

import tomllib
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import tomlkit
from pydantic import ValidationError
from tomlkit.container import Container
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Comment, Table

from zeroclaw.config.atomic_file import write_atomically
from zeroclaw.config.bounded_toml import TomlLimitError, check_nesting, loads_bounded
from zeroclaw.config.loader import (
    VALIDATION_HINT,
    ConfigError,
    describe_validation_error,
    parse_toml,
    read_config_text,
)
from zeroclaw.config.models import Config
from zeroclaw.config.schema import field_at, table_kind
from zeroclaw.config.toml_text import toml_dotted, toml_item, toml_key

_TEXT_TYPES: tuple[type, ...] = (str, Path)

_NEW_ENTRY_HINT = (
    "a new entry of a named table needs its required keys at once: set it whole, as an "
    "inline table, e.g. zeroclaw config set llm.routes.fast "
    '\'{provider = "openai", model = "gpt-4o-mini"}\''
)


@dataclass(frozen=True)
class Edit:
    """What `set_key` or `unset_key` did to the file."""

    path: Path
    key: tuple[str, ...]
    before: Any  # the file's value before (None: it was not in the file)
    after: Any  # the file's value after (None: removed)
    created: bool = False  # the file did not exist and was made


def parse_key(text: str) -> tuple[str, ...]:
    """`plugins.overrides."my plugin".required` as its parts; ConfigError if not a key."""
    problem = ConfigError(
        f"{text!r} is not a config key",
        hint="write a key as its dotted path, e.g. llm.provider or plugins.limits.timeout_ms; "
        "see docs/config-reference.md",
    )
    if not text.strip() or any(char in text for char in "=\n\r#[]{}"):
        raise problem
    try:
        check_nesting(text)
        data: Any = tomllib.loads(f"{text} = 0")
    except (tomllib.TOMLDecodeError, TomlLimitError):
        raise problem from None
    parts: list[str] = []
    while isinstance(data, dict) and len(data) == 1:
        (name, data) = next(iter(data.items()))
        parts.append(name)
    if data != 0:
        raise problem
    return tuple(parts)


def value_from_text(key: tuple[str, ...], text: str) -> Any:
    """VALUE as the key's type wants it (see the module docstring)."""
    field = field_at(key)
    if field is not None and _is_text(field.annotation):
        return text
    try:
        return loads_bounded(f"value = {text}")["value"]
    except (tomllib.TOMLDecodeError, TomlLimitError):
        return text


def set_key(path: Path, key: tuple[str, ...], value: Any) -> Edit:
    """Set `key` to `value` in the file at `path` (made if missing), validated first."""
    _refuse_tables(key)
    document, created = _read_document(path)
    container: Any = document
    for index, part in enumerate(key[:-1]):
        if part not in container:
            # A table that only holds the next table gets no header of its own.
            container[part] = tomlkit.table(is_super_table=index < len(key) - 2)
        child = container[part]
        if not isinstance(child, Container | Table | dict):
            raise ConfigError(
                f"cannot set {toml_dotted(key)}: {toml_dotted(key[: index + 1])} is a value "
                "in the file, not a table",
                hint=f"unset it first: zeroclaw config unset {toml_dotted(key[: index + 1])}",
            )
        container = child
    before = container.get(key[-1])
    if before is None:
        _add_in_place(container, key[-1], toml_item(value))
    else:
        container[key[-1]] = toml_item(value)
    _write_checked(path, document, key)
    return Edit(path, key, _plain(before), value, created)


def unset_key(path: Path, key: tuple[str, ...]) -> Edit:
    """Remove `key` from the file (its default, or the environment's value, applies again);
    tables left empty by it are removed too. A key not in the file changes nothing."""
    document, _ = _read_document(path)
    chain: list[Any] = [document]
    for part in key[:-1]:
        child = chain[-1].get(part) if isinstance(chain[-1], dict) else None
        if child is None:
            return Edit(path, key, None, None)
        chain.append(child)
    parent = chain[-1]
    if not isinstance(parent, dict) or key[-1] not in parent:
        return Edit(path, key, None, None)
    before = _plain(parent[key[-1]])
    del parent[key[-1]]
    for depth in range(len(chain) - 1, 0, -1):
        if len(chain[depth]) == 0:
            del chain[depth - 1][key[depth - 1]]
    _write_checked(path, document, key)
    return Edit(path, key, before, None)


def read_key(data: Any, key: tuple[str, ...]) -> tuple[bool, Any]:
    """(found, value) of `key` in nested data (a config dump or a file's data)."""
    for part in key:
        if not isinstance(data, dict) or part not in data:
            return False, None
        data = data[part]
    return True, data


def _read_document(path: Path) -> tuple[tomlkit.TOMLDocument, bool]:
    if not path.exists():
        return tomlkit.document(), True
    text = read_config_text(path)
    parse_toml(text, source=path)  # the loader's limits and syntax errors, first
    try:
        return tomlkit.parse(text), False
    except TOMLKitError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix it by hand") from None


def _write_checked(path: Path, document: tomlkit.TOMLDocument, key: tuple[str, ...]) -> None:
    text = document.as_string()
    data = parse_toml(text, source=path)
    try:
        Config.model_validate(data, strict=True)
    except ValidationError as exc:
        missing = any(error["type"] == "missing" for error in exc.errors())
        raise ConfigError(
            f"not changed: with that, {path} would have {exc.error_count()} invalid "
            "setting(s):\n" + "\n".join(f"  - {line}" for line in describe_validation_error(exc)),
            hint=_NEW_ENTRY_HINT if missing else VALIDATION_HINT,
        ) from None
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check that the file and its directory are writable",
        ) from None


def _add_in_place(container: Any, name: str, item: Any) -> None:
    """Add a new key where a reader looks for it: just below its commented-out example
    (`# name = ...`, as `config init` writes them), else after the table's last value
    (not after the comment that introduces the next table)."""
    body = container.value if isinstance(container, Table) else container
    insert_at = getattr(body, "_insert_at", None)
    entries = getattr(body, "body", None)
    if not isinstance(body, Container) or insert_at is None or entries is None:
        container[name] = item
        return
    example = f"# {toml_key(name)} ="
    position: int | None = None
    for index, (entry_key, entry) in enumerate(entries):
        if isinstance(entry, Comment) and str(entry).strip().startswith(example):
            position = index + 1
            break
        if entry_key is not None and not isinstance(entry, Table):
            position = index + 1
    if position is None or position >= len(entries):
        container[name] = item
    else:
        insert_at(position, name, item)


def _refuse_tables(key: tuple[str, ...]) -> None:
    field = field_at(key)
    if field is None:
        return  # an unknown key: validation names it, with the closest one
    kind, model = table_kind(field.annotation)
    if kind != "key":
        inside = f"{toml_dotted(key)}.<name>" if kind == "named" else toml_dotted(key)
        keys = ", ".join(model.model_fields)
        raise ConfigError(
            f"{toml_dotted(key)} is a table, not a value",
            hint=f"set its keys one by one: zeroclaw config set {inside}.KEY VALUE ({keys})",
        )


def _is_text(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_text(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return all(_is_text(arg) for arg in get_args(annotation) if arg is not type(None))
    if origin is Literal:
        return all(isinstance(choice, str) for choice in get_args(annotation))
    if origin is not None:
        return False
    return isinstance(annotation, type) and issubclass(annotation, _TEXT_TYPES)


def _plain(item: Any) -> Any:
    """A tomlkit item as plain Python (None stays None)."""
    if item is None:
        return None
    unwrap = getattr(item, "unwrap", None)
    return unwrap() if callable(unwrap) else item
