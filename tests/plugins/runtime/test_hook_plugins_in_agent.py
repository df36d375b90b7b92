"""Hook plugins in real agent turns: AgentRuntime built from the config (plugins enabled),
the offline provider, real tools on a real workspace, a real SQLite file. What a plugin may
do depends on its grants; a change it returns without the grant is ignored and reported."""

from __future__ import annotations

import json
import logging

import pytest
from runtime_support import MakePlugin, Recorder

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.config.models import PluginOverride
from zeroclaw.observability import LLMRequest
from zeroclaw.plugins.errors import RequiredPluginError


def runtime_for(config: Config, recorder: Recorder) -> AgentRuntime:
    return AgentRuntime.from_config(config, approver=AllowApprover(), extra_observers=[recorder])


def write_file(path: str) -> str:
    return "/tool file_write " + json.dumps({"path": path, "content": "secret-42"})


async def test_a_modifying_plugin_changes_the_prompt_of_a_real_turn(
    make_plugin: MakePlugin, config: Config, recorder: Recorder
) -> None:
    make_plugin("pirate", "hook_pirate", capabilities=("hooks.conversation", "hooks.modify"))

    async with runtime_for(config, recorder) as runtime:
        await runtime.agent.turn("s1", "hello")
        stored = await runtime.memory.session_messages("s1")

    (request,) = recorder.of(LLMRequest)
    system = request.messages[0]
    assert system.role == "system"
    assert system.content.startswith("Speak like a pirate.")
    assert config.agent.system_prompt not in system.content
    # the plugin also returned session-id "hijacked": not a changeable field, ignored
    assert request.session_id == "s1"
    assert next(m.message.content for m in stored) == "hello"


async def test_a_plugin_cancels_before_tool_call_and_the_tool_never_runs(
    make_plugin: MakePlugin, config: Config, recorder: Recorder
) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation", "hooks.modify"))

    async with runtime_for(config, recorder) as runtime:
        result = await runtime.agent.turn("s1", write_file("a.txt"))

    (exchange,) = result.exchanges
    assert not exchange.result.success
    assert exchange.result.error == "blocked by hook: blocked by wasm guard"
    assert not (config.workspace / "a.txt").exists()


async def test_a_cancel_without_hooks_modify_is_ignored_and_reported(
    make_plugin: MakePlugin,
    config: Config,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation",))

    async with runtime_for(config, recorder) as runtime:
        result = await runtime.agent.turn("s1", write_file("a.txt"))
        stats = runtime.plugins.current().plugins["guard"].calls.stats()  # type: ignore[union-attr]

    assert result.exchanges[0].result.success
    assert (config.workspace / "a.txt").read_text() == "secret-42"
    assert (stats.calls, stats.ignored_changes) == (1, 1)
    assert 'without the "hooks.modify" grant: ignored' in caplog.text


async def test_a_change_without_hooks_modify_leaves_the_prompt_alone(
    make_plugin: MakePlugin, config: Config, recorder: Recorder
) -> None:
    make_plugin("pirate", "hook_pirate", capabilities=("hooks.conversation",))

    async with runtime_for(config, recorder) as runtime:
        await runtime.agent.turn("s1", "hello")
        stats = runtime.plugins.current().plugins["pirate"].calls.stats()  # type: ignore[union-attr]

    assert recorder.of(LLMRequest)[0].messages[0].content.startswith(config.agent.system_prompt)
    assert stats.ignored_changes == 1


async def test_without_hooks_conversation_the_plugin_is_never_called(
    make_plugin: MakePlugin, config: Config, recorder: Recorder
) -> None:
    make_plugin("pirate", "hook_pirate", capabilities=("hooks.modify",))

    async with runtime_for(config, recorder) as runtime:
        await runtime.agent.turn("s1", "hello")
        plugin = runtime.plugins.current().plugins["pirate"]  # type: ignore[union-attr]

    assert plugin.calls.stats().calls == 0
    assert recorder.of(LLMRequest)[0].messages[0].content.startswith(config.agent.system_prompt)


@pytest.mark.parametrize(
    ("capabilities", "redacted"),
    [
        (("hooks.conversation", "hooks.modify", "hooks.tool_results"), True),
        (("hooks.conversation", "hooks.modify"), False),  # tool results need their own grant
    ],
)
async def test_tool_results_change_only_with_hooks_tool_results(
    make_plugin: MakePlugin,
    config: Config,
    recorder: Recorder,
    capabilities: tuple[str, ...],
    redacted: bool,
) -> None:
    make_plugin("redact", "hook_redact", capabilities=capabilities)
    (config.workspace / "notes.txt").write_text("password: hunter2")

    async with runtime_for(config, recorder) as runtime:
        result = await runtime.agent.turn(
            "s1", "/tool file_read " + json.dumps({"path": "notes.txt"})
        )
        stored = await runtime.memory.session_messages("s1")

    (exchange,) = result.exchanges
    tool_message = next(m.message for m in stored if m.message.role == "tool")
    if redacted:
        assert exchange.result.output == "[redacted]"
        assert tool_message.content == "[redacted]"
        assert tool_message.name == "file_read"  # the plugin's "renamed" tool is ignored
    else:
        assert "hunter2" in exchange.result.output
        assert "hunter2" in tool_message.content


async def test_void_events_reach_plugins_through_the_observer_bridge(
    make_plugin: MakePlugin,
    config: Config,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_plugin("watcher", "hook_observer", capabilities=("log",))
    caplog.set_level(logging.INFO, logger="zeroclaw.plugin.watcher")

    async with runtime_for(config, recorder) as runtime:
        await runtime.agent.start_session("session-7", channel="terminal")
        await runtime.hooks.drain()

    lines = [r.getMessage() for r in caplog.records if r.name == "zeroclaw.plugin.watcher"]
    assert lines == ["session-7"]


async def test_a_required_plugin_that_fails_to_load_stops_the_runtime(
    make_plugin: MakePlugin, config: Config, recorder: Recorder
) -> None:
    make_plugin("kv-user", "hook_kv", capabilities=("kv",))
    config.plugins.overrides["kv-user"] = PluginOverride(required=True)

    with pytest.raises(RequiredPluginError, match="kv-user"):
        runtime_for(config, recorder)


async def test_with_plugins_disabled_the_runtime_has_no_plugin_registry(
    make_plugin: MakePlugin, config: Config, recorder: Recorder
) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation", "hooks.modify"))
    config.plugins.enabled = False

    async with runtime_for(config, recorder) as runtime:
        result = await runtime.agent.turn("s1", write_file("a.txt"))

    assert runtime.plugins is None
    assert result.exchanges[0].result.success
