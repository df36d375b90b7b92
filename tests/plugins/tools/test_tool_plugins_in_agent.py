"""Tool plugins in real agent turns: AgentRuntime built from the config (plugins on), a
scripted model that calls the plugin's tool, a real SQLite file. The security policy,
approvals and hooks apply to a plugin tool before the plugin runs, exactly as to a native
tool; tool_result_persist runs on its result."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from zeroclaw.agent import AgentRuntime, AllowApprover, Approver, DenyApprover
from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig
from zeroclaw.hooks import Cancel, Event, ToolCallRequest, ToolResultPersist, hook
from zeroclaw.messages import ToolResult
from zeroclaw.tools import ToolContext

from .conftest import MakeToolPlugin


def script(config: Config, tmp_path: Path, *entries: dict[str, Any]) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(list(entries)))
    config.llm.providers["script"] = ProviderConfig(kind="scripted", script=path)
    config.llm.provider = "script"


def call(name: str, **arguments: object) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def runtime_for(config: Config, approver: Approver | None = None) -> AgentRuntime:
    return AgentRuntime.from_config(config, approver=approver or AllowApprover())


def plugin_calls(runtime: AgentRuntime, name: str) -> int:
    assert runtime.plugins is not None
    return runtime.plugins.current().plugins[name].calls.stats().calls


async def test_the_agent_calls_a_plugin_tool_and_answers_with_its_result(
    make_tool_plugin: MakeToolPlugin, config: Config, tmp_path: Path
) -> None:
    make_tool_plugin("echoer", "tool_echo", extra='[tools]\nread_only = ["echo"]')
    script(config, tmp_path, call("echo", word="pelican"), {"text": "The plugin said pelican."})

    async with runtime_for(config) as runtime:
        result = await runtime.agent.turn("s1", "echo pelican")
        stored = [m.message for m in await runtime.memory.session_messages("s1")]

    (exchange,) = result.exchanges
    assert exchange.result == ToolResult.ok('{"word": "pelican"}')
    assert result.reply == "The plugin said pelican."
    tool_message = next(m for m in stored if m.role == "tool")
    assert (tool_message.name, tool_message.content) == ("echo", '{"word": "pelican"}')


async def test_read_only_autonomy_refuses_a_mutating_plugin_tool_before_it_runs(
    make_tool_plugin: MakeToolPlugin, config: Config, tmp_path: Path
) -> None:
    make_tool_plugin("echoer", "tool_echo")  # no read_only declaration: mutating
    config.tools.autonomy = "read_only"
    script(config, tmp_path, call("echo", x=1), {"text": "ok"})

    async with runtime_for(config) as runtime:
        result = await runtime.agent.turn("s1", "go")
        calls = plugin_calls(runtime, "echoer")

    assert result.exchanges[0].result.error == (
        "denied by security policy: 'echo' changes things and tools.autonomy is read_only"
    )
    assert calls == 0


async def test_read_only_autonomy_runs_a_tool_declared_read_only(
    make_tool_plugin: MakeToolPlugin, config: Config, tmp_path: Path
) -> None:
    make_tool_plugin("echoer", "tool_echo", extra='[tools]\nread_only = ["echo"]')
    config.tools.autonomy = "read_only"
    script(config, tmp_path, call("echo", x=1), {"text": "ok"})

    async with runtime_for(config) as runtime:
        result = await runtime.agent.turn("s1", "go")

    assert result.exchanges[0].result == ToolResult.ok('{"x": 1}')


async def test_supervised_autonomy_asks_before_a_mutating_plugin_tool(
    make_tool_plugin: MakeToolPlugin, config: Config, tmp_path: Path
) -> None:
    make_tool_plugin("echoer", "tool_echo")
    config.tools.autonomy = "supervised"
    script(config, tmp_path, call("echo", x=1), {"text": "ok"})

    async with runtime_for(config, DenyApprover()) as runtime:
        result = await runtime.agent.turn("s1", "go")
        calls = plugin_calls(runtime, "echoer")

    error = result.exchanges[0].result.error
    assert error is not None
    assert error.startswith("needs approval (")
    assert "nobody can approve it here" in error
    assert calls == 0


async def test_a_plugin_tool_outside_tools_allowed_is_denied(
    make_tool_plugin: MakeToolPlugin, config: Config, tmp_path: Path
) -> None:
    make_tool_plugin("echoer", "tool_echo")
    config.tools.allowed = ["file_list"]
    script(config, tmp_path, call("echo", x=1), {"text": "ok"})

    async with runtime_for(config) as runtime:
        result = await runtime.agent.turn("s1", "go")
        calls = plugin_calls(runtime, "echoer")

    assert result.exchanges[0].result.error == (
        "denied by security policy: tool 'echo' is not in tools.allowed"
    )
    assert calls == 0


async def test_before_tool_call_and_tool_result_persist_run_around_a_plugin_tool(
    make_tool_plugin: MakeToolPlugin, config: Config, tmp_path: Path
) -> None:
    make_tool_plugin("echoer", "tool_echo")
    script(
        config, tmp_path, call("echo", secret="hunter2"), call("echo", stop=True), {"text": "ok"}
    )
    seen: list[str] = []

    def narrow(request: ToolCallRequest) -> ToolCallRequest | Cancel:
        seen.append(f"before {request.tool} {sorted(request.arguments)}")
        if request.arguments.get("stop"):
            return Cancel("no stopping")
        return ToolCallRequest(request.session_id, request.tool, {"redacted": True})

    def redact(persist: ToolResultPersist) -> ToolResultPersist:
        seen.append(f"persist {persist.tool} {persist.result.output}")
        result = persist.result
        changed = ToolResult(result.success, result.output.replace("true", "yes"), result.error)
        return ToolResultPersist(persist.session_id, persist.tool, persist.call_id, changed)

    async with runtime_for(config) as runtime:
        runtime.hooks.register(
            hook(Event.BEFORE_TOOL_CALL, name="narrow")(narrow),
            hook(Event.TOOL_RESULT_PERSIST, name="redact")(redact),
        )
        result = await runtime.agent.turn("s1", "go")
        calls = plugin_calls(runtime, "echoer")

    first, second = result.exchanges
    assert first.result == ToolResult.ok('{"redacted": yes}')  # changed args, then redacted
    assert second.result == ToolResult.fail("blocked by hook: no stopping")
    assert calls == 1
    assert seen == [
        "before echo ['secret']",
        'persist echo {"redacted": true}',
        "before echo ['stop']",
        "persist echo ",
    ]


async def test_each_snapshot_has_its_own_tools_and_a_view_outlives_a_swap(
    make_tool_plugin: MakeToolPlugin, config: Config, plugins_dir: Path
) -> None:
    make_tool_plugin("echoer", "tool_echo")

    async with runtime_for(config) as runtime:
        registry = runtime.plugins
        assert registry is not None
        before = runtime.live_tools()
        assert runtime.live_tools() is before  # one view per snapshot
        shutil.rmtree(plugins_dir / "echoer")
        make_tool_plugin("failing", "tool_failing")
        registry.publish(registry.build(config.plugins))
        after = runtime.live_tools()
        old_call = await before.execute("echo", {"a": 1}, ToolContext("s1", config.workspace))

    assert "echo" in before
    assert "fails" not in before
    assert "fails" in after
    assert "echo" not in after
    assert old_call == ToolResult.ok('{"a": 1}')  # a turn holding the old view finishes on it
