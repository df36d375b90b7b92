"""The config's shape, read from the models: sections, keys, types, defaults, examples.

The commented template (`zeroclaw config init`), docs/config-reference.md and the
loader's error messages all describe the config; they read it from here, so a key added
to models.py shows up in all three without being written down twice.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from zeroclaw.config.models import PLATFORM_DEFAULT, Config
from zeroclaw.config.toml_text import toml_key
from zeroclaw.section import Section

# Stands for the user-chosen name of an entry of a named table, as in [llm.providers.<name>].
NAME = "<name>"

_TYPE_NAMES: dict[Any, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    Path: "path",
}


@dataclass(frozen=True)
class KeySchema:
    """One plain key (not a table) of a section."""

    name: str
    type_text: str
    default: Any  # this machine's value when platform_default is set
    description: str
    example: Any
    platform_default: str | None  # how the default is chosen, when it depends on the machine
    required: bool = False

    @property
    def unset_by_default(self) -> bool:
        """Whether the key is absent from a default config (None, empty, or machine-specific)."""
        return self.platform_default is not None or self.default is None or self.default == []


@dataclass(frozen=True)
class NamedTables:
    """What a table of user-named entries is for, e.g. [llm.providers]."""

    description: str
    example: dict[str, Any] | None
    builtin: tuple[str, ...]


@dataclass(frozen=True)
class SectionSchema:
    """One table of the config, addressed by its dotted path."""

    path: tuple[str, ...]
    model: type[BaseModel]
    description: str
    keys: tuple[KeySchema, ...]
    named: NamedTables | None = None  # set on the entry of a named table: [llm.providers.<name>]

    @property
    def inside_named(self) -> bool:
        return NAME in self.path

    @property
    def title(self) -> str:
        """The dotted path as a reader writes it, e.g. `llm.providers.<name>`."""
        return ".".join(part if part == NAME else toml_key(part) for part in self.path)


def sections(
    model: type[BaseModel] = Config,
    path: tuple[str, ...] = (),
    description: str | None = None,
    named: NamedTables | None = None,
) -> Iterator[SectionSchema]:
    """Every section of `model`, in file order: a section, then the sections inside it."""
    yield SectionSchema(
        path=path,
        model=model,
        description=description or _doc(model),
        keys=tuple(_key(name, field) for name, field in _plain_fields(model)),
        named=named,
    )
    for name, field in model.model_fields.items():
        kind, inner = table_kind(field.annotation)
        if kind == "table":
            yield from sections(inner, (*path, name), field.description)
        elif kind == "named":
            entries = NamedTables(
                description=field.description or "",
                example=field.examples[0] if field.examples else None,
                builtin=tuple(field.get_default(call_default_factory=True)),
            )
            yield from sections(inner, (*path, name, NAME), _doc(inner), entries)


def table_kind(annotation: Any) -> tuple[str, type[BaseModel]]:
    """("table", Model) for a sub-table, ("named", Model) for dict[str, Model], else ("key", _)."""
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table", annotation
    if get_origin(annotation) is dict:
        value = _unwrap(get_args(annotation)[1])
        if isinstance(value, type) and issubclass(value, BaseModel):
            return "named", value
    return "key", BaseModel


def section_at(loc: tuple[str | int, ...]) -> tuple[tuple[str, ...], type[BaseModel]] | None:
    """The path and model of the section that `loc` (keys, as in a validation error) names."""
    model: type[BaseModel] = Config
    path: list[str] = []
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        kind, inner = table_kind(field.annotation)
        if kind == "key":
            return None
        path.append(str(part))
        if kind == "named":
            if not parts:
                return None
            path.append(str(parts.pop(0)))
        model = inner
    return tuple(path), model


def field_at(key: tuple[str, ...]) -> FieldInfo | None:
    """The field a dotted key names (entries of named tables by their name), or None."""
    if not key:
        return None
    found = section_at(key[:-1])
    if found is None or len(found[0]) != len(key) - 1:
        return None
    return found[1].model_fields.get(key[-1])


def type_text(field: FieldInfo) -> str:
    """The key's type in words, with its bounds: "integer, 1 to 100"."""
    words = _type_words(field.annotation)
    bounds = _bounds(field)
    return f"{words}, {bounds}" if bounds else words


def _plain_fields(model: type[BaseModel]) -> Iterator[tuple[str, FieldInfo]]:
    for name, field in model.model_fields.items():
        if table_kind(field.annotation)[0] == "key":
            yield name, field


def _key(name: str, field: FieldInfo) -> KeySchema:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    platform = extra.get(PLATFORM_DEFAULT)
    return KeySchema(
        name=name,
        type_text=type_text(field),
        default=None if field.is_required() else field.get_default(call_default_factory=True),
        description=field.description or "",
        example=field.examples[0] if field.examples else None,
        platform_default=str(platform) if platform else None,
        required=field.is_required(),
    )


def _doc(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


def _unwrap(annotation: Any) -> Any:
    """The type without Annotated metadata and without `| None`."""
    if get_origin(annotation) is Annotated:
        return _unwrap(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(options) == 1:
            return _unwrap(options[0])
    return annotation


def _type_words(annotation: Any, plural: bool = False) -> str:
    """A type as a reader of the TOML file writes it: `"sqlite" | "postgres"`, `list of strings`.

    Never a Python repr: every shape the models use has words here, and an unknown one is
    a bug the reference test catches (it looks for `typing.` and brackets).
    """
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        return " | ".join(f'"{choice}"' for choice in get_args(annotation))
    if origin is list:
        item = get_args(annotation)[0]
        if get_origin(_unwrap(item)) is Literal:
            return f"list of {_type_words(item)}"
        return f"list of {_type_words(item, plural=True)}"
    if origin is dict:
        value = get_args(annotation)[1]
        if get_origin(_unwrap(value)) is Literal:
            return f"table of {_type_words(value)}"
        return f"table of {_type_words(value, plural=True)}"
    if origin in (Union, types.UnionType):
        args = get_args(annotation)
        if len(args) == 2 and get_origin(args[1]) is list and get_args(args[1])[0] == args[0]:
            return f"{_type_words(args[0])}, or a list of them"  # observability.backend
        return " or ".join(_type_words(arg, plural) for arg in args)
    if annotation is Any:
        return "any values" if plural else "any value"
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return "inline tables" if plural else "inline table"
    name = _TYPE_NAMES.get(annotation)
    if name is None:
        raise TypeError(f"no words for the config type {annotation!r}: add it to _type_words")
    return name + "s" if plural else name


def _bounds(field: FieldInfo) -> str:
    found: dict[str, Any] = {}
    for item in field.metadata:
        for bound in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, bound.capitalize())):
                found[bound] = getattr(item, bound)
    if "ge" in found and "le" in found:
        return f"{found['ge']} to {found['le']}"
    words = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    return ", ".join(f"{words[bound]} {value}" for bound, value in found.items())
