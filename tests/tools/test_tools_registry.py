from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zeroclaw.errors import ZeroClawError
from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.tools import (
    Tool,
    ToolConflict,
    ToolContext,
    ToolRegistrationError,
    ToolRegistry,
    is_mutating_call,
)


class EchoTool:
    """Returns its `text` argument; counts how often it ran."""

    mutating = False

    def __init__(self, name: str = "echo", label: str = "") -> None:
        self.spec = ToolSpec(
            name=name,
            description=f"echo {label}".strip(),
            parameters={
                "type": "object",
                "properties": {
                    "text": {"type": "string", "maxLength": 20},
                    "times": {"type": "integer", "minimum": 1},
                },
                "required": ["text"],
                "additionalProperties": False,
            },
        )
        self.label = label
        self.runs = 0

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        self.runs += 1
        return ToolResult.ok(arguments["text"] * arguments.get("times", 1))


class CrashingTool:
    spec = ToolSpec(name="crash", description="always raises")
    mutating = False

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        raise KeyError("the thing")


class RefusingTool:
    spec = ToolSpec(name="refuse", description="raises an expected error")
    mutating = False

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        raise ZeroClawError("not today", hint="try tomorrow")


class BigTool:
    spec = ToolSpec(name="big", description="a lot of output")
    mutating = False

    def __init__(self, size: int) -> None:
        self.size = size

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        return ToolResult.ok("é" * self.size)


def test_tools_satisfy_the_protocol() -> None:
    assert isinstance(EchoTool(), Tool)


async def test_a_valid_call_runs_the_tool(context: ToolContext) -> None:
    registry = ToolRegistry()
    registry.register(EchoTool())

    result = await registry.execute("echo", {"text": "ab", "times": 2}, context)

    assert result == ToolResult.ok("abab")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({}, "'text' is a required property"),
        ({"text": 5}, "argument 'text': 5 is not of type 'string'"),
        ({"text": "x" * 21}, "argument 'text'"),
        ({"text": "a", "times": 0}, "argument 'times': 0 is less than the minimum of 1"),
        ({"text": "a", "extra": 1}, "'extra' was unexpected"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
)
async def test_invalid_arguments_fail_without_running_the_tool(
    context: ToolContext, arguments: Any, expected: str
) -> None:
    tool = EchoTool()
    registry = ToolRegistry()
    registry.register(tool)

    result = await registry.execute("echo", arguments, context)

    assert not result.success
    assert result.error is not None
    assert "invalid arguments for tool 'echo'" in result.error
    assert expected in result.error
    assert tool.runs == 0


async def test_a_crashing_tool_becomes_a_failed_result(context: ToolContext) -> None:
    registry = ToolRegistry()
    registry.register(CrashingTool())

    result = await registry.execute("crash", {}, context)

    assert not result.success
    assert result.error == "tool 'crash' crashed: KeyError: 'the thing'"


async def test_an_expected_error_is_reported_as_is(context: ToolContext) -> None:
    registry = ToolRegistry()
    registry.register(RefusingTool())

    result = await registry.execute("refuse", {}, context)

    assert result.error == "not today\n  hint: try tomorrow"


async def test_unknown_tools_fail_naming_the_known_ones(context: ToolContext) -> None:
    registry = ToolRegistry()
    registry.register(EchoTool("b_tool"))
    registry.register(EchoTool("a_tool"))

    result = await registry.execute("nope", {}, context)

    assert result.error == "unknown tool 'nope'; known tools: a_tool, b_tool"


async def test_long_output_is_truncated_with_a_marker(context: ToolContext) -> None:
    registry = ToolRegistry(max_output_bytes=1000)
    registry.register(BigTool(size=5000))  # 10000 bytes of UTF-8

    result = await registry.execute("big", {}, context)

    assert result.success
    head, marker = result.output.split("\n[... truncated", 1)
    assert len(head.encode("utf-8")) == 1000
    assert set(head) == {"é"}
    assert "of 10000 bytes" in marker


async def test_output_under_the_cap_is_untouched(context: ToolContext) -> None:
    registry = ToolRegistry()
    registry.register(BigTool(size=100))

    result = await registry.execute("big", {}, context)

    assert result.output == "é" * 100


