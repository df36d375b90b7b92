"""Registration, specs, function handlers and the counters `hooks list` shows."""

import asyncio
import math

import pytest

from zeroclaw.hooks import (
    DEFAULT_FAILURE_POLICY,
    Event,
    HandlerSpec,
    HookRunner,
    HooksSettings,
    InboundMessage,
    UnknownEventError,
    hook,
)

RECEIVED = Event.ON_MESSAGE_RECEIVED


def inbound(content: str = "hi") -> InboundMessage:
    return InboundMessage("cli", "s1", "alice", content)


def test_default_failure_policy_is_fail_open() -> None:
    assert DEFAULT_FAILURE_POLICY == "fail_open"
    assert HandlerSpec("x", frozenset({RECEIVED})).failure_policy == "fail_open"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "non-empty name"),
        ({"events": frozenset()}, "handles no events"),
        ({"source": "wasm"}, "source must be"),
        ({"source": "plugin:"}, "source must be"),
        ({"timeout_s": 0}, "positive"),
        ({"timeout_s": math.inf}, "positive"),
        ({"failure_policy": "ignore"}, "failure_policy"),
    ],
)
def test_bad_specs_are_rejected(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"name": "h", "events": frozenset({RECEIVED}), **kwargs}
    with pytest.raises(ValueError, match=message):
        HandlerSpec(**fields)  # type: ignore[arg-type]


def test_plugin_source_is_accepted() -> None:
    assert HandlerSpec("h", frozenset({RECEIVED}), source="plugin:redact-secrets").source


def test_hook_takes_event_names_and_the_function_name() -> None:
    @hook("on_message_received", Event.BEFORE_TOOL_CALL)
    def greeter(message: InboundMessage) -> None:
        return None

    assert greeter.spec.name == "greeter"
    assert greeter.spec.events == {RECEIVED, Event.BEFORE_TOOL_CALL}
    with pytest.raises(UnknownEventError):
        hook("on_message_receive")(greeter.fn)


async def test_sync_and_async_functions_both_work() -> None:
    @hook(RECEIVED, name="sync", priority=1)
    def upper(message: InboundMessage) -> InboundMessage:
        return InboundMessage(message.channel, message.session_id, message.sender, "HI")

    @hook(RECEIVED, name="async")
    async def exclaim(message: InboundMessage) -> InboundMessage:
        await asyncio.sleep(0)
        return InboundMessage(message.channel, message.session_id, message.sender, "HI!")

    runner = HookRunner()
    runner.register(upper, exclaim)
    assert (await runner.run(RECEIVED, inbound())).payload.content == "HI!"


async def test_unregister_and_reregister() -> None:
    calls: list[str] = []
    handler = hook(RECEIVED, name="h")(lambda message: calls.append("h"))
    runner = HookRunner()
    runner.register(handler)
    with pytest.raises(ValueError, match="already registered"):
        runner.register(handler)
    runner.unregister(handler)
    assert not runner.has_handlers(RECEIVED)
    await runner.run(RECEIVED, inbound())
    assert calls == []
    with pytest.raises(ValueError, match="not registered"):
        runner.unregister(handler)


async def test_replace_swaps_handlers_in_one_step() -> None:
    old = hook(RECEIVED, name="v1")(lambda message: None)
    new = hook(RECEIVED, name="v2")(lambda message: None)
    keep = hook(RECEIVED, name="native", priority=9)(lambda message: None)
    runner = HookRunner()
    runner.register(keep, old)
    runner.replace(remove=[old], add=[new])
    assert [r.spec.name for r in runner.handlers(RECEIVED)] == ["native", "v2"]


async def test_a_failed_replace_changes_nothing() -> None:
    a = hook(RECEIVED, name="a")(lambda message: None)
    stranger = hook(RECEIVED, name="b")(lambda message: None)
    runner = HookRunner()
    runner.register(a)
    with pytest.raises(ValueError, match="not registered"):
        runner.replace(remove=[stranger], add=[hook(RECEIVED, name="c")(lambda m: None)])
    assert [r.spec.name for r in runner.handlers()] == ["a"]


def test_default_timeout_comes_from_settings_unless_the_handler_sets_one() -> None:
    runner = HookRunner.from_settings(HooksSettings(timeout_ms=250))
    runner.register(
        hook(RECEIVED, name="default")(lambda m: None),
        hook(RECEIVED, name="own", timeout_s=2)(lambda m: None),
    )
    timeouts = {r.spec.name: r.timeout_s for r in runner.handlers()}
    assert timeouts == {"default": 0.25, "own": 2}


def test_settings_reject_unknown_keys() -> None:
    with pytest.raises(ValueError, match="extra"):
        HooksSettings.model_validate({"timeout": 5})


def test_handlers_lists_all_in_dispatch_order() -> None:
    runner = HookRunner()
    runner.register(
        hook(RECEIVED, name="b")(lambda m: None),
        hook(Event.ON_HEARTBEAT_TICK, name="a")(lambda m: None),
        hook(RECEIVED, name="c", priority=5)(lambda m: None),
    )
    assert [r.spec.name for r in runner.handlers()] == ["c", "a", "b"]
    assert [r.spec.name for r in runner.handlers(RECEIVED)] == ["c", "b"]
    assert all(r.stats.calls == 0 for r in runner.handlers())
