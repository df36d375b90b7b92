"""What the console shows that no other part keeps: per-plugin call latency, a plugin's
last errors and recent guest log lines. (How each tool call went, its owner, approval and
hooks, is stored in memory with its result: the Sessions page reads it there.)

It is one more observer of the runtime's event stream (added by `open_gateway` beside the
metrics one) plus a logging handler on the guests' logger, so the plugin runtime and the
agent loop know nothing of the console. Everything is bounded: the last
`LATENCY_WINDOW` calls per plugin, `ERROR_LINES` errors, `LOG_LINES` log lines. It lives
as long as the process; a restart starts it empty.

`version` goes up on every event the console's live stream cares about (a reload, a
quarantine, a trap, a finished turn), so the stream can tell that something changed by
comparing two integers.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from zeroclaw.observability import (
    HookSkipped,
    ObserverEvent,
    PluginCall,
    PluginQuarantined,
    PluginReload,
    PluginTrap,
    TurnComplete,
)

# The events `ConsoleRecorder.record` keeps something of.
_KEPT = (PluginCall, PluginTrap, PluginQuarantined, HookSkipped, PluginReload, TurnComplete)

LATENCY_WINDOW = 256
ERROR_LINES = 20
LOG_LINES = 50
# The host logs every guest line under zeroclaw.plugin.<name> (plugins/host/log.py).
PLUGIN_LOGGER = "zeroclaw.plugin"


@dataclass(frozen=True, slots=True)
class Latency:
    calls: int
    mean_ms: float
    p50_ms: float
    p95_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True)
class Line:
    at: float
    level: str
    text: str


@dataclass(slots=True)
class _PluginLog:
    durations: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))
    calls: int = 0
    errors: deque[Line] = field(default_factory=lambda: deque(maxlen=ERROR_LINES))
    lines: deque[Line] = field(default_factory=lambda: deque(maxlen=LOG_LINES))


@dataclass(frozen=True, slots=True)
class Versions:
    """Counters the live stream compares: one per kind of change it announces."""

    plugins: int
    reloads: int
    turns: int


class ConsoleRecorder(logging.Handler):
    """An `Observer` (record) and a `logging.Handler` (emit) in one (module docstring)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._plugins: dict[str, _PluginLog] = {}
        self._guard = threading.Lock()
        self._plugins_version = 0
        self._reloads_version = 0
        self._turns_version = 0

    # -- the observer --------------------------------------------------------------------------

    def observes(self, kind: type[Any]) -> bool:
        """The kinds `record` keeps something of; a MultiObserver hands it no other."""
        return issubclass(kind, _KEPT)

    def record(self, event: ObserverEvent) -> None:
        if isinstance(event, PluginCall):
            with self._guard:
                log = self._plugin(event.plugin)
                log.calls += 1
                log.durations.append(event.duration_ms)
        elif isinstance(event, PluginTrap):
            self._error(event.plugin, f"{event.function}: {event.reason}")
        elif isinstance(event, PluginQuarantined):
            self._error(event.plugin, f"quarantined: {event.reason}")
        elif isinstance(event, HookSkipped) and event.source.startswith("plugin:"):
            plugin = event.source.removeprefix("plugin:")
            self._error(plugin, f"{event.event} skipped (fail_open): {event.cause}")
        elif isinstance(event, PluginReload):
            with self._guard:
                self._reloads_version += 1
                self._plugins_version += 1
        elif isinstance(event, TurnComplete):
            with self._guard:
                self._turns_version += 1

    def _plugin(self, name: str) -> _PluginLog:
        log = self._plugins.get(name)
        if log is None:
            log = self._plugins[name] = _PluginLog()
        return log

    def _error(self, plugin: str, text: str) -> None:
        with self._guard:
            self._plugin(plugin).errors.appendleft(Line(time.time(), "error", text))
            self._plugins_version += 1

    # -- the guests' log lines -----------------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        plugin = getattr(record, "plugin", None) or record.name.removeprefix(PLUGIN_LOGGER + ".")
        line = Line(record.created, record.levelname.lower(), record.getMessage())
        with self._guard:
            self._plugin(plugin).lines.appendleft(line)

    def attach(self) -> None:
        """Start hearing the guests' log lines (those the logger's level lets through)."""
        logging.getLogger(PLUGIN_LOGGER).addHandler(self)

    def detach(self) -> None:
        logging.getLogger(PLUGIN_LOGGER).removeHandler(self)

    # -- what the pages read -------------------------------------------------------------------

    def latency(self, plugin: str) -> Latency | None:
        with self._guard:
            log = self._plugins.get(plugin)
            durations = list(log.durations) if log is not None else []
            calls = log.calls if log is not None else 0
        if not durations:
            return None
        ordered = sorted(durations)
        return Latency(
            calls=calls,
            mean_ms=statistics.fmean(ordered),
            p50_ms=ordered[len(ordered) // 2],
            p95_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
            max_ms=ordered[-1],
        )

    def errors(self, plugin: str) -> tuple[Line, ...]:
        with self._guard:
            log = self._plugins.get(plugin)
            return tuple(log.errors) if log is not None else ()

    def log_lines(self, plugin: str) -> tuple[Line, ...]:
        with self._guard:
            log = self._plugins.get(plugin)
            return tuple(log.lines) if log is not None else ()

    def versions(self) -> Versions:
        with self._guard:
            return Versions(self._plugins_version, self._reloads_version, self._turns_version)