def test_specs_and_names_are_sorted() -> None:
    registry = ToolRegistry()
    for name in ["zeta", "alpha", "mid"]:
        registry.register(EchoTool(name))

    assert registry.names() == ["alpha", "mid", "zeta"]
    assert [spec.name for spec in registry.specs()] == ["alpha", "mid", "zeta"]
    assert "mid" in registry
    assert len(registry) == 3


def test_a_duplicate_name_of_the_same_owner_is_an_error() -> None:
    registry = ToolRegistry()
    registry.register(EchoTool())

    with pytest.raises(ToolRegistrationError, match="already registered"):
        registry.register(EchoTool())


@pytest.mark.parametrize("native_first", [True, False])
def test_native_beats_plugin_and_the_conflict_is_recorded(native_first: bool) -> None:
    native, plugin = EchoTool(label="native"), EchoTool(label="plugin")
    registry = ToolRegistry()
    if native_first:
        registry.register(native, "native")
        registry.register(plugin, "plugin")
    else:
        registry.register(plugin, "plugin")
        registry.register(native, "native")

    assert registry.get("echo") is native
    assert registry.owner_of("echo") == "native"
    assert registry.specs()[0].description == "echo native"
    assert registry.conflicts == [ToolConflict("echo", kept="native", dropped="plugin")]
    assert "native" in registry.conflicts[0].describe()


def test_plugin_tools_extend_a_copy_of_the_registry() -> None:
    native = ToolRegistry()
    native.register(EchoTool(label="native"))

    snapshot_view = native.with_tools([EchoTool("weather"), EchoTool(label="plugin")])

    assert snapshot_view.names() == ["echo", "weather"]
    assert snapshot_view.owner_of("weather") == "plugin"
    assert snapshot_view.owner_of("echo") == "native"
    assert [c.name for c in snapshot_view.conflicts] == ["echo"]
    assert native.names() == ["echo"]
    assert native.conflicts == []
    assert native.owner_of("weather") is None
    assert native.get("weather") is None


def test_an_invalid_schema_is_refused_at_registration() -> None:
    tool = EchoTool("broken")
    tool.spec = ToolSpec("broken", "bad", {"type": "object", "properties": {"x": {"type": 7}}})

    with pytest.raises(ToolRegistrationError, match="invalid parameter schema"):
        ToolRegistry().register(tool)


class MethodTool(EchoTool):
    mutating = True

    def mutates(self, arguments: dict[str, Any]) -> bool:
        return arguments.get("method") != "GET"


def test_a_tool_may_say_per_call_whether_it_mutates() -> None:
    assert is_mutating_call(MethodTool(), {"method": "GET"}) is False
    assert is_mutating_call(MethodTool(), {"method": "POST"}) is True
    assert is_mutating_call(EchoTool(), {}) is False


async def test_arguments_that_were_not_json_are_refused_before_the_tool_runs(
    tmp_path: Path,
) -> None:
    from zeroclaw.tool_arguments import parse_tool_arguments

    registry = ToolRegistry()
    ran: list[dict[str, Any]] = []

    class NoArgs:
        spec = ToolSpec("no_args", "takes nothing", {"type": "object", "properties": {}})
        mutating = False

        async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
            ran.append(arguments)
            return ToolResult.ok("ran")

    registry.register(NoArgs())
    result = await registry.execute(
        "no_args", parse_tool_arguments('{"truncated": '), ToolContext("s", tmp_path)
    )

    assert not result.success
    assert "not a JSON object" in (result.error or "")
    assert ran == []


def test_specs_follow_a_tool_registered_after_they_were_asked_for() -> None:
    registry = ToolRegistry()
    registry.register(EchoTool("zeta"))
    assert [spec.name for spec in registry.specs()] == ["zeta"]
    registry.register(EchoTool("alpha"))
    assert [spec.name for spec in registry.specs()] == ["alpha", "zeta"]
    combined = registry.with_tools([EchoTool("mid")])
    assert [spec.name for spec in combined.specs()] == ["alpha", "mid", "zeta"]
    assert [spec.name for spec in registry.specs()] == ["alpha", "zeta"]
