"""`--log-level` on the commands that run plugins (`agent`, `tools call`, `hooks explain`,
`plugins test`): the plugins' own log lines (`zeroclaw:host/log`, and `print` /
`console.log` through `zeroclaw:host/console`) at that level and above, on stderr.

Without the option nothing changes: plugin lines below WARNING stay hidden, as they always
were. With it, each line shows the plugin's name, so a guest line is never mistaken for
the host's.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

PLUGIN_LOGGER = "zeroclaw.plugin"
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}

LogLevelOption = Annotated[
    str | None,
    typer.Option(
        "--log-level",
        help="Show the plugins' own log lines (print, console.log, zeroclaw:host/log) at "
        "this level and above on stderr: debug, info, warn or error.",
    ),
]


def log_level(name: str) -> int:
    """The logging level called `name` (typer.BadParameter for any other name)."""
    level = LEVELS.get(name.lower())
    if level is None:
        raise typer.BadParameter("choose debug, info, warn or error", param_hint="--log-level")
    return level


class _GuestFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        plugin = record.name.removeprefix(PLUGIN_LOGGER + ".")
        return f"plugin {plugin} {record.levelname.lower()}: {record.getMessage()}"


@contextmanager
def guest_log(name: str | None) -> Iterator[None]:
    """While the block runs, plugin log lines at level `name` and above go to stderr."""
    if name is None:
        yield
        return
    level = log_level(name)
    logger = logging.getLogger(PLUGIN_LOGGER)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_GuestFormatter())
    handler.setLevel(level)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
