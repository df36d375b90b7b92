"""What every command shares: the config path given on the command line, and how a
command turns a `ZeroClawError` into a clear message and a non-zero exit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from zeroclaw.config import Config, load_config
from zeroclaw.errors import ZeroClawError

err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class CliState:
    config_path: Path | None = None
    _config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            with user_errors():
                self._config = load_config(self.config_path)
        return self._config


def state_of(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()


@contextmanager
def user_errors(exit_code: int = 1) -> Iterator[None]:
    """Print a ZeroClawError as `error: ...` (with its hint) and exit, never a traceback."""
    try:
        yield
    except ZeroClawError as exc:
        err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {escape(exc.hint)}", highlight=False)
        raise typer.Exit(exit_code) from None
