"""The audit log hears a WASM plugin tool: its calls carry the plugin as their owner, and
a plugin whose circuit breaker opens writes its quarantine. Real components, a real
runtime, a real file."""

from __future__ import annotations

import json
from typing import Any

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config

from .conftest import MakeToolPlugin


def audit_lines(config: Config, kind: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in config.audit_path.read_text().splitlines()]
    return [line for line in lines if line["event"] == kind]


async def test_a_plugin_tool_call_names_its_plugin_as_owner(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("echoer", "tool_echo")

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await runtime.agent.turn("s1", '/tool echo {"word": "hi"}')

    (call,) = audit_lines(config, "tool_call_finished")
    assert (call["tool"], call["owner"], call["outcome"]) == ("echo", "plugin:echoer", "success")
    assert "hi" in call["result"]["output"]


async def test_a_quarantine_writes_its_line(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("junk", "tool_garbage")

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        for _ in range(6):  # the breaker opens after 5 failures in a row
            await runtime.agent.turn("s1", "/tool garbage {}")

    (quarantine,) = audit_lines(config, "plugin_quarantined")
    assert quarantine["plugin"] == "junk"
    assert quarantine["retry_in_s"] > 0
    assert quarantine["reason"]
    calls = audit_lines(config, "tool_call_finished")
    assert len(calls) == 6
    assert {call["owner"] for call in calls} == {"plugin:junk"}
    assert "quarantined" in calls[-1]["result"]["error"]
