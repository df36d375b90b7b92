"""The settings a command runs with, and where each one came from.

Precedence, lowest first: the defaults of models.py, the config file, the `.env` file,
the process environment; a command's own options (`agent --provider`, `gateway --port`)
are applied after, by the command. A later source replaces a value of an earlier one; tables
merge key by key, and a list is replaced whole.

The file is validated on its own first, strictly, so its mistakes are reported as they
always were (naming the file). The environment's values are text, so the merged settings
are validated again in pydantic's lax mode (`"8"` is an integer there, `"yes"` a boolean),
and a mistake is reported with the key's dotted path, as for the file, and the variable
that set it. Relative paths, wherever they come from, are anchored at the config file's
directory, so one rule holds for all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zeroclaw.config.environment import SettingsLayer, read_env_file, read_environment
from zeroclaw.config.loader import (
    VALIDATION_HINT,
    ConfigError,
    anchor_paths,
    describe_errors,
    missing_file_error,
    parse_toml,
    read_config_text,
    resolve_config_path,
    validate_config,
)
from zeroclaw.config.models import Config


@dataclass(frozen=True)
class Origin:
    """Where one value came from."""

    kind: str  # "default", "file", ".env" or "environment"
    path: Path | None = None  # the config file or the .env file
    variable: str | None = None  # the variable, for ".env" and "environment"

    def describe(self) -> str:
        if self.kind == "file":
            return f"file {self.path}"
        if self.kind == ".env":
            return f"{self.variable} in .env file {self.path}"
        if self.kind == "environment":
            return f"{self.variable} in the environment"
        return "default"

    def short(self) -> str:
        """As a comment after a value, under a header that names the files."""
        if self.kind in ("environment", ".env"):
            return f"{'env' if self.kind == 'environment' else '.env'} {self.variable}"
        return self.kind


@dataclass(frozen=True)
class EffectiveConfig:
    """The merged config, the file it read (None: no file, defaults), what the file set,
    and the environment layers that set anything, lowest first."""

    config: Config
    path: Path
    file_exists: bool
    file_data: dict[str, Any]
    layers: tuple[SettingsLayer, ...]

    def origin(self, key: tuple[str | int, ...]) -> Origin:
        return origin_of(key, self.path, self.file_data, self.layers)

    @property
    def env_file(self) -> Path | None:
        return next((layer.path for layer in self.layers if layer.path is not None), None)


def load_config(explicit: Path | None = None) -> Config:
    """The config a command runs with (see the module docstring)."""
    return load_effective(explicit).config


def load_effective(
    explicit: Path | None = None, environ: Mapping[str, str] | None = None
) -> EffectiveConfig:
    path, named = resolve_config_path(explicit, environ)
    file_data: dict[str, Any] = {}
    exists = path.exists()
    if exists:
        file_data = parse_toml(read_config_text(path), source=path)
        config = validate_config(file_data, source=path)
    elif named:
        raise missing_file_error(path)
    else:
        config = Config()
    env_file = read_env_file(path, environ)
    layers = tuple(layer for layer in (env_file, read_environment(environ)) if layer.data)
    if layers:
        config = _validate_layered(file_data, layers, path)
    anchored = anchor_paths(config, path.parent).with_env_file(env_file.env_file)
    return EffectiveConfig(anchored, path, exists, file_data, layers)


def _validate_layered(
    file_data: dict[str, Any], layers: tuple[SettingsLayer, ...], path: Path
) -> Config:
    merged: dict[str, Any] = {}
    for data in (file_data, *(layer.data for layer in layers)):
        merged = deep_merge(merged, data)
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        lines = [
            f"  - {line} (from {origin_of(loc, path, file_data, layers).describe()})"
            for loc, line in describe_errors(exc)
        ]
        sources = ", ".join(layer.origin for layer in reversed(layers))
        raise ConfigError(
            f"the settings from {sources} have {exc.error_count()} invalid value(s):\n"
            + "\n".join(lines),
            hint="fix or unset the variable named (lists and tables are written as JSON); "
            + VALIDATION_HINT,
        ) from None


def deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `over` laid on it: tables merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def origin_of(
    key: tuple[str | int, ...],
    path: Path,
    file_data: Mapping[str, Any],
    layers: tuple[SettingsLayer, ...],
) -> Origin:
    """Where the value at `key` came from: the last layer that set it, else the file, else
    its default."""
    for layer in reversed(layers):
        variable = layer.variable_for(key) if _in_data(layer.data, key) else None
        if variable is not None:
            kind = ".env" if layer.path is not None else "environment"
            return Origin(kind, layer.path, variable)
    if _in_data(file_data, key):
        return Origin("file", path)
    return Origin("default")


def _in_data(data: Any, key: tuple[str | int, ...]) -> bool:
    for part in key:
        if isinstance(data, Mapping):
            if part not in data:
                return False
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int):
            return True  # an item of a list the file set
        else:
            return True
    return True
