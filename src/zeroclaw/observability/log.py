"""Events as structured log records through stdlib logging.

One record per event on the `zeroclaw.observability` logger. The message reads
`llm_response session_id=s1 provider=openai ... latency_ms=812.4`; the same data is on
the record as `event` (the kind) and `fields` (a dict), for JSON formatters.
"""

from __future__ import annotations

import json
import logging

from zeroclaw.observability.events import Error, HeartbeatObserved, ObserverEvent, PluginTrap
from zeroclaw.observability.fields import Scalar, flat_fields

_LEVELS: dict[type[ObserverEvent], int] = {
    Error: logging.ERROR,
    PluginTrap: logging.WARNING,
    HeartbeatObserved: logging.DEBUG,
}


class LogObserver:
    def __init__(
        self, logger: logging.Logger | None = None, *, include_content: bool = False
    ) -> None:
        self._logger = logger or logging.getLogger("zeroclaw.observability")
        self._include_content = include_content

    def record(self, event: ObserverEvent) -> None:
        level = _LEVELS.get(type(event), logging.INFO)
        # Formatting costs more than the check: skip both when nobody listens.
        if not self._logger.isEnabledFor(level):
            return
        fields = flat_fields(event, include_content=self._include_content)
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
