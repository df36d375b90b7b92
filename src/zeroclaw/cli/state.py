"""What every command shares: the config path given on the command line, where its log
lines go, and how a failure becomes `error: ...` / `hint: ...` and a non-zero exit.

Two places report failures, with the same words (as JSON on stderr once a command has
called `json_output.use_json(True)`): `user_errors` around the steps of a
command that can fail for the user's reasons, and `ReportingGroup`, the root command's
class, for whatever still escapes a command (a ZeroClawError raised outside a
`user_errors`, or a bug). Neither prints a traceback; it is logged at debug, so
`zeroclaw --log-level debug ...` shows it."""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from zeroclaw.cli.json_output import error_json, json_errors
from zeroclaw.cli.log_output import LogOutput
from zeroclaw.config import Config
from zeroclaw.config.effective import EffectiveConfig, load_effective
from zeroclaw.errors import ZeroClawError, error_line
from zeroclaw.text_validity import UTF8_HINT, invalid_text

err_console = Console(stderr=True, soft_wrap=True)
_LOG = logging.getLogger("zeroclaw.cli")

BUG_HINT = (
    "this is a bug in ZeroClaw, not in your setup: rerun with `zeroclaw --log-level debug ...` "
    "for the traceback and report it"
)


@dataclass
class CliState:
    config_path: Path | None = None
    # --log-level as given (None: not given, each command's default), and its handler.
    log_level: str | None = None
    log_output: LogOutput | None = None
    _effective: EffectiveConfig | None = None

    def config(self) -> Config:
        """The settings this command runs with: defaults, file, .env, environment."""
        return self.effective().config

    def effective(self) -> EffectiveConfig:
        """The settings with where each came from (`config show --sources`)."""
        if self._effective is None:
            with user_errors():
                self._effective = load_effective(self.config_path)
        return self._effective


def state_of(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()


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
    except (ZeroClawError, OSError) as exc:
        report_failure(exc)
        raise typer.Exit(exit_code) from None


class ReportingGroup(TyperGroup):
    """The root command: whatever a command lets escape is reported like a user error
    (`error:` / `hint:`, exit 1), never as a traceback. Click's own exits and usage errors
    pass through; so do KeyboardInterrupt and SystemExit (not Exceptions).

    It also prepares every command's help (`plain_help`): a docstring wrapped to fit the
    source's line length is reflowed, and text in brackets (`[[mcp.servers]]`) is shown as
    written instead of being taken for rich markup."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_help(self)

    # Any: typer's vendored click.Context, which typer does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            report_failure(exc)
            raise typer.Exit(1) from None


def plain_help(command: Any) -> None:
    """The help of `command`, its parameters and every command below it, reflowed and
    escaped: help texts are plain text here, never rich markup."""
    if command.help:
        command.help = escape(reflow_help(command.help))
    for param in getattr(command, "params", []):
        if getattr(param, "help", None):
            param.help = escape(param.help)
    for child in getattr(command, "commands", {}).values():
        plain_help(child)


def reflow_help(text: str) -> str:
    """Help text as paragraphs of one line each: a docstring's line breaks inside a
    paragraph are the source's wrapping, not the terminal's, and typer keeps them in every
    paragraph after the first. A paragraph that starts with click's `\\b` is kept as
    written."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


def report_failure(exc: Exception) -> None:
    """`error: ...` and `hint: ...` for `exc` on stderr (one JSON object after
    `use_json(True)`); its traceback at debug level."""
    if isinstance(exc, ZeroClawError):
        message, hint = exc.message, exc.hint
    elif isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        message = f"cannot use{where}: {exc.strerror or exc}"
        hint = (
            "check that the path exists and is writable; `zeroclaw doctor` checks data_dir, "
            "tools.workspace and memory.path"
        )
    else:
        message, hint = f"unexpected {error_line(exc)}", BUG_HINT
    _LOG.debug("%s, traceback:", type(exc).__name__, exc_info=exc)
    if json_errors():
        sys.stderr.write(error_json(message, hint) + "\n")
        return
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if hint:
        err_console.print(f"[yellow]hint:[/] {escape(hint)}", highlight=False)
