"""`zeroclaw:host/log`: a plugin's lines in the host's log.

Each line goes to the Python logger `zeroclaw.plugin.<name>`, cut to `MAX_MESSAGE_CHARS`
with control characters escaped (a plugin cannot forge other log lines with a newline).
Lines pass a token bucket per plugin (`LOG_LINES_PER_SECOND`, bursts of `LOG_BURST`), so a
plugin logging in a loop cannot fill the disk: what goes over is dropped and counted, and
the count is logged with the next line that gets through. A line below the logger's level
costs no token. Logging never fails the guest. While an inline-first attempt runs, lines
wait in the plugin's `HeldOutput` (held_output.py) until the attempt is kept or dropped.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from zeroclaw.plugins.contract.capabilities import CapabilityKind
from zeroclaw.plugins.host.context import HostServices, PluginHostContext, host_function
from zeroclaw.plugins.host.log_limiter import LogLimiter

if TYPE_CHECKING:
    from wasmtime.component import LinkerInstance

MAX_MESSAGE_CHARS = 4096

LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
_CUT_MARK = "…[cut]"
# C0 and C1 controls but tab, and the Unicode line/paragraph separators: anything a log
# reader could take for a line break or a terminal escape.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def plugin_logger(plugin: str) -> logging.Logger:
    return logging.getLogger(f"zeroclaw.plugin.{plugin}")


def clean_message(message: str) -> str:
    """`message` on one line, at most MAX_MESSAGE_CHARS long."""
    line = _CONTROL.sub(lambda m: repr(m[0])[1:-1], message)
    if len(line) > MAX_MESSAGE_CHARS:
        line = line[: MAX_MESSAGE_CHARS - len(_CUT_MARK)] + _CUT_MARK
    return line


def write_log(context: PluginHostContext, limiter: LogLimiter, level: str, message: str) -> None:
    """The WIT `log` function: never raises, drops lines over the rate limit."""
    if not context.grants.has(CapabilityKind.LOG):
        return
    logger = plugin_logger(context.plugin)
    py_level = LEVELS.get(level, logging.INFO)
    if not logger.isEnabledFor(py_level):
        return
    dropped = limiter.take()
    if dropped is None:
        return
    extra = {"plugin": context.plugin}
    if dropped:
        logger.warning(
            "%d log lines of plugin %s dropped: it logged more than %g lines a second",
            dropped,
            context.plugin,
            limiter.rate,
            extra=extra,
        )
    logger.log(py_level, "%s", clean_message(message), extra=extra)


def link(instance: LinkerInstance, context: PluginHostContext, services: HostServices) -> None:
    limiter = services.log_limiter(context.plugin)
    held = context.held

    def write(level: str, message: str) -> None:
        write_log(context, limiter, level, message)

    def log(level: str, message: str) -> None:
        if held is None or not held.defer(write, level, message):
            write(level, message)

    instance.add_func("log", host_function(context, "log.log", log, lambda: None))
