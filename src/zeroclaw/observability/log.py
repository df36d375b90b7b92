"""Events as structured log records through stdlib logging.

One record per event on the `zeroclaw.observability` logger. The message reads
`llm_response session_id=s1 provider=openai ... latency_ms=812.4`; the same data is on
the record as `event` (the kind) and `fields` (a dict), for JSON formatters.

Conversation content (an event's `content_fields`) is written only with `include_content`
(`observability.record_content`), and then redacted and cut the way an audit line is
(`Redactor.cut`, observability/redaction.py): each content text shows at most
`max_chars` characters (`observability.content_max_chars`), then `… [N more chars]`, and
only that window is redacted, so a megabyte of tool output costs the event loop what
its first `max_chars` + 1024 characters cost. A log line travels further than the
conversation should, and a token in one is the classic leak.
"""

from __future__ import annotations

import json
import logging

from zeroclaw.observability.events import Error, HeartbeatObserved, ObserverEvent, PluginTrap
from zeroclaw.observability.fields import CONTENT_MAX_CHARS, Scalar, flat_fields
from zeroclaw.observability.redaction import Redactor

_LEVELS: dict[type[ObserverEvent], int] = {
    Error: logging.ERROR,
    PluginTrap: logging.WARNING,
    HeartbeatObserved: logging.DEBUG,
}


class LogObserver:
    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        include_content: bool = False,
        redactor: Redactor | None = None,
        max_chars: int = CONTENT_MAX_CHARS,
    ) -> None:
        """`redactor`: the secrets to redact from content (the config's, see
        config/secrets.py); without one, only the shapes and secret keys are caught."""
        self._logger = logger or logging.getLogger("zeroclaw.observability")
        self._include_content = include_content
        self._redactor = redactor or Redactor()
        self._max_chars = max_chars

    def record(self, event: ObserverEvent) -> None:
        level = _LEVELS.get(type(event), logging.INFO)
        # Formatting costs more than the check: skip both when nobody listens.
        if not self._logger.isEnabledFor(level):
            return
        fields = flat_fields(
            event,
            include_content=self._include_content,
            redactor=self._redactor,
            max_chars=self._max_chars,
        )
        text = " ".join([event.kind, *(f"{key}={_format(value)}" for key, value in fields.items())])
        self._logger.log(level, "%s", text, extra={"event": event.kind, "fields": fields})


def _format(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return str(value)
    if value and not any(ch.isspace() or ch in "\"='" for ch in value):
        return value
    return json.dumps(value, ensure_ascii=False)
