"""Fan-out to several observers; one failing backend never stops the others.

An event goes only to the observers that record its kind (`observes`, asked once per
kind): the gateway's fan-out (audit log, hook bridge, metrics, console) has four
observers, and most of a turn's events concern one or two of them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, TypeVar

from zeroclaw.observability.events import ObserverEvent
from zeroclaw.observability.observer import Observer, observes

_LOG = logging.getLogger("zeroclaw.observability")

T = TypeVar("T")


class MultiObserver:
    def __init__(self, observers: Iterable[Observer]) -> None:
        self.observers: tuple[Observer, ...] = tuple(observers)
        self.failures = 0
        # event type -> the observers that record it (an answer fixed for their life).
        self._routes: dict[type[Any], tuple[Observer, ...]] = {}

    def observes(self, kind: type[Any]) -> bool:
        return any(observes(observer, kind) for observer in self.observers)

    def record(self, event: ObserverEvent) -> None:
        kind = type(event)
        routed = self._routes.get(kind)
        if routed is None:
            routed = self._routes[kind] = tuple(o for o in self.observers if observes(o, kind))
        for observer in routed:
            try:
                observer.record(event)
            except Exception:
                self.failures += 1
                _LOG.warning(
                    "observer %s failed to record %s; the other observers still get it",
                    type(observer).__name__,
                    event.kind,
                    exc_info=True,
                )


def find_observer(observer: Observer, kind: type[T]) -> T | None:
    """The first observer of type `kind` in `observer` or among its fan-out (e.g. the
    PrometheusObserver whose registry the gateway serves on /metrics)."""
    if isinstance(observer, kind):
        return observer
    if isinstance(observer, MultiObserver):
        for inner in observer.observers:
            if (found := find_observer(inner, kind)) is not None:
                return found
    return None
