"""The example tool plugins, word-count (Python, componentize-py) and unit-convert
(JavaScript, componentize-js), built from examples/plugins/tools and loaded by the real
runtime: listed with their owners, called through the registry and the CLI, and by the
agent in a real turn on a scripted model. With plugins off they are not there at all."""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.cli import app
from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig
from zeroclaw.messages import ToolResult
from zeroclaw.tools import ToolContext

from .plugin_dirs import EXAMPLES, Built, example_dir, plugins_config


@pytest.fixture
def examples(built_tools: Built) -> Path:
    for name in built_tools:
        example_dir(built_tools, name)  # skips when a toolchain is missing
    return EXAMPLES / "tools"


@pytest.fixture
def config(tmp_path: Path, examples: Path) -> Config:
    return plugins_config(tmp_path, [examples])


@pytest.fixture
async def runtime(config: Config) -> AsyncIterator[AgentRuntime]:
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        yield runtime


async def execute(runtime: AgentRuntime, name: str, **arguments: object) -> ToolResult:
    context = ToolContext("s1", runtime.config.workspace)
    return await runtime.live_tools().execute(name, dict(arguments), context)


def calls_of(runtime: AgentRuntime, plugin: str) -> int:
    assert runtime.plugins is not None
    return runtime.plugins.current().plugins[plugin].calls.stats().calls


async def test_both_examples_load_and_offer_read_only_tools(runtime: AgentRuntime) -> None:
    tools = runtime.live_tools()

    assert tools.label_of("word_count") == "plugin:word-count"
    assert tools.label_of("unit_convert") == "plugin:unit-convert"
    for name in ("word_count", "unit_convert"):
        tool = tools.get(name)
        assert tool is not None
        assert tool.mutating is False
    spec = next(s for s in tools.specs() if s.name == "unit_convert")
    assert spec.parameters["required"] == ["value", "from", "to"]


async def test_the_python_tool_counts(runtime: AgentRuntime) -> None:
    result = await execute(runtime, "word_count", text="the cat and the hat\nsat", top=1)

    assert result.success, result.error
    assert json.loads(result.output) == {
        "words": 6,
        "lines": 2,
        "characters": 23,
        "top": [{"word": "the", "count": 2}],
    }


async def test_the_javascript_tool_converts(runtime: AgentRuntime) -> None:
    miles = await execute(runtime, "unit_convert", value=10, **{"from": "km", "to": "mi"})
    fahrenheit = await execute(runtime, "unit_convert", value=100, **{"from": "c", "to": "f"})

    assert json.loads(miles.output)["result"] == pytest.approx(6.21371192237)
    assert json.loads(fahrenheit.output)["result"] == 212


async def test_an_error_the_guest_raises_reaches_the_model_as_a_failed_result(
    runtime: AgentRuntime,
) -> None:
    result = await execute(runtime, "unit_convert", value=1, **{"from": "kg", "to": "m"})

    assert result == ToolResult.fail(
        "invalid arguments for tool 'unit_convert': cannot convert mass (kg) to length (m)"
    )


async def test_arguments_that_break_the_schema_never_reach_the_plugin(
    runtime: AgentRuntime,
) -> None:
    missing = await execute(runtime, "word_count", top=3)
    unknown_unit = await execute(runtime, "unit_convert", value=1, **{"from": "pc", "to": "m"})

    assert missing.error == "invalid arguments for tool 'word_count': 'text' is a required property"
    assert unknown_unit.error is not None
    assert "argument 'from': 'pc' is not one of" in unknown_unit.error
    assert (calls_of(runtime, "word-count"), calls_of(runtime, "unit-convert")) == (0, 0)


# -- in a turn ------------------------------------------------------------------------------


def script(config: Config, tmp_path: Path, *entries: dict[str, Any]) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(list(entries)))
    config.llm.providers["script"] = ProviderConfig(kind="scripted", script=path)
    config.llm.provider = "script"


async def test_the_agent_calls_both_example_tools_and_answers_with_their_results(
    config: Config, tmp_path: Path
) -> None:
    config.tools.autonomy = "read_only"  # both are declared read-only: no approval needed
    calls = [
        {"name": "word_count", "arguments": {"text": "one two three"}},
        {"name": "unit_convert", "arguments": {"value": 3, "from": "ft", "to": "cm"}},
    ]
    script(config, tmp_path, {"tool_calls": calls}, {"text": "3 words; 3 ft is 91.44 cm."})

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        result = await runtime.agent.turn("s1", "count and convert")
        stored = [m.message for m in await runtime.memory.session_messages("s1")]

    words, length = (exchange.result for exchange in result.exchanges)
    assert json.loads(words.output) == {"words": 3, "lines": 1, "characters": 13}
    assert json.loads(length.output)["result"] == pytest.approx(91.44)
    assert result.reply == "3 words; 3 ft is 91.44 cm."
    assert [m.name for m in stored if m.role == "tool"] == ["word_count", "unit_convert"]


# -- the CLI ----------------------------------------------------------------------------------


def write_config(tmp_path: Path, examples: Path, *, enabled: bool) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            data_dir = "{tmp_path / "data"}"
            [tools]
            autonomy = "read_only"
            [plugins]
            enabled = {str(enabled).lower()}
            dirs = [{json.dumps(str(examples))}]
            """
        )
    )
    return path


def run(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", str(config_file), *args], env={"COLUMNS": "200"})


def rows(output: str) -> dict[str, list[str]]:
    table = [line for line in output.splitlines() if line.count("│") >= 5]
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table]
    return {row[0]: row for row in cells if row[0]}


def test_tools_list_shows_each_tool_with_its_owner(
    tmp_path: Path, examples: Path, config: Config
) -> None:
    result = run(write_config(tmp_path, examples, enabled=True), "tools", "list")

    assert result.exit_code == 0, result.output
    table = rows(result.output)
    assert table["word_count"][1:4] == ["plugin:word-count", "no", "allow"]
    assert table["unit_convert"][1:4] == ["plugin:unit-convert", "no", "allow"]
    assert table["file_read"][1] == "native"
    assert table["file_write"][1:4] == ["native", "yes", "deny"]


def test_tools_call_runs_a_plugin_tool(tmp_path: Path, examples: Path, config: Config) -> None:
    config_file = write_config(tmp_path, examples, enabled=True)

    ok = run(config_file, "tools", "call", "word_count", "--args", '{"text": "a b"}')
    bad = run(config_file, "tools", "call", "unit_convert", "--args", '{"value": 1}')

    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output) == {"words": 2, "lines": 1, "characters": 3}
    assert bad.exit_code == 1
    assert "'from' is a required property" in bad.output


def test_with_plugins_off_the_tool_list_is_exactly_the_native_one(
    tmp_path: Path, examples: Path
) -> None:
    off = run(write_config(tmp_path, examples, enabled=False), "tools", "list")
    (tmp_path / "no-plugins").mkdir()
    bare = tmp_path / "no-plugins" / "config.toml"
    bare.write_text(f'data_dir = "{tmp_path / "data"}"\n[tools]\nautonomy = "read_only"\n')
    without = run(bare, "tools", "list")

    assert off.exit_code == 0, off.output
    assert off.output == without.output
    assert "word_count" not in off.output
    call = run(write_config(tmp_path, examples, enabled=False), "tools", "call", "word_count")
    assert call.exit_code == 1
    assert "unknown tool 'word_count'" in call.output
