"""MultiObserver: fan-out where one failing backend never stops the others."""

import logging

import pytest

from zeroclaw.observability import (
    Error,
    HeartbeatObserved,
    MultiObserver,
    NoopObserver,
    ObserverEvent,
    PrometheusObserver,
    find_observer,
)


class Broken:
    def record(self, event: ObserverEvent) -> None:
        raise RuntimeError("disk full")


class Collect:
    def __init__(self) -> None:
        self.events: list[ObserverEvent] = []

    def record(self, event: ObserverEvent) -> None:
        self.events.append(event)


def test_a_failing_backend_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    before, after = Collect(), Collect()
    multi = MultiObserver([before, Broken(), after])
    with caplog.at_level(logging.WARNING, logger="zeroclaw.observability"):
        multi.record(HeartbeatObserved(1, 0.0))
        multi.record(Error("tool", "x"))
    assert len(before.events) == len(after.events) == 2
    assert multi.failures == 2
    assert "observer Broken failed to record heartbeat" in caplog.text
    assert "disk full" in caplog.text


def test_find_observer_looks_inside_the_fan_out() -> None:
    prometheus = PrometheusObserver()
    nested = MultiObserver([NoopObserver(), MultiObserver([Collect(), prometheus])])
    assert find_observer(nested, PrometheusObserver) is prometheus
    assert find_observer(prometheus, PrometheusObserver) is prometheus
    assert find_observer(NoopObserver(), PrometheusObserver) is None
