"""Finding, reading and validating the config file.

Where the file is: `--config PATH`, else `$ZEROCLAW_CONFIG`, else the platform's config
dir (`zeroclaw config path` prints it). A missing default file means "all defaults"; a
missing file that was asked for by name is an error. Relative paths inside the file are
taken relative to the file's own directory. The environment and a .env file are laid over
the file by `effective.py`; this module knows the file alone.

The file is read with the limits of `bounded_toml`: at most `MAX_CONFIG_BYTES` (checked
before reading), tables and arrays at most 32 levels deep; past either, a `ConfigError`
naming the file, never a parser's own exception.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zeroclaw.config.bounded_toml import TomlLimitError, loads_bounded, read_capped_text
from zeroclaw.config.models import Config, default_config_path
from zeroclaw.config.schema import section_at
from zeroclaw.config.toml_text import toml_key, toml_value
from zeroclaw.errors import ZeroClawError

CONFIG_ENV = "ZEROCLAW_CONFIG"
# Fifty times the size of a config that sets every key; reading more is never needed.
MAX_CONFIG_BYTES = 1024 * 1024
# Beside the config file unless plugins.lock_file says otherwise.
LOCK_FILE_NAME = "plugins.lock"

# Errors of our own validators: their message is the expectation, written as it should read.
_OWN_MESSAGES = frozenset(
    {
        "credential_host",
        "credential_header",
        "credential_secret",
        "public_key",
        "database_url",
    }
)


VALIDATION_HINT = "see docs/config-reference.md, or `zeroclaw config init` for a commented example"


class ConfigError(ZeroClawError):
    """The config file is missing, is not TOML, or has wrong keys or values."""


def resolve_config_path(
    explicit: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Path, bool]:
    """The config path to use, and whether the user named it (so it must exist)."""
    if explicit is not None:
        return explicit.expanduser(), True
    from_env = (os.environ if environ is None else environ).get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser(), True
    return default_config_path(), False


def missing_file_error(path: Path) -> ConfigError:
    return ConfigError(
        f"config file {path} does not exist",
        hint=f"create one with `zeroclaw config init --path {path}`",
    )


def read_config_text(path: Path) -> str:
    try:
        return read_capped_text(path, MAX_CONFIG_BYTES)
    except TomlLimitError as exc:
        raise ConfigError(f"config file {path} {exc.problem}", hint=exc.hint) from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"{path} is not UTF-8 text", hint="a config file is TOML, saved as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror or exc}",
            hint="check that the path names a readable file",
        ) from None


def parse_config(text: str, *, source: Path) -> Config:
    """The config of a file's text, paths anchored at its directory (file only: no
    environment; `zeroclaw.config.effective.load_config` lays that over it)."""
    return anchor_paths(
        validate_config(parse_toml(text, source=source), source=source), source.parent
    )


def parse_toml(text: str, *, source: Path) -> dict[str, Any]:
    """The data of a config file's text, within the limits of bounded_toml."""
    try:
        return loads_bounded(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{source} is not valid TOML: {exc}", hint="fix the syntax at the line shown"
        ) from None
    except TomlLimitError as exc:
        raise ConfigError(f"{source} {exc.problem}", hint=exc.hint) from None


def validate_config(data: dict[str, Any], *, source: Path) -> Config:
    """`data` of the file `source` as a Config, or a ConfigError listing every problem."""
    try:
        # Strict: TOML values carry their type, so "8" or true where a number belongs is a
        # mistake to report, not a value to convert.
        return Config.model_validate(data, strict=True)
    except ValidationError as exc:
        raise ConfigError(
            f"{source} has {exc.error_count()} invalid setting(s):\n"
            + "\n".join(f"  - {line}" for line in describe_validation_error(exc)),
            hint=VALIDATION_HINT,
        ) from None


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
    plugins = config.plugins
    plugins.install_dir = (
        anchored(plugins.install_dir) if plugins.install_dir else config.data_dir / "plugins"
    )
    plugins.lock_file = anchored(plugins.lock_file or Path(LOCK_FILE_NAME))
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
    "is_instance_of": "path (string)",  # the only is-instance check is ConfigPath's
}


def describe_validation_error(exc: ValidationError) -> list[str]:
    """One line per problem: the key's dotted path, what was given and what is expected."""
    return [line for _, line in describe_errors(exc)]


def describe_errors(exc: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    """Each problem's key (as a location) and its line, as describe_validation_error."""
    lines: list[tuple[tuple[str | int, ...], str]] = []
    for error in exc.errors():
        ctx = error.get("ctx") or {}
        # A check across keys (an override looser than its limit) names the key it is about.
        loc = (*error["loc"], *ctx.get("sub_loc", ()))
        key = dotted_key(loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            lines.append((loc, f"`{key}`: unknown key{known_keys_note(loc)}"))
        elif kind == "missing":
            lines.append((loc, f"`{key}`: required key is missing"))
        else:
            given = ctx["given"] if "given" in ctx else error["input"]
            lines.append((loc, f"`{key}`: expected {_expected(error)}, got {_shown(given)}"))
    return lines


def dotted_key(loc: tuple[str | int, ...]) -> str:
    """`llm.providers.mine.kind`, `tools.allowed[2]`: a key as the user would write it."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + toml_key(part)
    return out


def known_keys_note(loc: tuple[str | int, ...]) -> str:
    found = section_at(loc[:-1])
    if found is None:
        return ""
    path, model = found
    valid = list(model.model_fields)
    where = f" in [{dotted_key(path)}]" if path else " at the top level"
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
    guess = f" (did you mean `{close[0]}`?)" if close else ""
    return f"{where}{guess}; valid keys: {', '.join(valid)}"


def _expected(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _EXPECTED:
        return str(_EXPECTED[kind])
    if kind == "literal_error":
        # pydantic quotes the choices Python-style; the file writes strings in double quotes.
        return f"one of {str(ctx.get('expected')).replace(chr(39), chr(34))}"
    if kind in _OWN_MESSAGES:
        return str(error["msg"])
    if kind == "looser_override":
        return f"at most {ctx['limit']} (an override may only tighten plugins.limits.{ctx['key']})"
    for bound, words in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if bound in ctx:
            return f"a value {words} {ctx[bound]}"
    return str(error["msg"]).lower()


def _shown(value: Any) -> str:
    """The given value as it looks in TOML, shortened if long."""
    if isinstance(value, Mapping):
        return "a table"
    try:
        text = toml_value(value)
    except TypeError:  # e.g. a TOML date, or a list holding a table
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
