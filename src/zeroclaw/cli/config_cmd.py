"""`zeroclaw config`: write, check, locate and show the config file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from zeroclaw.cli.state import state_of, user_errors
from zeroclaw.config import Config, load_config, resolve_config_path
from zeroclaw.config.api_keys import api_key_statuses, mask_secret
from zeroclaw.config.template import write_template
from zeroclaw.config.toml_text import toml_document

config_app = typer.Typer(help="Create, check and inspect the config file.", no_args_is_help=True)


@config_app.command("path")
def path_command(ctx: typer.Context) -> None:
    """Print the config file path in use (--config, else $ZEROCLAW_CONFIG, else the default)."""
    path, _ = resolve_config_path(state_of(ctx).config_path)
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
) -> None:
    """Check a config file: exit 0 if it is valid, else list every problem and exit 1."""
    explicit = path if path is not None else state_of(ctx).config_path
    resolved, _ = resolve_config_path(explicit)
    with user_errors():
        load_config(explicit)
    if resolved.exists():
        typer.echo(f"OK: {resolved}")
    else:
        typer.echo(f"OK: no file at {resolved}; the defaults apply")


@config_app.command("show")
def show_command(ctx: typer.Context) -> None:
    """Print the effective config as TOML, with resolved paths and secrets masked (API
    keys, MCP servers' env values and headers)."""
    config = state_of(ctx).config()
    path = _config_path(ctx)
    source = str(path) if path.exists() else f"defaults, no file at {path}"
    lines = ["# Effective ZeroClaw configuration", f"# source: {source}", "#"]
    lines += _api_key_lines(config)
    typer.echo("\n".join(lines) + "\n\n" + toml_document(_effective(config)), nl=False)


def _config_path(ctx: typer.Context) -> Path:
    return resolve_config_path(state_of(ctx).config_path)[0]


def _effective(config: Config) -> dict[str, Any]:
    # Show where things really go, not "unset": the paths the runtime derives from data_dir.
    data = config.model_dump(exclude_none=True)
    data["tools"]["workspace"] = config.workspace
    data["memory"]["path"] = config.memory_path
    # MCP servers' env values and headers are credentials more often than not.
    for server in data["mcp"]["servers"]:
        for table in ("env", "headers"):
            server[table] = {key: mask_secret(value) for key, value in server[table].items()}
    return data


def _api_key_lines(config: Config) -> list[str]:
    statuses = api_key_statuses(config)
    if not statuses:
        return ["# No provider reads an API key from the environment."]
    width = max(len(status.provider) for status in statuses)
    env_width = max(len(status.env_var) for status in statuses)
    return ["# API keys, from the environment variables named by api_key_env:"] + [
        f"#   {status.provider:<{width}}  {status.env_var:<{env_width}}  {status.masked}"
        for status in statuses
    ]
