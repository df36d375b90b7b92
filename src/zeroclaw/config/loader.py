"""Finding, reading and validating the config file.

Where the file is: `--config PATH`, else `$ZEROCLAW_CONFIG`, else the platform's config
dir (`zeroclaw config path` prints it). A missing default file means "all defaults"; a
missing file that was asked for by name is an error. Relative paths inside the file are
taken relative to the file's own directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zeroclaw.config.models import Config, default_config_path
from zeroclaw.errors import ZeroClawError

CONFIG_ENV = "ZEROCLAW_CONFIG"


class ConfigError(ZeroClawError):
    """The config file is missing, is not TOML, or has wrong keys or values."""


def resolve_config_path(explicit: Path | None = None) -> tuple[Path, bool]:
    """The config path to use, and whether the user named it (so it must exist)."""
    if explicit is not None:
        return explicit.expanduser(), True
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser(), True
    return default_config_path(), False


def load_config(explicit: Path | None = None) -> Config:
    path, named = resolve_config_path(explicit)
    if not path.exists():
        if named:
            raise ConfigError(
                f"config file {path} does not exist",
                hint=f"create one with `zeroclaw config init --path {path}`",
            )
        return Config()
    return parse_config(path.read_text(encoding="utf-8"), source=path)


def parse_config(text: str, *, source: Path) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{source} is not valid TOML: {exc}", hint="fix the syntax at the line shown"
        ) from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"{source} has {exc.error_count()} invalid setting(s):\n"
            + "\n".join(f"  - {line}" for line in describe_validation_error(exc)),
            hint="see docs/config-reference.md, or `zeroclaw config init` for a commented example",
        ) from None
    return anchor_paths(config, source.parent)


def anchor_paths(config: Config, base: Path) -> Config:
    """Make every relative path of the config relative to `base` (the file's directory)."""

    def anchored(path: Path) -> Path:
        path = path.expanduser()
        return path if path.is_absolute() else (base / path).resolve()

    config.data_dir = anchored(config.data_dir)
    if config.tools.workspace is not None:
        config.tools.workspace = anchored(config.tools.workspace)
    if config.memory.path is not None:
        config.memory.path = anchored(config.memory.path)
    config.plugins.dirs = [anchored(d) for d in config.plugins.dirs]
    for provider in config.llm.providers.values():
        if provider.script is not None:
            provider.script = anchored(provider.script)
    return config


_EXPECTED = {
    "int_parsing": "integer",
    "int_type": "integer",
    "int_from_float": "integer",
    "float_parsing": "number",
    "float_type": "number",
    "bool_parsing": "boolean (true or false)",
    "bool_type": "boolean (true or false)",
    "string_type": "string",
    "list_type": "list",
    "dict_type": "table",
    "model_type": "table",
    "model_attributes_type": "table",
    "path_type": "path (string)",
}


def describe_validation_error(exc: ValidationError) -> list[str]:
    """One line per problem: the key's dotted path, what was given and what is expected."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            lines.append(f"`{key}`: unknown key (check the spelling and the section it is in)")
        elif kind == "missing":
            lines.append(f"`{key}`: required key is missing")
        else:
            lines.append(f"`{key}`: expected {_expected(error)}, got {_shown(error['input'])}")
    return lines


def _expected(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _EXPECTED:
        return str(_EXPECTED[kind])
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    for bound, words in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if bound in ctx:
            return f"a value {words} {ctx[bound]}"
    return str(error["msg"]).lower()


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return repr(value)
