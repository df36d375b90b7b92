"""The [observability] and [audit] tables of the config file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from zeroclaw.section import Section

Backend = Literal["noop", "log", "prometheus", "otel"]
OtelExporter = Literal["otlp", "console", "global"]


class OtelSettings(Section):
    exporter: OtelExporter = Field(
        "otlp",
        description="Where spans go: otlp (OTLP/HTTP to `endpoint`), console (stdout), or "
        "global (the tracer provider the process already set up, e.g. by "
        "opentelemetry-instrument).",
    )
    endpoint: str = Field(
        "http://127.0.0.1:4318/v1/traces", description="OTLP/HTTP traces endpoint (otlp)."
    )
    service_name: str = Field("zeroclaw", description="The service.name resource attribute.")


class ObservabilitySettings(Section):
    backend: Backend | list[Backend] = Field(
        "log",
        description='Where events go: noop, log, prometheus or otel; a list (e.g. ["log", '
        '"prometheus"]) sends every event to each.',
    )
    record_content: bool = Field(
        False,
        description="Put conversation content (messages, model output, tool arguments and "
        "results) in logs and spans; off: only its size.",
    )
    content_max_chars: int = Field(
        2000,
        ge=64,
        le=1_000_000,
        description="With record_content, the longest content text a log line or span keeps; "
        "the rest is cut, and what is kept is redacted as in the audit log.",
    )
    otel: OtelSettings = Field(default_factory=OtelSettings)

    @field_validator("backend", mode="after")
    @classmethod
    def _distinct(cls, value: Backend | list[Backend]) -> Backend | list[Backend]:
        if isinstance(value, list) and (not value or len(set(value)) != len(value)):
            raise ValueError("give at least one backend, each at most once")
        return value

    @property
    def backends(self) -> tuple[Backend, ...]:
        return tuple(self.backend) if isinstance(self.backend, list) else (self.backend,)


class AuditSettings(Section):
    """The audit log: one JSON line per tool call (owner, approval), plugin load, reload,
    quarantine and permission change, MCP connection change and refused credential,
    secrets redacted, rotated by size. See docs/audit.md."""

    enabled: bool = Field(True, description="Write the audit log.")
    path: str = Field(
        "audit/audit.jsonl",
        description="The JSON-lines file (relative: to data_dir). Rotated files sit beside "
        "it as PATH.1 (the newest) to PATH.N.",
        examples=["/var/log/zeroclaw/audit.jsonl"],
    )
    max_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1024,
        le=1 << 40,
        description="Size past which the file is rotated before the next line is written.",
    )
    backups: int = Field(
        5,
        ge=1,
        le=1000,
        description="Rotated files kept; the oldest one beyond this is deleted.",
    )
    max_chars: int = Field(
        2000,
        ge=64,
        le=1_000_000,
        description="Longest text kept in a line (tool arguments, results, errors); the rest "
        "is cut, after redaction.",
    )
