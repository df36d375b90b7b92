"""ObserverBridge: each lifecycle observer event reaches its void hook exactly once."""

import pytest

from zeroclaw.hooks import (
    AfterCompaction,
    AfterToolCall,
    Event,
    GatewayStart,
    GatewayStop,
    HeartbeatTick,
    HookKind,
    HookRunner,
    LLMInput,
    LLMOutput,
    MessageSent,
    ObserverBridge,
    SessionEnd,
    SessionStart,
    VoidPayload,
    hook,
)
from zeroclaw.messages import ChatMessage, ToolCall, ToolResult, Usage
from zeroclaw.observability import (
    AgentEnd,
    AgentStart,
    Compaction,
    Error,
    GatewayStarted,
    GatewayStopped,
    HeartbeatObserved,
    LLMRequest,
    LLMResponse,
    MessageDelivered,
    MultiObserver,
    ObserverEvent,
    PluginCall,
    PluginLoaded,
    PluginReload,
    PluginTrap,
    PrometheusObserver,
    ToolCallFinished,
    ToolCallStarted,
    TurnComplete,
    TurnStarted,
    build_observer,
)
from zeroclaw.observability.settings import ObservabilitySettings

MESSAGES = (ChatMessage("user", "hi"),)
CALL = ToolCall("c1", "shell", {"command": "ls"})
USAGE = Usage(10, 3)

# Every observer event, and the void hook payload it must become (None: no hook).
CASES: list[tuple[ObserverEvent, tuple[Event, VoidPayload] | None]] = [
    (GatewayStarted("127.0.0.1", 8080), (Event.ON_GATEWAY_START, GatewayStart("127.0.0.1", 8080))),
    (GatewayStopped(), (Event.ON_GATEWAY_STOP, GatewayStop())),
    (AgentStart("s1", "cli", "u1"), (Event.ON_SESSION_START, SessionStart("s1", "cli", "u1"))),
    (AgentEnd("s1", "cli", "u1", turns=2), (Event.ON_SESSION_END, SessionEnd("s1", "cli", "u1"))),
    (
        LLMRequest("s1", "t1", "r1", "openai", "gpt", MESSAGES),
        (Event.ON_LLM_INPUT, LLMInput("s1", "openai", "gpt", MESSAGES)),
    ),
    (
        LLMResponse("s1", "t1", "r1", "openai", "gpt", 12.5, "hello", (CALL,), USAGE),
        (
            Event.ON_LLM_OUTPUT,
            LLMOutput("s1", "openai", "gpt", "hello", (CALL,), USAGE, 12.5),
        ),
    ),
    (
        ToolCallFinished("s1", "t1", "c1", "shell", {"command": "ls"}, ToolResult.ok("a"), 3.0),
        (
            Event.ON_AFTER_TOOL_CALL,
            AfterToolCall("s1", "shell", {"command": "ls"}, ToolResult.ok("a"), 3.0),
        ),
    ),
    (
        MessageDelivered("cli", "u1", "bye", "s1"),
        (Event.ON_MESSAGE_SENT, MessageSent("cli", "u1", "bye")),
    ),
    (HeartbeatObserved(4, 1700.0), (Event.ON_HEARTBEAT_TICK, HeartbeatTick(4, 1700.0))),
    (
        Compaction("s1", "summary", 12, 9000, 40.0, "t1"),
        (Event.AFTER_COMPACTION, AfterCompaction("s1", "summary", 12)),
    ),
    (TurnStarted("s1", "t1", "cli"), None),
    (TurnComplete("s1", "t1", "answer", 1, 0, USAGE, 50.0), None),
    (ToolCallStarted("s1", "t1", "c1", "shell", {}), None),
    (Error("provider", "boom"), None),
    (LLMResponse("s1", "t1", "r2", "openai", "gpt", 5.0, error="429"), None),
    (PluginLoaded("p", "1.0.0", 1, 3.0), None),
    (PluginCall("p", "handle", 1.0, "ok"), None),
    (PluginTrap("p", "handle", "unreachable"), None),
    (PluginReload(2, swapped=True, plugins=1), None),
]


