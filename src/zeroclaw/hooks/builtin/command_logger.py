"""command_logger: an audit trail of every tool call and its result, secrets redacted.

One record per finished tool call (on_after_tool_call, so blocked calls too) goes to the
`zeroclaw.audit` logger at INFO and, when a path is set, as one JSON object a line to
that file. Arguments and results are redacted before they are cut to `max_chars`, so a
cut never leaves half a secret behind.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from zeroclaw.hooks.builtin.errors import HookSetupError
from zeroclaw.hooks.builtin.redaction import Redactor
from zeroclaw.hooks.events import AfterToolCall, Event, ModifyingPayload, VoidPayload
from zeroclaw.hooks.handler import Continue, HandlerSpec, HookOutcome

NAME: Final = "command_logger"
AUDIT_LOGGER: Final = "zeroclaw.audit"

_AUDIT = logging.getLogger(AUDIT_LOGGER)


class CommandLogger:
    def __init__(self, redactor: Redactor, *, max_chars: int, path: Path | None = None) -> None:
        self.spec = HandlerSpec(name=NAME, events=frozenset({Event.ON_AFTER_TOOL_CALL}))
        self._redactor = redactor
        self._max_chars = max_chars
        self._path = path
        # Void handlers run concurrently: one line is written whole before the next.
        self._write_lock = threading.Lock()
        if path is not None:
            _check_writable(path)

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        return Continue(payload)

    async def observe(self, event: Event, payload: VoidPayload) -> None:
        if not isinstance(payload, AfterToolCall):
            return
        record = self.record(payload)
        line = json.dumps(record, ensure_ascii=False, default=str)
        _AUDIT.info("tool_call %s", line, extra={"audit": record})
        if self._path is not None:
            with self._write_lock, self._path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")

    def record(self, call: AfterToolCall) -> dict[str, Any]:
        """The audit record of one call, redacted and cut."""
        result = call.result
        return {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "session_id": call.session_id,
            "tool": call.tool,
            "arguments": self._cut_strings(self._redactor.value(call.arguments)),
            "success": result.success,
            "output": self._cut(self._redactor.text(result.output)),
            "error": None if result.error is None else self._cut(self._redactor.text(result.error)),
            "duration_ms": round(call.duration_ms, 3),
        }

    def _cut(self, text: str) -> str:
        if len(text) <= self._max_chars:
            return text
        return f"{text[: self._max_chars]}… [{len(text) - self._max_chars} more chars]"

    def _cut_strings(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._cut(value)
        if isinstance(value, dict):
            return {key: self._cut_strings(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._cut_strings(item) for item in value]
        return value


def _check_writable(path: Path) -> None:
    """Fail at start-up, not at the first tool call, when the log cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise HookSetupError(
            "hooks.command_logger.path",
            f"cannot write the audit log {path}: {exc.strerror or exc}",
            hint="choose a writable file, or remove the key to log only to zeroclaw.audit",
        ) from exc
