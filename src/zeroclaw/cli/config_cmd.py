"""`zeroclaw config`: write, check, locate, show, read and change the config.

`show` and `get` report the settings a command would run with (defaults, the file, the
.env file, the environment: config/effective.py); `set` and `unset` change the file
itself, keeping its comments (config/file_edit.py), and say so when the environment
overrides what they wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import tomlkit
import typer
from tomlkit.container import Container
from tomlkit.items import Table

from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.state import err_console, state_of, user_errors
from zeroclaw.config import Config, ConfigError, resolve_config_path
from zeroclaw.config.api_keys import api_key_statuses
from zeroclaw.config.effective import EffectiveConfig, Origin, load_effective
from zeroclaw.config.file_edit import parse_key, read_key, set_key, unset_key, value_from_text
from zeroclaw.config.loader import known_keys_note
from zeroclaw.config.schema import field_at, section_at
from zeroclaw.config.secrets import masked, masked_at
from zeroclaw.config.template import write_template
from zeroclaw.config.toml_text import plain_value, toml_document, toml_dotted, toml_value
from zeroclaw.errors import ZeroClawError
from zeroclaw.memory.location import DATABASE_URL_ENV
from zeroclaw.named_env import ENVIRONMENT

config_app = typer.Typer(
    help="Create, check, inspect and change the config (file, .env and ZEROCLAW_ variables).",
    no_args_is_help=True,
)

KeyArgument = Annotated[str, typer.Argument(metavar="KEY", help="A dotted key, e.g. llm.provider.")]


@config_app.command("path")
def path_command(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Print the config file path in use (--config, else $ZEROCLAW_CONFIG, else the default)."""
    path, named = resolve_config_path(state_of(ctx).config_path)
    if json_output:
        print_json({"path": path, "named": named, "exists": path.is_file()})
        return
    typer.echo(str(path))


