"""The audit log: the observer backend that writes down what was done and who allowed it.

It reads the same event stream as the log, metrics and trace backends, so whatever
records an event (the agent's turns, `zeroclaw tools call`, `mcp serve`, the plugin
registry and reloader, the MCP clients, the gateway's and `mcp serve`'s auth) is audited
without a second call site that could be forgotten. The events it keeps are `AUDITED`:
every tool call with its owner and approval decision, plugin loads, reloads, quarantines
and capability grants and diffs, MCP connection changes, refused credentials (bearer
tokens and pairing codes), and skipped hook handlers (a fail_open guard that failed, so
what it guards did not happen for that call).

One event is one JSON object on one line: `at` (UTC, ISO 8601), `event` (the kind), then
the event's fields. Every string is redacted and cut to `max_chars`
(observability/redaction.py): only the part the cut keeps is redacted, with a margin, so
a megabyte of tool output costs the event loop a window's worth, and a cut never shows
more of a secret than redacting the whole string first would; capability names are kept
as they are (`secret:NAME` names a secret, it is not one).

Writing and rotating is the standard library's `RotatingFileHandler`, used directly
rather than through a global logger, so two runtimes in one process never write into
each other's files. Each line is also logged on the `zeroclaw.audit` logger at INFO, for
operators who collect logs rather than files. A line that cannot be written (a full disk)
is reported on the `zeroclaw.observability` logger once per run of failures and never
raised into the call that recorded the event.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import logging.handlers
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from zeroclaw.errors import ZeroClawError, error_line
from zeroclaw.observability.events import (
    AuthFailure,
    HookSkipped,
    McpConnection,
    ObserverEvent,
    PluginLoaded,
    PluginPermissions,
    PluginQuarantined,
    PluginReload,
    ToolCallFinished,
)
from zeroclaw.observability.redaction import Redactor
from zeroclaw.observability.settings import AuditSettings

AUDIT_LOGGER: Final = "zeroclaw.audit"
AUDITED: Final[tuple[type[ObserverEvent], ...]] = (
    ToolCallFinished,
    PluginLoaded,
    PluginReload,
    PluginPermissions,
    PluginQuarantined,
    McpConnection,
    AuthFailure,
    HookSkipped,
)
# Fields that hold capability names, which are config and manifest text, not secrets.
_CAPABILITY_FIELDS: Final = frozenset({"granted", "added", "removed"})
# Fields named like the line's own keys, written under another name so they hide nothing
# (HookSkipped.event is the hook event, not the line's kind).
_RENAMED_FIELDS: Final = {"at": "event_at", "event": "hook_event"}

_AUDIT = logging.getLogger(AUDIT_LOGGER)
_LOG = logging.getLogger("zeroclaw.observability")


class AuditLogError(ZeroClawError):
    """The audit log's file cannot be opened for writing."""


class AuditLog:
    """An Observer that writes the audited events to a rotated JSON-lines file."""

    def __init__(
        self,
        path: Path,
        redactor: Redactor,
        *,
        max_bytes: int,
        backups: int,
        max_chars: int,
    ) -> None:
        self.path = path
        self._redactor = redactor
        self._max_chars = max_chars
        self._file = _open(path, max_bytes=max_bytes, backups=backups)
        self._closed = False

    @property
    def failures(self) -> int:
        """Lines that could not be written since the log was opened."""
        return self._file.failures

    def observes(self, kind: type[Any]) -> bool:
        return issubclass(kind, AUDITED)

    def record(self, event: ObserverEvent) -> None:
        if self._closed or not isinstance(event, AUDITED):
            return
        line = self.line(event)
        self._file.handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))
        if _AUDIT.isEnabledFor(logging.INFO):
            _AUDIT.info("%s %s", event.kind, line)

    def line(self, event: ObserverEvent) -> str:
        """The event's audit line (one JSON object, no newline), redacted and cut."""
        record: dict[str, Any] = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event.kind,
        }
        cleaned: list[str] = []
        for field in dataclasses.fields(event):
            value = getattr(event, field.name)
            key = _RENAMED_FIELDS.get(field.name, field.name)
            if field.name in _CAPABILITY_FIELDS:
                record[key] = list(value)
            else:
                record[key] = _plain(value)
                cleaned.append(key)
        # Redacted as one list, item by item: the secrets' values are read once a line.
        values = self._redactor.cut([record[key] for key in cleaned], self._max_chars)
        for key, value in zip(cleaned, values, strict=True):
            record[key] = value
        if isinstance(event, ToolCallFinished):
            record["outcome"] = event.outcome
        return json.dumps(record, ensure_ascii=False, default=str)

    def close(self) -> None:
        """Close the file; events recorded later are dropped."""
        self._closed = True
        self._file.close()


def open_audit_log(settings: AuditSettings, path: Path, redactor: Redactor) -> AuditLog:
    """The audit log `settings` describe, writing to `path` (AuditLogError if it cannot)."""
    return AuditLog(
        path,
        redactor,
        max_bytes=settings.max_bytes,
        backups=settings.backups,
        max_chars=settings.max_chars,
    )


class _AuditFile(logging.handlers.RotatingFileHandler):
    """The stdlib's rotating file, reporting a failed write instead of printing it."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.setFormatter(logging.Formatter("%(message)s"))
        self.failures = 0
        self._failing = False

    def emit(self, record: logging.LogRecord) -> None:
        failures = self.failures
        super().emit(record)
        if self.failures == failures and self._failing:
            self._failing = False
            _LOG.warning("the audit log %s is written again", self.baseFilename)

    def handleError(self, record: logging.LogRecord) -> None:
        self.failures += 1
        if self._failing:
            return
        self._failing = True
        error = sys.exc_info()[1]
        _LOG.warning(
            "the audit log %s cannot be written (%s); lines are lost until it can",
            self.baseFilename,
            error_line(error) if error is not None else "unknown error",
        )


def check_audit_path(path: Path) -> None:
    """Raise AuditLogError unless the audit log at `path` can be opened for appending and
    rotated (its directory written): what `zeroclaw doctor` checks. The directory and the
    file are created, as any start would create them."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise _unwritable(path, exc.strerror or str(exc)) from None
    # Rotation renames files in the directory: appending alone is not enough.
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise _unwritable(path, f"its directory {path.parent} is not writable (rotation)")


def _open(path: Path, *, max_bytes: int, backups: int) -> _AuditFile:
    """Open at start-up, so an unwritable path is an error then, not a silent empty log."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _AuditFile(path, max_bytes=max_bytes, backups=backups)
    except OSError as exc:
        raise _unwritable(path, exc.strerror or str(exc)) from None


def _unwritable(path: Path, why: str) -> AuditLogError:
    return AuditLogError(
        f"cannot write the audit log {path}: {why}",
        hint="set audit.path to a writable file, or audit.enabled = false to write none",
    )


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value
