"""build_observer and ObservabilitySettings."""

import logging
import sys

import pytest
from pydantic import ValidationError

from zeroclaw.errors import ZeroClawError
from zeroclaw.observability import (
    REDACTED,
    HeartbeatObserved,
    LogObserver,
    MessageDelivered,
    MultiObserver,
    NoopObserver,
    ObservabilitySettings,
    ObserverEvent,
    OtelObserver,
    PrometheusObserver,
    Redactor,
    build_observer,
    find_observer,
)
from zeroclaw.observability.settings import OtelSettings


class Collect:
    def __init__(self) -> None:
        self.events: list[ObserverEvent] = []

    def record(self, event: ObserverEvent) -> None:
        self.events.append(event)


def test_one_backend_is_returned_as_is() -> None:
    assert isinstance(build_observer(ObservabilitySettings()), LogObserver)
    assert isinstance(build_observer(ObservabilitySettings(backend="noop")), NoopObserver)
    assert isinstance(
        build_observer(ObservabilitySettings(backend="prometheus")), PrometheusObserver
    )


def test_a_list_fans_out_and_extra_observers_join() -> None:
    extra = Collect()
    observer = build_observer(ObservabilitySettings(backend=["log", "prometheus"]), extra=[extra])
    assert isinstance(observer, MultiObserver)
    assert [type(o) for o in observer.observers] == [LogObserver, PrometheusObserver, Collect]
    observer.record(HeartbeatObserved(1, 0.0))
    assert extra.events == [HeartbeatObserved(1, 0.0)]
    prometheus = find_observer(observer, PrometheusObserver)
    assert prometheus is not None
    assert prometheus.registry.get_sample_value("zeroclaw_heartbeats_total") == 1


def test_noop_with_an_extra_is_just_the_extra() -> None:
    extra = Collect()
    assert build_observer(ObservabilitySettings(backend="noop"), extra=[extra]) is extra


def test_record_content_reaches_the_log_backend(caplog: pytest.LogCaptureFixture) -> None:
    observer = build_observer(ObservabilitySettings(record_content=True))
    with caplog.at_level(logging.INFO, logger="zeroclaw.observability"):
        observer.record(MessageDelivered("cli", "u", "hello there"))
    assert 'content="hello there"' in caplog.text


def test_otel_console_and_global_exporters_build() -> None:
    for exporter in ("console", "global"):
        settings = ObservabilitySettings(backend="otel", otel=OtelSettings(exporter=exporter))
        assert isinstance(build_observer(settings), OtelObserver)


def test_otlp_exporter_builds_with_the_otel_extra() -> None:
    observer = build_observer(ObservabilitySettings(backend="otel"))
    assert isinstance(observer, OtelObserver)


def test_otlp_without_its_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail, as on a machine without the package.
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(ZeroClawError) as caught:
        build_observer(ObservabilitySettings(backend="otel"))
    assert "zeroclaw[otel]" in str(caught.value)


@pytest.mark.parametrize(
    "raw",
    [
        {"backend": "statsd"},
        {"backend": []},
        {"backend": ["log", "log"]},
        {"backends": ["log"]},
        {"otel": {"exporter": "zipkin"}},
    ],
)
def test_bad_settings_are_rejected(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ObservabilitySettings.model_validate(raw)


def test_the_log_backend_redacts_and_cuts_content_as_configured(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTORY_TEST_KEY", "Plain7Looking9Value")
    settings = ObservabilitySettings(record_content=True, content_max_chars=64)
    observer = build_observer(settings, redactor=Redactor(["FACTORY_TEST_KEY"]))
    with caplog.at_level(logging.INFO, logger="zeroclaw.observability"):
        observer.record(MessageDelivered("cli", "u", "key Plain7Looking9Value " + "z " * 100))
    assert "Plain7Looking9Value" not in caplog.text
    assert f"key {REDACTED} z z" in caplog.text
    assert "more chars]" in caplog.text
