"""Explain: order, per-handler changes and durations, and why the chain stopped."""

import asyncio
import copy
import dataclasses
import logging
import pickle

import pytest

from zeroclaw.hooks import Cancel, Event, Explanation, HookRunner, ToolCallRequest, hook

BEFORE_TOOL = Event.BEFORE_TOOL_CALL


def request() -> ToolCallRequest:
    return ToolCallRequest("s1", "shell", {"command": "ls"})


@hook(BEFORE_TOOL, name="rewrite", priority=3)
async def rewrite(call: ToolCallRequest) -> ToolCallRequest:
    await asyncio.sleep(0.02)
    return dataclasses.replace(call, arguments={"command": "ls -la"})


@hook(BEFORE_TOOL, name="audit", priority=2)
def audit(call: ToolCallRequest) -> None:
    return None


@hook(BEFORE_TOOL, name="guard", priority=1)
def guard(call: ToolCallRequest) -> Cancel:
    return Cancel("no shell today")


@hook(BEFORE_TOOL, name="never", priority=0)
def never(call: ToolCallRequest) -> None:
    raise AssertionError("runs after a cancel")


async def test_explanation_shows_order_changes_durations_and_stop() -> None:
    runner = HookRunner()
    runner.register(never, guard, audit, rewrite)
    explanation = await runner.explain(BEFORE_TOOL, request())

    assert explanation.order == ("rewrite", "audit", "guard")
    first, second, third = explanation.steps
    assert first.outcome == "continue"
    assert first.changes == {"arguments": ({"command": "ls"}, {"command": "ls -la"})}
    assert first.duration_ms >= 15
    assert second.changes == {}
    assert third.outcome == "cancel"
    assert third.detail == "no shell today"
    assert explanation.stopped_by == "guard"
    assert explanation.stop_reason == "cancelled by guard: no shell today"

    text = explanation.render()
    assert "1. rewrite [native, priority 3, fail_open] continue" in text
    assert "arguments: {'command': 'ls'} -> {'command': 'ls -la'}" in text
    assert "3. guard" in text


async def test_run_returns_the_explanation_only_when_asked() -> None:
    runner = HookRunner()
    runner.register(audit)
    assert (await runner.run(BEFORE_TOOL, request())).explanation is None
    explained = await runner.run(BEFORE_TOOL, request(), explain=True)
    assert explained.explanation is not None
    assert explained.explanation.stop_reason == "every handler ran to the end of the chain"


async def test_failures_appear_with_their_cause() -> None:
    @hook(BEFORE_TOOL, name="flaky", priority=1, timeout_s=0.01)
    async def flaky(call: ToolCallRequest) -> None:
        await asyncio.sleep(5)

    @hook(BEFORE_TOOL, name="strict", failure_policy="fail_closed")
    def strict(call: ToolCallRequest) -> None:
        raise KeyError("policy")

    runner = HookRunner()
    runner.register(flaky, strict)
    explanation = await runner.explain(BEFORE_TOOL, request())

    assert [s.outcome for s in explanation.steps] == ["timeout", "error"]
    assert explanation.steps[0].detail == "timed out after 0.01s"
    assert explanation.stopped_by == "strict"
    assert explanation.stop_reason.startswith("stopped: hook 'strict' failed (raised KeyError")


async def test_no_handlers_explained() -> None:
    explanation = await HookRunner().explain(BEFORE_TOOL, request())
    assert explanation.steps == ()
    assert explanation.stop_reason == "no handlers"


async def test_debug_logging_logs_every_dispatch(caplog: pytest.LogCaptureFixture) -> None:
    runner = HookRunner()
    runner.register(rewrite)
    with caplog.at_level(logging.INFO, logger="zeroclaw.hooks"):
        await runner.run(BEFORE_TOOL, request())
    assert "before_tool_call" not in caplog.text
    with caplog.at_level(logging.DEBUG, logger="zeroclaw.hooks"):
        result = await runner.run(BEFORE_TOOL, request())
    assert result.explanation is None
    assert "hook before_tool_call: 1 handler(s) ran" in caplog.text
    assert "ls -la" in caplog.text


async def test_recorded_facts_explain_as_the_steps_they_stand_for() -> None:
    """The runner records a tuple per handler and builds the steps when they are read:
    the same explanation as one made of those steps, and the same summaries (what a tool
    call's provenance reads) whether or not the steps were built."""
    runner = HookRunner()
    runner.register(never, guard, audit, rewrite)
    recorded = await runner.explain(BEFORE_TOOL, request())
    summaries = list(recorded.step_summaries())  # before the steps are built
    assert summaries == [
        ("rewrite", "native", "fail_open", "continue", None, ("arguments",)),
        ("audit", "native", "fail_open", "continue", None, ()),
        ("guard", "native", "fail_open", "cancel", "no shell today", ()),
    ]

    rebuilt = Explanation(recorded.event, recorded.steps, recorded.stop_reason, recorded.stopped_by)
    assert rebuilt == recorded
    assert list(rebuilt.step_summaries()) == summaries
    assert recorded.steps is recorded.steps  # built once
    assert repr(rebuilt) == repr(recorded)
    assert copy.deepcopy(recorded) == recorded
    assert pickle.loads(pickle.dumps(recorded)) == recorded
    with pytest.raises(dataclasses.FrozenInstanceError):
        recorded.stop_reason = "changed"  # type: ignore[misc]
