"""Settings from environment variables and a `.env` file, read by pydantic-settings.

A key of the config file is a variable named `ZEROCLAW_` and the key's dotted path with
`__` for each dot, in any case: `llm.provider` is `ZEROCLAW_LLM__PROVIDER`,
`plugins.overrides.guard.required` is `ZEROCLAW_PLUGINS__OVERRIDES__GUARD__REQUIRED`. A
list or a table is written as JSON (`ZEROCLAW_TOOLS__ALLOWED='["shell"]'`); any other value
as it is (`8`, `true`, `gpt-4o-mini`). An empty variable counts as not set. pydantic-settings
does the reading (prefix, nesting, case, JSON, the `.env` syntax); this module decides which
names are config keys and says which variable a value came from, so that an error or
`zeroclaw config show --sources` can name it.

Which names are config keys: one whose first part after the prefix is a top-level key of
the config (`data_dir`, `llm`, ...). Other names with `__` are typos of one (reported, with
the closest key); names without `__` that are not keys are other settings (ZEROCLAW_CONFIG,
ZEROCLAW_GATEWAY_TOKEN) or another program's, and are left alone.

The variables the config names rather than sets (API keys, ZEROCLAW_DATABASE_URL,
ZEROCLAW_GATEWAY_TOKEN, ...) are read from the `.env` file too, through one mechanism:
this module reads the file, and the loader gives it to the config it was found for
(`Config.env`, zeroclaw.named_env), where every reader of such a variable looks it up, the
process environment first.

Which `.env` file: the one named by ZEROCLAW_ENV_FILE (it must exist; empty: none), else
`.env` beside the config file in use, if there is one. Not the current directory's: a
checkout of someone else's project may hold a `.env`, and it must not be able to loosen the
tool policy or grant plugins capabilities by being where the command runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from dotenv import dotenv_values
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    SettingsConfigDict,
)

from zeroclaw.config.bounded_toml import TomlLimitError, read_capped_text
from zeroclaw.config.loader import ConfigError
from zeroclaw.config.models import Config
from zeroclaw.named_env import EnvFile

ENV_PREFIX: Final = "ZEROCLAW_"
NESTING: Final = "__"
ENV_FILE_VAR: Final = "ZEROCLAW_ENV_FILE"
ENV_FILE_NAME: Final = ".env"
# A .env file holds a few settings; as for the config file, a larger one is refused unread.
MAX_ENV_FILE_BYTES: Final = 1024 * 1024


class SettingsSourceError(ConfigError):
    """A ZEROCLAW_ variable or the .env file cannot be read as settings."""


class _ConfigShape(BaseSettings, Config):
    """The config's fields as pydantic-settings sees them; only its sources are used (the
    values are merged with the file's and validated as a `Config` by the loader)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTING,
        case_sensitive=False,
        env_ignore_empty=True,
        extra="ignore",
    )


class _NotJson(Exception):
    def __init__(self, name: str, value: str) -> None:
        super().__init__(name)
        self.name, self.value = name, value


class _EnvSource(EnvSettingsSource):
    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)  # type: ignore[arg-type]
        except ValueError:
            raise _NotJson(field_name, str(value)) from None


class _DotEnvSource(DotEnvSettingsSource):
    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)  # type: ignore[arg-type]
        except ValueError:
            raise _NotJson(field_name, str(value)) from None


@dataclass(frozen=True)
class SettingsLayer:
    """The config keys one source sets: nested like the file's data, with the variables
    they came from (lower-cased names, as pydantic-settings matches them)."""

    origin: str  # "the environment", or ".env file PATH"
    data: dict[str, Any]
    variables: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None
    # Every non-empty value of the .env file, names as written: the variables the config
    # names (API keys, ZEROCLAW_DATABASE_URL, ...) are looked up there (Config.env).
    env_file: EnvFile | None = None

    @property
    def kind(self) -> str:
        return ".env" if self.path is not None else "environment"

    def variable_for(self, key: tuple[str | int, ...]) -> str | None:
        """The variable that set `key` (or the table holding it), as usually written."""
        parts = [str(part).lower() for part in key if not isinstance(part, int)]
        for end in range(len(parts), 0, -1):
            name = variable_name(tuple(parts[:end])).lower()
            if name in self.variables:
                return name.upper()
        below = variable_name(tuple(parts)).lower() + NESTING
        for name in self.variables:
            if parts and name.startswith(below):
                return name.upper()
        return None


