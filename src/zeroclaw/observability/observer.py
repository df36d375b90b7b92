"""The Observer protocol: one narrow method every backend implements.

`record` is called inline on the agent's hot path, so a backend does its work quickly
(count, log, start or end a span) and never raises for a well-formed event.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from zeroclaw.observability.events import ObserverEvent


@runtime_checkable
class Observer(Protocol):
    def record(self, event: ObserverEvent) -> None: ...


class NoopObserver:
    """Records nothing: the backend when observability is off."""

    def record(self, event: ObserverEvent) -> None:
        return None