@config_app.command("init")
def init_command(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Option("--path", help="Where to write it (default: `zeroclaw config path`)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented config file with every key at its default."""
    target = path.expanduser() if path is not None else _config_path(ctx)
    with user_errors():
        write_template(target, force=force)
    typer.echo(f"wrote {target}")


@config_app.command("validate")
def validate_command(
    ctx: typer.Context,
    path: Annotated[
        Path | None, typer.Argument(help="File to check (default: `zeroclaw config path`).")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Check the config file, with the .env file and ZEROCLAW_ variables laid over it: exit 0
    if the settings are valid, else list every problem and exit 1."""
    use_json(json_output)
    explicit = path if path is not None else state_of(ctx).config_path
    with user_errors():
        effective = load_effective(explicit)
    if json_output:
        print_json(
            {
                "ok": True,
                "file": effective.path,
                "file_exists": effective.file_exists,
                "layers": [
                    {
                        "origin": layer.origin,
                        "variables": sorted(name.upper() for name in layer.variables),
                    }
                    for layer in effective.layers
                ],
            }
        )
        return
    if effective.file_exists:
        typer.echo(f"OK: {effective.path}")
    else:
        typer.echo(f"OK: no file at {effective.path}; the defaults apply")
    for layer in effective.layers:
        typer.echo(f"  with {len(layer.variables)} variable(s) from {layer.origin}")


@config_app.command("show")
def show_command(
    ctx: typer.Context,
    sources: Annotated[
        bool,
        typer.Option(
            "--sources",
            help="Say after each value where it came from: default, file, .env or environment "
            "(and which variable).",
        ),
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Print the effective settings as TOML: resolved paths, secrets masked (API keys, MCP
    servers' env values and headers)."""
    use_json(json_output)
    effective = state_of(ctx).effective()
    data = _effective_data(effective.config)
    if json_output:
        print_json(_show_shape(effective, data))
        return
    lines = ["# Effective ZeroClaw configuration", *_source_lines(effective), "#"]
    lines += _api_key_lines(effective.config)
    lines += _database_lines(effective.config)
    document = tomlkit.parse(toml_document(data))
    if sources:
        _comment_origins(document, (), effective)
    typer.echo("\n".join(lines) + "\n\n" + document.as_string(), nl=False)


@config_app.command("get")
def get_command(ctx: typer.Context, key: KeyArgument, json_output: JsonFlag = False) -> None:
    """Print the effective value of KEY: text as it is, other values and tables as TOML.
    An unset key prints an empty line."""
    use_json(json_output)
    with user_errors():
        parts = parse_key(key)
        _require_known(parts)
    effective = state_of(ctx).effective()
    _, value = read_key(_effective_data(effective.config), parts)
    if json_output:
        print_json(
            {
                "key": toml_dotted(parts),
                "value": value,
                "source": _origin_shape(effective.origin(parts)),
            }
        )
    elif isinstance(value, dict):
        typer.echo(toml_document(value, at=parts), nl=False)
    elif isinstance(value, str):
        typer.echo(value)
    else:
        typer.echo("" if value is None else toml_value(value))


@config_app.command("set")
def set_command(
    ctx: typer.Context,
    key: KeyArgument,
    value: Annotated[
        str,
        typer.Argument(
            metavar="VALUE",
            help='Text as it is for text keys; otherwise a TOML value: 8, true, ["a", "b"].',
        ),
    ],
    json_output: JsonFlag = False,
) -> None:
    """Set KEY to VALUE in the config file, keeping its comments and layout. The whole file
    is validated first; an invalid value changes nothing."""
    use_json(json_output)
    path = _config_path(ctx)
    with user_errors():
        parts = parse_key(key)
        edit = set_key(path, parts, value_from_text(parts, value))
    override = _override(ctx, parts)
    if json_output:
        print_json(
            {
                "key": toml_dotted(parts),
                "file": path,
                "created": edit.created,
                "value": _masked_plain(parts, edit.after),
                "was": None if edit.before is None else _masked_plain(parts, edit.before),
                "overridden_by": None if override is None else _origin_shape(override),
            }
        )
        return
    was = "" if edit.before is None else f" (was {_shown(parts, edit.before)})"
    made = " (new file)" if edit.created else ""
    typer.echo(f"set {toml_dotted(parts)} = {_shown(parts, edit.after)} in {path}{made}{was}")
    _note_override(override)


@config_app.command("unset")
def unset_command(ctx: typer.Context, key: KeyArgument, json_output: JsonFlag = False) -> None:
    """Remove KEY from the config file (its default applies again), keeping the rest of
    the file as it is. A key that is not in the file changes nothing."""
    use_json(json_output)
    path = _config_path(ctx)
    with user_errors():
        parts = parse_key(key)
        _require_known(parts)
        edit = unset_key(path, parts)
    override = _override(ctx, parts) if edit.before is not None else None
    if json_output:
        print_json(
            {
                "key": toml_dotted(parts),
                "file": path,
                "removed": edit.before is not None,
                "was": None if edit.before is None else _masked_plain(parts, edit.before),
                "overridden_by": None if override is None else _origin_shape(override),
            }
        )
        return
    if edit.before is None:
        typer.echo(f"{toml_dotted(parts)} is not set in {path}; nothing changed")
        return
    typer.echo(f"removed {toml_dotted(parts)} from {path} (was {_shown(parts, edit.before)})")
    _note_override(override)


# -- where things come from ----------------------------------------------------------------


def _shown(key: tuple[str, ...], value: Any) -> str:
    """A value `set` or `unset` echoes, as TOML, its secrets masked."""
    return toml_value(_masked_plain(key, value))


def _masked_plain(key: tuple[str, ...], value: Any) -> Any:
    return masked_at(key, plain_value(value))


def _config_path(ctx: typer.Context) -> Path:
    return resolve_config_path(state_of(ctx).config_path)[0]


def _require_known(key: tuple[str, ...]) -> None:
    if field_at(key) is not None or section_at(key) is not None:
        return
    raise ConfigError(
        f"`{toml_dotted(key)}` is not a config key{known_keys_note(key)}",
        hint="see docs/config-reference.md for every key",
    )


def _override(ctx: typer.Context, key: tuple[str, ...]) -> Origin | None:
    """The variable (environment or .env) that wins over the file's value of `key`."""
    try:
        origin = load_effective(state_of(ctx).config_path).origin(key)
    except ConfigError:
        return None  # the environment has problems of its own; the next command reports them
    return origin if origin.kind in ("environment", ".env") else None


def _note_override(origin: Origin | None) -> None:
    if origin is not None:
        err_console.print(
            f"note: {origin.describe()} overrides the file's value", highlight=False, markup=False
        )


def _effective_data(config: Config) -> dict[str, Any]:
    # Show where things really go, not "unset": the paths the runtime derives from data_dir.
    data = config.model_dump(exclude_none=True)
    data["tools"]["workspace"] = config.workspace
    data["memory"]["path"] = config.memory_path
    plain: dict[str, Any] = plain_value(masked(data))
    return plain


def _source_lines(effective: EffectiveConfig) -> list[str]:
    if effective.file_exists:
        lines = [f"# source: {effective.path}"]
    else:
        lines = [f"# source: defaults, no file at {effective.path}"]
    for layer in effective.layers:
        names = ", ".join(sorted(name.upper() for name in layer.variables))
        lines.append(f"# over it, from {layer.origin}: {names}")
    return lines


def _comment_origins(
    container: Container | Table, at: tuple[str, ...], effective: EffectiveConfig
) -> None:
    body = container.value.body if isinstance(container, Table) else container.body
    for key, item in body:
        if key is None:
            continue
        if isinstance(item, Table):
            _comment_origins(item, (*at, key.key), effective)
        else:
            item.comment(effective.origin((*at, key.key)).short())


def _show_shape(effective: EffectiveConfig, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "file": effective.path,
        "file_exists": effective.file_exists,
        "env_file": effective.env_file,
        "config": data,
        "sources": {
            toml_dotted(key): _origin_shape(effective.origin(key)) for key in _leaves(data, ())
        },
        "api_keys": [
            {
                "provider": status.provider,
                "env_var": status.env_var,
                "set": status.present,
                "masked": status.masked,
            }
            for status in api_key_statuses(effective.config)
        ],
    }


def _origin_shape(origin: Origin) -> dict[str, Any]:
    return {"kind": origin.kind, "path": origin.path, "variable": origin.variable}


def _leaves(data: dict[str, Any], at: tuple[str, ...]) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            found += _leaves(value, (*at, key))
        else:
            found.append((*at, key))
    return found


def _database_lines(config: Config) -> list[str]:
    """Where the memory lives, when it is PostgreSQL: the URL with its password masked
    (and where it came from, memory.url or the environment)."""
    if config.memory.backend != "postgres":
        return []
    source = "memory.url" if config.memory.url is not None else DATABASE_URL_ENV
    try:
        shown = config.memory_location().display
    except ZeroClawError as exc:
        shown = f"not usable: {exc.message}"
    return ["#", f"# Memory database ({source}): {shown}"]


def _api_key_lines(config: Config) -> list[str]:
    statuses = api_key_statuses(config)
    if not statuses:
        return ["# No provider reads an API key from the environment."]
    width = max(len(status.provider) for status in statuses)
    env_width = max(len(status.env_var) for status in statuses)
    return [
        "# API keys, from the variables named by api_key_env (environment, else .env file):"
    ] + [
        f"#   {status.provider:<{width}}  {status.env_var:<{env_width}}  {status.masked}"
        + (f" (from {status.origin})" if status.origin and status.origin != ENVIRONMENT else "")
        for status in statuses
    ]
