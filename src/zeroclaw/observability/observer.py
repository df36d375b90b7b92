"""The Observer protocol: one narrow method every backend implements.

`record` is called inline on the agent's hot path, so a backend does its work quickly
(count, log, start or end a span) and never raises for a well-formed event.

An observer may also say which events it records at all, with a method
`observes(kind: type) -> bool` (an answer fixed for the observer's life); one that does
not say records every kind. A caller that would build an event per call (the plugin
runtime's `PluginCall`, one per plugin call) asks `observes(observer, PluginCall)` once
and builds none when nobody records it.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from zeroclaw.observability.events import ObserverEvent


@runtime_checkable
class Observer(Protocol):
    def record(self, event: ObserverEvent) -> None: ...


class NoopObserver:
    """Records nothing: the backend when observability is off."""

    def record(self, event: ObserverEvent) -> None:
        return None


def observes(observer: Observer, kind: type[Any]) -> bool:
    """Whether `observer` records events of type `kind` (see the module docstring): False
    for the NoopObserver and an observer whose `observes` says no, True otherwise."""
    if isinstance(observer, NoopObserver):
        return False
    says = getattr(observer, "observes", None)
    return bool(says(kind)) if callable(says) else True
