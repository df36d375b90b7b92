"""PrometheusObserver: metric values read back from its own registry."""

from prometheus_client import generate_latest

from zeroclaw.messages import ToolResult, Usage
from zeroclaw.observability import (
    AgentEnd,
    AgentStart,
    Compaction,
    Error,
    LLMResponse,
    PluginCall,
    PluginLoaded,
    PluginReload,
    PluginTrap,
    PrometheusObserver,
    ToolCallFinished,
    TurnComplete,
)


def test_llm_metrics() -> None:
    observer = PrometheusObserver()
    observer.record(
        LLMResponse("s", "t", "r1", "openai", "gpt", 1500.0, "hi", usage=Usage(100, 20))
    )
    observer.record(LLMResponse("s", "t", "r2", "openai", "gpt", 500.0, "ok", usage=Usage(50, 5)))
    observer.record(LLMResponse("s", "t", "r3", "openai", "gpt", 30.0, error="HTTP 429"))
    value = observer.registry.get_sample_value
    model = {"provider": "openai", "model": "gpt"}

    assert value("zeroclaw_llm_requests_total", {**model, "outcome": "success"}) == 2
    assert value("zeroclaw_llm_requests_total", {**model, "outcome": "error"}) == 1
    assert value("zeroclaw_llm_input_tokens_total", model) == 150
    assert value("zeroclaw_llm_output_tokens_total", model) == 25
    assert value("zeroclaw_llm_latency_seconds_count", model) == 3
    assert value("zeroclaw_llm_latency_seconds_sum", model) == 2.03
    assert value("zeroclaw_llm_latency_seconds_bucket", {**model, "le": "1.0"}) == 2


def test_turn_tool_error_and_compaction_metrics() -> None:
    observer = PrometheusObserver()
    observer.record(AgentStart("s", "cli"))
    observer.record(AgentStart("s2", "cli"))
    observer.record(AgentEnd("s2", "cli"))
    observer.record(TurnComplete("s", "t", "answer", 2, 1, Usage(), 2500.0))
    observer.record(TurnComplete("s", "t2", "max_iterations", 8, 7, Usage(), 100.0))
    finished = ToolCallFinished("s", "t", "c1", "shell", {}, ToolResult.ok("x"), 20.0)
    observer.record(finished)
    observer.record(ToolCallFinished("s", "t", "c2", "shell", {}, ToolResult.fail("no"), 1.0))
    observer.record(
        ToolCallFinished(
            "s", "t", "c3", "shell", {}, ToolResult.fail("blocked"), 0.1, blocked_by="guard"
        )
    )
    observer.record(Error("provider", "timeout"))
    observer.record(Compaction("s", "sum", 12, 9000, 30.0))
    value = observer.registry.get_sample_value

    assert value("zeroclaw_sessions_active") == 1
    assert value("zeroclaw_turns_total", {"outcome": "answer"}) == 1
    assert value("zeroclaw_turns_total", {"outcome": "max_iterations"}) == 1
    assert value("zeroclaw_turn_duration_seconds_sum") == 2.6
    for outcome in ("success", "error", "blocked"):
        assert value("zeroclaw_tool_calls_total", {"tool": "shell", "outcome": outcome}) == 1
    assert value("zeroclaw_errors_total", {"component": "provider"}) == 1
    assert value("zeroclaw_compactions_total") == 1
    assert value("zeroclaw_compacted_messages_total") == 12


def test_plugin_metrics() -> None:
    observer = PrometheusObserver()
    observer.record(PluginLoaded("redact", "1.0.0", 3, 12.0, from_cache=True))
    observer.record(PluginCall("redact", "handle", 0.5, "ok"))
    observer.record(PluginCall("redact", "handle", 200.0, "trap"))
    observer.record(PluginTrap("redact", "handle", "unreachable"))
    observer.record(PluginReload(4, swapped=True, plugins=1))
    observer.record(PluginReload(5, swapped=False, plugins=1, reason="bad manifest"))
    value = observer.registry.get_sample_value

    assert value("zeroclaw_plugin_loads_total", {"plugin": "redact", "cache": "hit"}) == 1
    assert value("zeroclaw_plugin_calls_total", {"plugin": "redact", "outcome": "ok"}) == 1
    assert value("zeroclaw_plugin_calls_total", {"plugin": "redact", "outcome": "trap"}) == 1
    assert value("zeroclaw_plugin_traps_total", {"plugin": "redact"}) == 1
    assert value("zeroclaw_plugin_reloads_total", {"outcome": "swapped"}) == 1
    assert value("zeroclaw_plugin_reloads_total", {"outcome": "rolled_back"}) == 1
    assert value("zeroclaw_plugin_generation") == 4


def test_each_observer_has_its_own_registry() -> None:
    first, second = PrometheusObserver(), PrometheusObserver()
    first.record(Error("tool", "x"))
    assert first.registry is not second.registry
    assert second.registry.get_sample_value("zeroclaw_errors_total", {"component": "tool"}) is None
    exposed = generate_latest(first.registry).decode()
    assert 'zeroclaw_errors_total{component="tool"} 1.0' in exposed


def test_repeated_label_values_count_on_the_same_series() -> None:
    # Children are looked up once per label values: each repeat must land on its own
    # series, and two observers never share one.
    first, second = PrometheusObserver(), PrometheusObserver()
    for _ in range(3):
        first.record(PluginCall("a", "handle", 1.0, "ok"))
    first.record(PluginCall("b", "handle", 1.0, "ok"))
    first.record(PluginCall("a", "handle", 1.0, "timeout"))
    second.record(PluginCall("a", "handle", 1.0, "ok"))

    def calls(observer: PrometheusObserver, plugin: str, outcome: str) -> float | None:
        labels = {"plugin": plugin, "outcome": outcome}
        return observer.registry.get_sample_value("zeroclaw_plugin_calls_total", labels)

    assert (calls(first, "a", "ok"), calls(first, "b", "ok"), calls(first, "a", "timeout")) == (
        3,
        1,
        1,
    )
    assert calls(second, "a", "ok") == 1
    durations = first.registry.get_sample_value(
        "zeroclaw_plugin_call_duration_seconds_count", {"plugin": "a"}
    )
    assert durations == 4
