"""Tool plugins as tools: loaded from real WAT components, layered over the native tools by
the runtime, called through the registry as the agent calls them. Every failure of a
plugin (an error it returns, a trap, a timeout, garbage, a huge output) is a failed tool
result the model can read, never an exception."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.cli import app
from zeroclaw.config import Config
from zeroclaw.config.models import PluginOverride
from zeroclaw.messages import ToolResult
from zeroclaw.plugins.errors import DescribeError
from zeroclaw.tools import ToolConflict, ToolContext, ToolRegistry

from .conftest import MakeToolPlugin


def runtime_for(config: Config) -> AgentRuntime:
    return AgentRuntime.from_config(config, approver=AllowApprover())


async def call(tools: ToolRegistry, name: str, config: Config, **arguments: object) -> ToolResult:
    context = ToolContext(session_id="s1", workspace=config.workspace)
    return await tools.execute(name, dict(arguments), context)


async def test_a_plugin_tool_is_offered_beside_the_native_ones(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("echoer", "tool_echo")

    async with runtime_for(config) as runtime:
        tools = runtime.live_tools()
        native = runtime.tools

    assert "echo" in tools
    assert "echo" not in native  # the native registry itself is never changed
    assert set(native.names()) < set(tools.names())
    assert tools.owner_of("echo") == "plugin"
    assert tools.label_of("echo") == "plugin:echoer"
    assert tools.label_of("shell") == "native"
    spec = next(s for s in tools.specs() if s.name == "echo")
    assert (spec.description, spec.parameters) == ("Returns its arguments", {"type": "object"})


async def test_a_plugin_tool_runs_in_the_plugin(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("echoer", "tool_echo")

    async with runtime_for(config) as runtime:
        result = await call(runtime.live_tools(), "echo", config, text="héllo", n=3)
        stats = runtime.plugins.current().plugins["echoer"].calls.stats()  # type: ignore[union-attr]

    assert result == ToolResult.ok('{"text": "héllo", "n": 3}')
    assert (stats.calls, stats.ok) == (1, 1)


async def test_an_error_the_tool_returns_is_a_failed_result(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("failing", "tool_failing")

    async with runtime_for(config) as runtime:
        result = await call(runtime.live_tools(), "fails", config)
        breaker = runtime.plugins.current().plugins["failing"].calls.breaker_status()  # type: ignore[union-attr]

    assert result == ToolResult.fail("disk on fire")
    assert breaker.consecutive_failures == 0  # the tool failed, the plugin did not


async def test_garbage_from_the_plugin_is_a_clear_tool_error(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("junk", "tool_garbage")

    async with runtime_for(config) as runtime:
        result = await call(runtime.live_tools(), "garbage", config)
        again = await call(runtime.live_tools(), "garbage", config)
        stats = runtime.plugins.current().plugins["junk"].calls.stats()  # type: ignore[union-attr]

    assert not result.success
    assert result.error is not None
    assert result.error.startswith("tool 'garbage': plugin 'junk' ")
    assert "in call:" in result.error
    assert again.error == result.error  # and the plugin is still called (fresh instance)
    assert stats.failures == 2


async def test_a_plugin_tool_that_runs_past_its_time_limit_fails_cleanly(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("spinner", "tool_spin", extra="[limits]\ntimeout_ms = 100")

    async with runtime_for(config) as runtime:
        result = await call(runtime.live_tools(), "spin", config)

    assert not result.success
    assert result.error is not None
    assert "plugin 'spinner' timed out in call" in result.error
    assert "time limit of 100 ms" in result.error
    assert "plugins.overrides.spinner.limits.timeout_ms" in result.error


async def test_a_huge_output_is_capped(make_tool_plugin: MakeToolPlugin, config: Config) -> None:
    make_tool_plugin("big", "tool_huge")

    async with runtime_for(config) as runtime:
        tools = runtime.live_tools()
        result = await call(tools, "huge", config)

    assert result.success
    assert len(result.output.encode()) < tools.max_output_bytes + 100
    assert result.output.startswith("a" * 1000)
    assert result.output.endswith(
        f"[... truncated: showing {tools.max_output_bytes} of 200000 bytes]"
    )


async def test_a_quarantined_plugin_tool_is_refused_without_running(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("junk", "tool_garbage")

    async with runtime_for(config) as runtime:
        for _ in range(5):  # the breaker opens after 5 failures in a row
            await call(runtime.live_tools(), "garbage", config)
        result = await call(runtime.live_tools(), "garbage", config)

    assert result.error is not None
    assert "plugin 'junk' is quarantined in call" in result.error
    assert "zeroclaw plugins info junk" in result.error


async def test_arguments_are_checked_against_the_schema_before_the_plugin_runs(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("echoer", "tool_echo")

    async with runtime_for(config) as runtime:
        tools = runtime.live_tools()
        not_an_object = await tools.execute(
            "echo", {"__invalid_json_arguments__": "{oops"}, ToolContext("s1", config.workspace)
        )
        stats = runtime.plugins.current().plugins["echoer"].calls.stats()  # type: ignore[union-attr]

    assert not_an_object.error is not None
    assert "are not a JSON object" in not_an_object.error
    assert stats.calls == 0


async def test_a_tool_with_an_invalid_schema_fails_to_load(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("bad", "tool_bad_schema")
    make_tool_plugin("echoer", "tool_echo")

    async with runtime_for(config) as runtime:
        snapshot = runtime.plugins.current()  # type: ignore[union-attr]
        names = runtime.live_tools().names()

    status = snapshot.status("bad")
    assert status is not None
    assert status.state == "failed"
    assert isinstance(status.error, DescribeError)
    assert "the parameters-schema of tool 'bad' is not a valid JSON Schema" in str(status.error)
    assert "bad" not in names
    assert "echo" in names  # the other plugin still loaded


@pytest.mark.parametrize(
    ("fixture", "tool", "field", "size", "cap"),
    [
        ("tool_wordy", "wordy", "description", 100_000, 16_384),
        ("tool_schemy", "schemy", "parameters-schema", 100_017, 65_536),
    ],
)
async def test_a_tool_spec_over_its_cap_fails_the_load_naming_tool_size_and_cap(
    make_tool_plugin: MakeToolPlugin,
    config: Config,
    fixture: str,
    tool: str,
    field: str,
    size: int,
    cap: int,
) -> None:
    make_tool_plugin("heavy", fixture)
    make_tool_plugin("echoer", "tool_echo")

    async with runtime_for(config) as runtime:
        snapshot = runtime.plugins.current()  # type: ignore[union-attr]
        names = runtime.live_tools().names()

    status = snapshot.status("heavy")
    assert status is not None
    assert isinstance(status.error, DescribeError)
    assert (
        f"plugin 'heavy': the {field} of tool {tool!r} is {size:,} bytes, over the cap of "
        f"{cap:,} bytes"
    ) in status.error.message
    assert status.error.hint is not None
    assert f"shorten the {field}" in status.error.hint
    assert tool not in names
    assert "echo" in names


# -- mutating -----------------------------------------------------------------------------


async def test_a_tool_is_mutating_unless_plugin_toml_declares_it_read_only(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("echoer", "tool_echo", extra='[tools]\nread_only = ["echo"]')
    make_tool_plugin("failing", "tool_failing")

    async with runtime_for(config) as runtime:
        tools = runtime.live_tools()
        echo, fails = tools.get("echo"), tools.get("fails")

    assert echo is not None
    assert echo.mutating is False
    assert fails is not None
    assert fails.mutating is True


async def test_read_only_naming_a_tool_the_plugin_lacks_is_reported(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("echoer", "tool_echo", extra='[tools]\nread_only = ["ehco"]')

    async with runtime_for(config) as runtime:
        plugin = runtime.plugins.current().plugins["echoer"]  # type: ignore[union-attr]
        echo = runtime.live_tools().get("echo")

    assert any("read_only in plugin.toml names 'ehco'" in w for w in plugin.warnings)
    assert echo is not None
    assert echo.mutating is True


# -- conflicts ----------------------------------------------------------------------------


async def test_a_native_tool_of_the_same_name_wins_and_the_clash_is_reported(
    make_tool_plugin: MakeToolPlugin, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    make_tool_plugin("imposter", "tool_shell")

    with caplog.at_level(logging.WARNING):
        async with runtime_for(config) as runtime:
            tools = runtime.live_tools()
            result = await call(tools, "shell", config, command="echo native")
            stats = runtime.plugins.current().plugins["imposter"].calls.stats()  # type: ignore[union-attr]

    assert tools.label_of("shell") == "native"
    assert result.success
    assert "native" in result.output
    assert stats.calls == 0
    assert tools.conflicts == [ToolConflict("shell", "native", "plugin", None, "plugin:imposter")]
    message = "tool 'shell' is offered by native and plugin:imposter; native's is used"
    assert message in caplog.text


async def test_two_plugins_with_one_tool_name_resolve_by_plugin_name(
    make_tool_plugin: MakeToolPlugin, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    make_tool_plugin("zulu-echo", "tool_echo")
    make_tool_plugin("alpha-echo", "tool_echo")

    with caplog.at_level(logging.WARNING):
        async with runtime_for(config) as runtime:
            tools = runtime.live_tools()

    assert tools.label_of("echo") == "plugin:alpha-echo"
    assert tools.conflicts == [
        ToolConflict("echo", "plugin", "plugin", "plugin:alpha-echo", "plugin:zulu-echo")
    ]
    assert "the plugin whose name sorts first wins" in caplog.text


async def test_a_disabled_plugin_offers_no_tool(
    make_tool_plugin: MakeToolPlugin, config: Config
) -> None:
    make_tool_plugin("echoer", "tool_echo")
    config.plugins.overrides["echoer"] = PluginOverride(enabled=False)

    async with runtime_for(config) as runtime:
        assert "echo" not in runtime.live_tools()


def test_tools_list_reports_the_conflicts(
    make_tool_plugin: MakeToolPlugin, config: Config, plugins_dir: Path, tmp_path: Path
) -> None:
    make_tool_plugin("imposter", "tool_shell")
    make_tool_plugin("zulu-echo", "tool_echo")
    make_tool_plugin("alpha-echo", "tool_echo")
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'data_dir = "{config.data_dir}"\n[plugins]\nenabled = true\ndirs = ["{plugins_dir}"]\n'
    )

    result = CliRunner().invoke(
        app, ["--config", str(config_file), "tools", "list"], env={"COLUMNS": "200"}
    )

    assert result.exit_code == 0, result.output
    conflicts = [line for line in result.output.splitlines() if line.startswith("conflict:")]
    assert conflicts == [
        "conflict: tool 'echo' is offered by plugin:alpha-echo and plugin:zulu-echo; "
        "plugin:alpha-echo's is used (between plugins, the plugin whose name sorts first wins)",
        "conflict: tool 'shell' is offered by native and plugin:imposter; native's is used "
        "(a native tool always wins)",
    ]
