"""Observability: what the host reports about itself, and where it goes.

The agent, gateway and plugin runtime call `observer.record(event)` with one of the
events below; `build_observer(settings)` picks the backends (noop, log, prometheus,
otel, or several). The audit log (`open_audit_log`) is one more backend, configured in
its own [audit] table because it is a record to keep, not telemetry to sample.
"""

from zeroclaw.observability.audit import (
    AUDIT_LOGGER,
    AUDITED,
    AuditLog,
    AuditLogError,
    check_audit_path,
    open_audit_log,
)
from zeroclaw.observability.events import (
    AgentEnd,
    AgentStart,
    ApprovalOutcome,
    AuthFailure,
    Compaction,
    Error,
    GatewayStarted,
    GatewayStopped,
    HeartbeatObserved,
    HookSkipped,
    LLMRequest,
    LLMResponse,
    McpConnection,
    MessageDelivered,
    ObserverEvent,
    PluginCall,
    PluginLoaded,
    PluginPermissions,
    PluginQuarantined,
    PluginReload,
    PluginTrap,
    ToolCallFinished,
    ToolCallStarted,
    TurnComplete,
    TurnStarted,
)
from zeroclaw.observability.factory import build_observer
from zeroclaw.observability.log import LogObserver
from zeroclaw.observability.multi import MultiObserver, find_observer
from zeroclaw.observability.observer import NoopObserver, Observer, observes
from zeroclaw.observability.otel import OtelNotInstalledError, OtelObserver
from zeroclaw.observability.prometheus import PrometheusObserver
from zeroclaw.observability.redaction import REDACTED, Redactor
from zeroclaw.observability.settings import AuditSettings, ObservabilitySettings, OtelSettings

__all__ = [
    "AUDITED",
    "AUDIT_LOGGER",
    "REDACTED",
    "AgentEnd",
    "AgentStart",
    "ApprovalOutcome",
    "AuditLog",
    "AuditLogError",
    "AuditSettings",
    "AuthFailure",
    "Compaction",
    "Error",
    "GatewayStarted",
    "GatewayStopped",
    "HeartbeatObserved",
    "HookSkipped",
    "LLMRequest",
    "LLMResponse",
    "LogObserver",
    "McpConnection",
    "MessageDelivered",
    "MultiObserver",
    "NoopObserver",
    "ObservabilitySettings",
    "Observer",
    "ObserverEvent",
    "OtelNotInstalledError",
    "OtelObserver",
    "OtelSettings",
    "PluginCall",
    "PluginLoaded",
    "PluginPermissions",
    "PluginQuarantined",
    "PluginReload",
    "PluginTrap",
    "PrometheusObserver",
    "Redactor",
    "ToolCallFinished",
    "ToolCallStarted",
    "TurnComplete",
    "TurnStarted",
    "build_observer",
    "check_audit_path",
    "find_observer",
    "observes",
    "open_audit_log",
]