def variable_name(key: tuple[str, ...]) -> str:
    """`ZEROCLAW_LLM__PROVIDER` for ("llm", "provider")."""
    return ENV_PREFIX + NESTING.join(part.upper() for part in key)


def read_environment(environ: Mapping[str, str] | None = None) -> SettingsLayer:
    """The config keys set by ZEROCLAW_ variables of the process environment."""
    env = os.environ if environ is None else environ
    source = _EnvSource(_ConfigShape)
    source.env_vars = {name.lower(): value for name, value in env.items()}
    return _layer(source, "the environment", None)


def read_env_file(config_path: Path, environ: Mapping[str, str] | None = None) -> SettingsLayer:
    """The config keys set by the .env file (see the module docstring for which one);
    an empty layer when there is none."""
    env = os.environ if environ is None else environ
    named = env.get(ENV_FILE_VAR)
    if named is not None and not named.strip():
        return SettingsLayer("no .env file", {})
    path = Path(named).expanduser() if named else config_path.parent / ENV_FILE_NAME
    if not path.is_file():
        if named:
            raise SettingsSourceError(
                f"{ENV_FILE_VAR} names {path}, which is not a file",
                hint=f"point {ENV_FILE_VAR} at an existing .env file, or set it empty for none",
            )
        return SettingsLayer("no .env file", {})
    try:
        read_capped_text(path, MAX_ENV_FILE_BYTES, regular_only=True)
    except TomlLimitError as exc:
        raise SettingsSourceError(f".env file {path} {exc.problem}", hint=exc.hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsSourceError(
            f"cannot read .env file {path}: {exc}",
            hint=f"a .env file is UTF-8 text; set {ENV_FILE_VAR} empty to read none",
        ) from None
    source = _DotEnvSource(_ConfigShape, env_file=path)
    layer = _layer(source, f".env file {path}", path)
    values = dotenv_values(path, encoding="utf-8")
    set_there = {name: value for name, value in values.items() if value and value.strip()}
    return replace(layer, env_file=EnvFile(path, set_there))


def _layer(source: EnvSettingsSource, origin: str, path: Path | None) -> SettingsLayer:
    # An empty variable is as if unset (pydantic-settings skips only top-level ones).
    source.env_vars = {name: value for name, value in source.env_vars.items() if value}
    variables = {
        name: value
        for name, value in source.env_vars.items()
        if value is not None and _is_setting(name)
    }
    try:
        found = source()
    except _NotJson as exc:
        raise _not_json(exc, variables, origin) from None
    data = {key: value for key, value in found.items() if key in Config.model_fields}
    # Typos of a section go into the data, so that validation reports them as unknown keys
    # with the closest match, as it does in the file.
    for name, value in variables.items():
        parts = name[len(ENV_PREFIX) :].split(NESTING)
        if len(parts) > 1 and parts[0] not in Config.model_fields:
            table = data.setdefault(parts[0], {})
            for part in parts[1:-1]:
                table = table.setdefault(part, {}) if isinstance(table, dict) else {}
            if isinstance(table, dict):
                table[parts[-1]] = value
    return SettingsLayer(origin, data, variables, path)


def _is_setting(name: str) -> bool:
    """A config key's variable, or a typo of one (see the module docstring)."""
    prefix = ENV_PREFIX.lower()
    if not name.startswith(prefix):
        return False
    rest = name[len(prefix) :]
    return NESTING in rest or rest in Config.model_fields


def _not_json(exc: _NotJson, variables: Mapping[str, str], origin: str) -> SettingsSourceError:
    suffix = NESTING + exc.name.lower()
    names = [
        name
        for name, value in variables.items()
        if value == exc.value and (name.endswith(suffix) or name == ENV_PREFIX.lower() + exc.name)
    ]
    name = names[0].upper() if names else variable_name((exc.name,))
    key = ".".join(name[len(ENV_PREFIX) :].lower().split(NESTING))
    return SettingsSourceError(
        f"{name} (in {origin}) sets `{key}`, a list or table, to {exc.value!r}, which is not JSON",
        hint=f'write lists and tables as JSON, e.g. {name}=\'["a", "b"]\' or \'{{"key": 1}}\'',
    )
