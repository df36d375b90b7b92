"""What every command shares: the config path given on the command line, and how a
command turns a `ZeroClawError` into a clear message and a non-zero exit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


UTF8_HINT = (
    "give text as UTF-8: an invalid byte (from a terminal or file in another encoding) or a "
    "lone surrogate escape such as \\ud800 in JSON cannot be stored"
)


def invalid_text(value: Any, where: str) -> str | None:
    """Where `value` (a string, or JSON made of lists and objects) holds text that is not
    valid Unicode (a lone surrogate, as an undecodable argv byte or a `\\ud800` escape
    becomes): nothing can store or send it, so it is refused before anything runs."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    if isinstance(value, list):
        items: list[tuple[Any, str]] = [(v, f"{where}[{i}]") for i, v in enumerate(value)]
    elif isinstance(value, dict):
        items = [(k, f"{where} (a key)") for k in value]
        items += [(v, f"{where}.{k}") for k, v in value.items()]
    else:
        return None
    for item, path in items:
        found = invalid_text(item, path)
        if found is not None:
            return found
    return None


def require_text(value: Any, what: str) -> None:
    """Raise a ZeroClawError naming `what` if `value` holds text that is not valid UTF-8."""
    found = invalid_text(value, what)
    if found is not None:
        raise ZeroClawError(f"{found} is not valid UTF-8 text", hint=UTF8_HINT)


@contextmanager
def user_errors(exit_code: int = 1) -> Iterator[None]:
    """Print a ZeroClawError as `error: ...` (with its hint) and exit, never a traceback.

    A file-system error (a data_dir that cannot be created, a read-only workspace) is a
    user error too: it is reported with the path and what to check."""
    try:
        yield
    except ZeroClawError as exc:
        _report(exc.message, exc.hint)
        raise typer.Exit(exit_code) from None
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        _report(
            f"cannot use{where}: {exc.strerror or exc}",
            "check that the path exists and is writable; `zeroclaw doctor` checks data_dir, "
            "tools.workspace and memory.path",
        )
        raise typer.Exit(exit_code) from None


def _report(message: str, hint: str | None) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if hint:
        err_console.print(f"[yellow]hint:[/] {escape(hint)}", highlight=False)
