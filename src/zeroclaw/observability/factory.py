"""Build the observer the config asks for."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from zeroclaw.errors import ZeroClawError
from zeroclaw.observability.log import LogObserver
from zeroclaw.observability.multi import MultiObserver
from zeroclaw.observability.observer import NoopObserver, Observer
from zeroclaw.observability.otel import OtelNotInstalledError, OtelObserver
from zeroclaw.observability.prometheus import PrometheusObserver
from zeroclaw.observability.redaction import Redactor
from zeroclaw.observability.settings import Backend, ObservabilitySettings, OtelSettings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor

_OTLP_EXPORTER = "opentelemetry.exporter.otlp.proto.http.trace_exporter"


def build_observer(
    settings: ObservabilitySettings,
    *,
    extra: Sequence[Observer] = (),
    redactor: Redactor | None = None,
) -> Observer:
    """The configured backends, plus `extra` observers (the hooks' ObserverBridge), behind
    one Observer: a MultiObserver when there is more than one. `redactor` cleans the
    content the log and otel backends record (the config's secrets: config_redactor)."""
    observers = [_backend(name, settings, redactor) for name in settings.backends if name != "noop"]
    observers.extend(extra)
    if not observers:
        return NoopObserver()
    if len(observers) == 1:
        return observers[0]
    return MultiObserver(observers)


def _backend(name: Backend, settings: ObservabilitySettings, redactor: Redactor | None) -> Observer:
    if name == "log":
        return LogObserver(
            include_content=settings.record_content,
            redactor=redactor,
            max_chars=settings.content_max_chars,
        )
    if name == "prometheus":
        return PrometheusObserver()
    if name == "otel":
        return _otel(settings, redactor)
    raise AssertionError(f"unhandled observability backend {name!r}")


def _otel(settings: ObservabilitySettings, redactor: Redactor | None) -> OtelObserver:
    observer = partial(
        OtelObserver,
        include_content=settings.record_content,
        redactor=redactor,
        max_chars=settings.content_max_chars,
    )
    if settings.otel.exporter == "global":
        return observer()
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError as error:
        raise OtelNotInstalledError() from error
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel.service_name})
    )
    provider.add_span_processor(_span_processor(settings.otel))
    return observer(provider)


def _span_processor(settings: OtelSettings) -> SpanProcessor:
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    if settings.exporter == "console":
        return SimpleSpanProcessor(ConsoleSpanExporter())
    try:
        # Imported by name: the exporter is a separate package, absent from type checks.
        exporter_module = importlib.import_module(_OTLP_EXPORTER)
    except ImportError as error:
        raise ZeroClawError(
            "observability.otel.exporter = 'otlp' needs the OTLP exporter, which is not installed",
            hint="pip install 'zeroclaw[otel]' (it brings the OTLP exporter), or set "
            "observability.otel.exporter to 'console' or 'global'",
        ) from error
    return BatchSpanProcessor(exporter_module.OTLPSpanExporter(endpoint=settings.endpoint))