def _recording_runner() -> tuple[HookRunner, list[tuple[Event, VoidPayload]]]:
    received: list[tuple[Event, VoidPayload]] = []

    def make(event: Event) -> object:
        return hook(event, name=f"rec-{event.value}")(
            lambda payload: received.append((event, payload))
        )

    runner = HookRunner()
    runner.register(*[make(e) for e in Event if e.kind is HookKind.VOID])  # type: ignore[arg-type]
    return runner, received


def test_the_mapping_covers_every_void_hook() -> None:
    mapped = {expected[0] for _, expected in CASES if expected is not None}
    assert mapped == {e for e in Event if e.kind is HookKind.VOID}


@pytest.mark.parametrize(("event", "expected"), CASES, ids=lambda c: getattr(c, "kind", ""))
async def test_each_observer_event_becomes_its_hook_once(
    event: ObserverEvent, expected: tuple[Event, VoidPayload] | None
) -> None:
    runner, received = _recording_runner()
    ObserverBridge(runner).record(event)
    await runner.drain(1)
    assert received == ([] if expected is None else [expected])


async def test_one_on_llm_output_call_per_llm_response_through_the_fan_out() -> None:
    outputs: list[LLMOutput] = []
    runner = HookRunner()
    runner.register(hook(Event.ON_LLM_OUTPUT, name="tap")(outputs.append))
    prometheus = PrometheusObserver()
    observer = build_observer(
        ObservabilitySettings(backend=["log", "noop"]), extra=[prometheus, ObserverBridge(runner)]
    )
    assert isinstance(observer, MultiObserver)

    for n in range(3):
        observer.record(LLMRequest("s1", "t1", f"r{n}", "openai", "gpt", MESSAGES))
        observer.record(
            LLMResponse("s1", "t1", f"r{n}", "openai", "gpt", 10.0, f"answer {n}", usage=USAGE)
        )
    await runner.drain(1)

    assert [o.text for o in outputs] == ["answer 0", "answer 1", "answer 2"]
    assert runner.handlers()[0].stats.calls == 3
    labels = {"provider": "openai", "model": "gpt", "outcome": "success"}
    assert prometheus.registry.get_sample_value("zeroclaw_llm_requests_total", labels) == 3


async def test_a_failing_hook_does_not_reach_the_recorder() -> None:
    runner = HookRunner()

    @hook(Event.ON_HEARTBEAT_TICK, name="boom")
    def boom(tick: HeartbeatTick) -> None:
        raise RuntimeError("x")

    runner.register(boom)
    ObserverBridge(runner).record(HeartbeatObserved(1, 0.0))
    await runner.drain(1)
    assert runner.handlers()[0].stats.failures == 1


async def test_no_payload_is_built_for_a_hook_nobody_handles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zeroclaw.hooks import observer_bridge

    built: list[Event] = []
    for observed, (hook_event, payload_of) in list(observer_bridge._BRIDGED.items()):

        def counting(
            event: object, hook_event: Event = hook_event, of: object = payload_of
        ) -> object:
            built.append(hook_event)
            return of(event)  # type: ignore[operator]

        monkeypatch.setitem(observer_bridge._BRIDGED, observed, (hook_event, counting))

    runner = HookRunner()
    bridge = ObserverBridge(runner)
    for event, _ in CASES:
        bridge.record(event)
    assert built == []

    # A handler registered later is seen at once: the check reads the live table.
    ticks: list[HeartbeatTick] = []
    runner.register(hook(Event.ON_HEARTBEAT_TICK, name="tap")(ticks.append))
    for event, _ in CASES:
        bridge.record(event)
    await runner.drain(1)
    assert built == [Event.ON_HEARTBEAT_TICK]
    assert [t.tick for t in ticks] == [4]
