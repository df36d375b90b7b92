"""MultiObserver: fan-out where one failing backend never stops the others."""

import logging
from pathlib import Path

import pytest

from zeroclaw.observability import (
    AuditLog,
    Error,
    HeartbeatObserved,
    LLMRequest,
    MultiObserver,
    NoopObserver,
    ObserverEvent,
    PluginCall,
    PrometheusObserver,
    Redactor,
    ToolCallFinished,
    TurnStarted,
    find_observer,
    observes,
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


class OnlyErrors(Collect):
    def observes(self, kind: type) -> bool:
        return kind is Error


def test_observes_says_whether_anyone_records_a_kind(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "a.jsonl", Redactor(), max_bytes=1 << 20, backups=1, max_chars=500)
    try:
        assert not observes(NoopObserver(), Error)
        assert observes(Collect(), PluginCall)  # an observer that does not say records all
        assert not observes(OnlyErrors(), PluginCall)
        assert observes(OnlyErrors(), Error)
        assert not observes(audit, PluginCall)
        assert observes(audit, ToolCallFinished)
        quiet = MultiObserver([OnlyErrors(), audit, NoopObserver()])
        assert not observes(quiet, PluginCall)
        assert observes(quiet, Error)
        assert observes(quiet, ToolCallFinished)
        assert observes(MultiObserver([OnlyErrors(), Collect()]), PluginCall)
    finally:
        audit.close()


def test_an_event_reaches_only_the_observers_that_record_its_kind() -> None:
    everything, errors = Collect(), OnlyErrors()
    multi = MultiObserver([everything, errors, NoopObserver()])
    heartbeat, error = HeartbeatObserved(1, 0.0), Error("tool", "x")
    for event in (heartbeat, error, heartbeat, error):
        multi.record(event)
    assert everything.events == [heartbeat, error, heartbeat, error]
    assert errors.events == [error, error]


def test_prometheus_observes_the_kinds_it_measures() -> None:
    prometheus = PrometheusObserver()
    assert observes(prometheus, PluginCall)
    assert observes(prometheus, ToolCallFinished)
    assert observes(prometheus, HeartbeatObserved)
    assert not observes(prometheus, TurnStarted)
    assert not observes(prometheus, LLMRequest)
    # What it measures still reaches it through a fan-out.
    multi = MultiObserver([OnlyErrors(), prometheus])
    multi.record(HeartbeatObserved(1, 0.0))
    multi.record(TurnStarted("s", "t", "terminal"))
    assert prometheus.registry.get_sample_value("zeroclaw_heartbeats_total") == 1.0
