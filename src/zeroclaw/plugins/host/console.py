"""`zeroclaw:host/console`: the guest's own output and its uncaught errors.

Why a host interface and not WASI stdout/stderr: a Python guest is built with
componentize-py `--stub-wasi` (every WASI call traps), and linking WASI for stdio alone
would hand every plugin wasmtime's whole WASI (clocks, random, and the rest a guest
imports along with it). This interface gives a guest nothing but a way to write text into
the host's log and to say why its call is about to fail; it needs no capability. The
wrappers `zeroclaw plugins build` puts around Python and JavaScript handlers route
`print`, `sys.stderr`, `console.*` and uncaught exceptions here; a WAT plugin may import
it itself.

Per call (one `GuestConsole.begin` per call, on the calling thread):

- `write(level, text)`: each line goes to the logger `zeroclaw.plugin.<name>` at `level`,
  cleaned like `log` lines (one line each, control characters escaped, cut), through the
  plugin's log rate limiter; at most `MAX_LINES_PER_CALL` lines and `MAX_CHARS_PER_CALL`
  characters per call, then one note saying the rest was dropped.
- `uncaught(error)` and `bad-result(problem)`: kept (bounded) until the call ends; the
  runtime puts them into the `PluginTrap` / `PluginBadResult` the call fails with
  (`wasm/traps.py`). A report from a call that then succeeds is dropped.

While an inline-first attempt runs, `write`s wait in the plugin's `HeldOutput`
(held_output.py) and are written (kept attempt) or forgotten (abandoned attempt) after it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zeroclaw.plugins.errors import GuestErrorReport
from zeroclaw.plugins.host.context import (
    ConsoleSink,
    HostServices,
    PluginHostContext,
    host_function,
)
from zeroclaw.plugins.host.log import clean_message, plugin_logger
from zeroclaw.plugins.host.log_limiter import LogLimiter

if TYPE_CHECKING:
    from wasmtime.component import LinkerInstance

MAX_LINES_PER_CALL = 100
MAX_CHARS_PER_CALL = 32_768
MAX_REPORT_CHARS = 8192
MAX_STACK_FRAMES = 40

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


@dataclass(slots=True)
class _CallState:
    lines: int = 0
    chars: int = 0
    capped: bool = False
    error: GuestErrorReport | None = None
    bad_result: str | None = None


class GuestConsole:
    """One plugin's console: what its current call on each thread wrote and reported."""

    def __init__(self, plugin: str, limiter: LogLimiter | None = None) -> None:
        self.plugin = plugin
        self.logger = plugin_logger(plugin)
        self.limiter = limiter or LogLimiter()
        self._local = threading.local()

    def _state(self) -> _CallState:
        state: _CallState | None = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = _CallState()
        return state

    def begin(self) -> None:
        """A call starts on this thread: nothing written or reported yet (its state is
        made when the guest first writes or reports: most calls never do)."""
        self._local.state = None

    def error(self) -> GuestErrorReport | None:
        """The uncaught error the current call reported, if any."""
        return self._state().error

    def bad_result(self) -> str | None:
        """The bad result the current call reported, if any (which field, what was wrong)."""
        return self._state().bad_result

    # -- the WIT functions ---------------------------------------------------------------------

    def write(self, level: str, text: str) -> None:
        state = self._state()
        py_level = LEVELS.get(level, logging.INFO)
        if state.capped or not self.logger.isEnabledFor(py_level):
            return
        extra = {"plugin": self.plugin}
        for line in text.splitlines() or [""]:
            state.lines += 1
            state.chars += len(line)
            if state.lines > MAX_LINES_PER_CALL or state.chars > MAX_CHARS_PER_CALL:
                state.capped = True
                self.logger.warning(
                    "plugin %s wrote more than %d lines or %d characters in one call: the "
                    "rest of this call's output is dropped",
                    self.plugin,
                    MAX_LINES_PER_CALL,
                    MAX_CHARS_PER_CALL,
                    extra=extra,
                )
                return
            dropped = self.limiter.take()
            if dropped is None:
                continue
            if dropped:
                self.logger.warning(
                    "%d log lines of plugin %s dropped: it logged more than %g lines a second",
                    dropped,
                    self.plugin,
                    self.limiter.rate,
                    extra=extra,
                )
            self.logger.log(py_level, "%s", clean_message(line), extra=extra)

    def uncaught(self, kind: str, message: str, stack: str) -> None:
        frames = [line[:512] for line in stack.splitlines() if line.strip()]
        if len(frames) > MAX_STACK_FRAMES:
            skipped = len(frames) - MAX_STACK_FRAMES
            frames = [*frames[:1], f"... {skipped} frames ...", *frames[-MAX_STACK_FRAMES + 1 :]]
        self._state().error = GuestErrorReport(
            clean_message(kind[:200]) or "Error",
            _bounded(message),
            "\n".join(clean_message(frame) for frame in frames),
        )

    def report_bad_result(self, problem: str) -> None:
        self._state().bad_result = _bounded(problem)


def _bounded(text: str) -> str:
    cut = text[:MAX_REPORT_CHARS]
    return " ".join(clean_message(line) for line in cut.splitlines()) if cut else ""


def link(instance: LinkerInstance, context: PluginHostContext, services: HostServices) -> None:
    console: ConsoleSink = context.console or GuestConsole(
        context.plugin, services.log_limiter(context.plugin)
    )

    held = context.held

    def write(level: str, text: str) -> None:
        if held is None or not held.defer(console.write, level, text):
            console.write(level, text)

    def uncaught(error: Any) -> None:
        console.uncaught(
            str(getattr(error, "kind", "")),
            str(getattr(error, "message", "")),
            str(getattr(error, "stack", "")),
        )

    def bad_result(problem: str) -> None:
        console.report_bad_result(problem)

    def nothing() -> None:
        return None

    instance.add_func("write", host_function(context, "console.write", write, nothing))
    instance.add_func("uncaught", host_function(context, "console.uncaught", uncaught, nothing))
    instance.add_func(
        "bad-result", host_function(context, "console.bad-result", bad_result, nothing)
    )
