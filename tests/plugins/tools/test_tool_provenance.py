"""A tool call's provenance is stored with its result: real turns of a real runtime (the
offline provider, a WAT tool plugin, native tools and native hooks, a real SQLite file)
leave rows that say who offered each tool, how approval went and what each hook did."""

from __future__ import annotations

import dataclasses
import json

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.hooks import Cancel, Event, ToolCallRequest, ToolResultPersist, hook
from zeroclaw.memory import HookStepRecord, ToolProvenance
from zeroclaw.messages import ToolResult

from .conftest import MakeToolPlugin


@hook(Event.BEFORE_TOOL_CALL)
def guard(call: ToolCallRequest) -> ToolCallRequest | Cancel:
    return Cancel("no writes today") if call.tool == "file_write" else call


@hook(Event.BEFORE_TOOL_CALL)
def shape(call: ToolCallRequest) -> ToolCallRequest:
    if call.tool == "file_list":
        return dataclasses.replace(call, arguments={"path": "."})
    return call


@hook(Event.BEFORE_TOOL_CALL, failure_policy="fail_open")
def wobbly(call: ToolCallRequest) -> ToolCallRequest:
    raise ValueError("wobbly is wobbly")


@hook(Event.TOOL_RESULT_PERSIST)
def redact(persist: ToolResultPersist) -> ToolResultPersist:
    if persist.tool != "echo":
        return persist
    return dataclasses.replace(persist, result=ToolResult.ok("[redacted]"))


def without_timing(provenance: ToolProvenance | None) -> ToolProvenance | None:
    assert provenance is not None
    assert provenance.duration_ms is not None
    assert provenance.duration_ms >= 0
    return dataclasses.replace(provenance, duration_ms=None)


async def test_a_turns_tool_calls_leave_their_owner_approval_and_hooks_in_memory(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("echoer", "tool_echo")
    turns = [
        '/tool echo {"word": "hi"}',
        "/tool file_list {}",
        "/tool file_write " + json.dumps({"path": "a.txt", "content": "x"}),
    ]
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        runtime.hooks.register(guard, shape, wobbly, redact)
        for text in turns:
            await runtime.agent.turn("s1", text)
        calls = await runtime.memory.session_tool_calls("s1")

    def ran(handler: str, verdict: str, **more: object) -> HookStepRecord:
        return HookStepRecord("before_tool_call", handler, "native", verdict, **more)  # type: ignore[arg-type]

    def persisted(verdict: str, **more: object) -> HookStepRecord:
        return HookStepRecord("tool_result_persist", "redact", "native", verdict, **more)  # type: ignore[arg-type]

    failed = ran("wobbly", "failed", detail="raised ValueError: wobbly is wobbly")
    assert [c.tool_name for c in calls] == ["echo", "file_list", "file_write"]
    assert [without_timing(c.provenance) for c in calls] == [
        ToolProvenance(
            "plugin",
            "echoer",
            "1.0.0",
            "not_needed",
            (
                ran("guard", "passed"),
                ran("shape", "passed"),
                failed,
                persisted("modified", fields=("result",)),
            ),
        ),
        ToolProvenance(
            "native",
            None,
            None,
            "not_needed",
            (
                ran("guard", "passed"),
                ran("shape", "modified", fields=("arguments",)),
                failed,
                persisted("passed"),
            ),
        ),
        ToolProvenance(
            "native",
            None,
            None,
            "not_needed",
            (ran("guard", "blocked", detail="no writes today"), persisted("passed")),
            blocked_by="hook:guard",
        ),
    ]
    assert calls[0].provenance is not None
    assert calls[0].provenance.owner == "plugin:echoer@1.0.0"
    # what the redaction removed is neither in the result nor in its provenance
    assert calls[0].output == "[redacted]"
    assert "hi" not in json.dumps(dataclasses.asdict(calls[0].provenance))
    assert not calls[2].success
    assert not (config.workspace / "a.txt").exists()
