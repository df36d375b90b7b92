"""Events as Prometheus metrics, on a registry of the observer's own.

The registry is not the process-global one, so two observers (two tests, two agents in
one process) never collide; the gateway serves `observer.registry` on /metrics.

Each labelled series is asked of prometheus_client once per label values and kept: its
own lookup checks the values and takes a lock, on every event of every turn.

Metrics (counters end in _total when exposed):
  zeroclaw_sessions_active                          gauge, AgentStart - AgentEnd
  zeroclaw_turns{outcome}                           TurnComplete
  zeroclaw_turn_duration_seconds                    histogram, TurnComplete
  zeroclaw_llm_requests{provider,model,outcome}     LLMResponse (outcome success|error)
  zeroclaw_llm_input_tokens{provider,model}         LLMResponse usage
  zeroclaw_llm_output_tokens{provider,model}        LLMResponse usage
  zeroclaw_llm_latency_seconds{provider,model}      histogram, LLMResponse
  zeroclaw_tool_calls{tool,outcome}                 ToolCallFinished (success|error|blocked)
  zeroclaw_tool_duration_seconds{tool}              histogram, ToolCallFinished
  zeroclaw_errors{component}                        Error
  zeroclaw_compactions                              Compaction
  zeroclaw_compacted_messages                       Compaction
  zeroclaw_messages_sent{channel}                   MessageDelivered
  zeroclaw_heartbeats                               HeartbeatObserved
  zeroclaw_plugin_loads{plugin,cache}               PluginLoaded (cache hit|miss)
  zeroclaw_plugin_calls{plugin,outcome}             PluginCall
  zeroclaw_plugin_call_duration_seconds{plugin}     histogram, PluginCall
  zeroclaw_plugin_traps{plugin}                     PluginTrap
  zeroclaw_plugin_reloads{outcome}                  PluginReload (swapped|rolled_back)
  zeroclaw_plugin_generation                        gauge, last swapped snapshot
  zeroclaw_hook_skips{handler,event}                HookSkipped (a fail_open handler failed)
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from zeroclaw.observability.events import (
    AgentEnd,
    AgentStart,
    Compaction,
    Error,
    HeartbeatObserved,
    HookSkipped,
    LLMResponse,
    MessageDelivered,
    ObserverEvent,
    PluginCall,
    PluginLoaded,
    PluginReload,
    PluginTrap,
    ToolCallFinished,
    TurnComplete,
)

# Every kind `PrometheusObserver.record` has a case for (the others, such as TurnStarted and
# LLMRequest, it ignores; a MultiObserver then does not even hand them over).
_MEASURED: tuple[type[ObserverEvent], ...] = (
    PluginCall,
    AgentStart,
    AgentEnd,
    TurnComplete,
    LLMResponse,
    ToolCallFinished,
    Error,
    Compaction,
    MessageDelivered,
    HeartbeatObserved,
    PluginLoaded,
    PluginTrap,
    PluginReload,
    HookSkipped,
)

_LLM_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)
_FAST_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_TURN_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0)


class PrometheusObserver:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._children: dict[tuple[MetricWrapperBase, tuple[str, ...]], Any] = {}
        r = self.registry
        self.sessions_active = Gauge(
            "zeroclaw_sessions_active", "Sessions the agent is serving.", registry=r
        )
        self.turns = Counter(
            "zeroclaw_turns", "Agent turns completed, by outcome.", ["outcome"], registry=r
        )
        self.turn_duration = Histogram(
            "zeroclaw_turn_duration_seconds",
            "Wall time of one agent turn.",
            buckets=_TURN_BUCKETS,
            registry=r,
        )
        llm = ["provider", "model"]
        self.llm_requests = Counter(
            "zeroclaw_llm_requests",
            "LLM calls, by provider, model and outcome (success or error).",
            [*llm, "outcome"],
            registry=r,
        )
        self.llm_input_tokens = Counter(
            "zeroclaw_llm_input_tokens", "Tokens sent to models.", llm, registry=r
        )
        self.llm_output_tokens = Counter(
            "zeroclaw_llm_output_tokens", "Tokens produced by models.", llm, registry=r
        )
        self.llm_latency = Histogram(
            "zeroclaw_llm_latency_seconds",
            "Latency of one LLM call.",
            llm,
            buckets=_LLM_BUCKETS,
            registry=r,
        )
        self.tool_calls = Counter(
            "zeroclaw_tool_calls",
            "Tool calls, by tool and outcome (success, error or blocked).",
            ["tool", "outcome"],
            registry=r,
        )
        self.tool_duration = Histogram(
            "zeroclaw_tool_duration_seconds",
            "Duration of one tool call.",
            ["tool"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "zeroclaw_errors", "Errors the host handled, by component.", ["component"], registry=r
        )
        self.compactions = Counter("zeroclaw_compactions", "History compactions.", registry=r)
        self.compacted_messages = Counter(
            "zeroclaw_compacted_messages", "Messages replaced by summaries.", registry=r
        )
        self.messages_sent = Counter(
            "zeroclaw_messages_sent", "Replies delivered, by channel.", ["channel"], registry=r
        )
        self.heartbeats = Counter("zeroclaw_heartbeats", "Heartbeat ticks.", registry=r)
        self.plugin_loads = Counter(
            "zeroclaw_plugin_loads",
            "Plugins loaded, by plugin and compile cache (hit or miss).",
            ["plugin", "cache"],
            registry=r,
        )
        self.plugin_calls = Counter(
            "zeroclaw_plugin_calls",
            "Calls into plugins, by plugin and outcome.",
            ["plugin", "outcome"],
            registry=r,
        )
        self.plugin_call_duration = Histogram(
            "zeroclaw_plugin_call_duration_seconds",
            "Duration of one call into a plugin.",
            ["plugin"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.plugin_traps = Counter(
            "zeroclaw_plugin_traps", "Plugin calls that trapped, by plugin.", ["plugin"], registry=r
        )
        self.plugin_reloads = Counter(
            "zeroclaw_plugin_reloads",
            "Plugin reloads, by outcome (swapped or rolled_back).",
            ["outcome"],
            registry=r,
        )
        self.plugin_generation = Gauge(
            "zeroclaw_plugin_generation", "Generation of the plugin snapshot in use.", registry=r
        )
        self.hook_skips = Counter(
            "zeroclaw_hook_skips",
            "Calls of a fail_open hook handler that failed and were skipped, by handler and event.",
            ["handler", "event"],
            registry=r,
        )

    def observes(self, kind: type[Any]) -> bool:
        """The kinds `record` turns into metrics (the module docstring's table)."""
        return issubclass(kind, _MEASURED)

    def record(self, event: ObserverEvent) -> None:
        # The most frequent first: a match tries its cases in order.
        match event:
            case PluginCall():
                self._child(self.plugin_calls, event.plugin, event.outcome).inc()
                self._child(self.plugin_call_duration, event.plugin).observe(
                    event.duration_ms / 1000
                )
            case AgentStart():
                self.sessions_active.inc()
            case AgentEnd():
                self.sessions_active.dec()
            case TurnComplete():
                self._child(self.turns, event.outcome).inc()
                self.turn_duration.observe(event.duration_ms / 1000)
            case LLMResponse():
                self._record_llm(event)
            case ToolCallFinished():
                self._child(self.tool_calls, event.tool, event.outcome).inc()
                self._child(self.tool_duration, event.tool).observe(event.duration_ms / 1000)
            case Error():
                self._child(self.errors, event.component).inc()
            case Compaction():
                self.compactions.inc()
                self.compacted_messages.inc(event.compacted_messages)
            case MessageDelivered():
                self._child(self.messages_sent, event.channel).inc()
            case HeartbeatObserved():
                self.heartbeats.inc()
            case PluginLoaded():
                self._child(
                    self.plugin_loads, event.plugin, "hit" if event.from_cache else "miss"
                ).inc()
            case PluginTrap():
                self._child(self.plugin_traps, event.plugin).inc()
            case PluginReload():
                self._child(
                    self.plugin_reloads, "swapped" if event.swapped else "rolled_back"
                ).inc()
                if event.swapped:
                    self.plugin_generation.set(event.generation)
            case HookSkipped():
                self._child(self.hook_skips, event.handler, event.event).inc()
            case _:
                pass

    def _record_llm(self, event: LLMResponse) -> None:
        outcome = "success" if event.success else "error"
        self._child(self.llm_requests, event.provider, event.model, outcome).inc()
        self._child(self.llm_input_tokens, event.provider, event.model).inc(
            event.usage.input_tokens
        )
        self._child(self.llm_output_tokens, event.provider, event.model).inc(
            event.usage.output_tokens
        )
        self._child(self.llm_latency, event.provider, event.model).observe(event.latency_ms / 1000)

    def _child(self, metric: MetricWrapperBase, *values: str) -> Any:
        """`metric.labels(*values)`, asked of prometheus_client once per label values: its
        lookup checks the values and takes a lock (~2.4 us), on every event of a turn."""
        key = (metric, values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child
