"""Cost of one tool call, plugin tool against the same native tool, per guest language.

Each tool runs through `ToolRegistry.execute` (argument validation against the schema,
the call, the output cap), the path every tool call of a turn takes after the policy and
the hooks, which cost the same for both. The pairs:

  echo          returns its arguments (~200 bytes of JSON) as its output: the same trivial
                tool written in WAT, Python (componentize-py) and JavaScript
                (componentize-js), and in native Python; what the call path costs
  word_count    the Python example (examples/plugins/tools/word-count) and the same
                function in native Python
  unit_convert  the JavaScript example (examples/plugins/tools/unit-convert) and the same
                conversion in native Python

For each plugin tool, "direct" is `PluginCalls.call` from the benchmark's thread (breaker,
call slot, warm instance, deadline, codecs, the guest): the registry row adds the hop to
the plugin's worker thread that keeps the event loop free while a guest runs.

Rows run in alternating rounds (each round runs every row once, in turn), and each row's
figure is the median over rounds, so drift of a shared machine touches all rows alike. The
guests are built with `zeroclaw plugins build`'s code into .cache/bench-plugins (reruns
reuse the builds and the compile cache). Nothing here is asserted anywhere.

    .venv/bin/python benchmarks/plugin_tool_bench.py            # print the table
    .venv/bin/python benchmarks/plugin_tool_bench.py --write docs/plugins-runtime.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from report import machine_line, put_tests_on_path, replace_section

from zeroclaw.config import Config
from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.plugins.adapters.tools import PluginTool
from zeroclaw.plugins.authoring.build import build_plugin
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.tools import ToolContext, ToolRegistry

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".cache" / "bench-plugins"
EXAMPLES = ROOT / "examples" / "plugins" / "tools"
SECTION = "plugin-tool-bench"
SCHEMA = {"type": "object"}
ECHO_ARGUMENTS = {"text": "The quick brown fox jumps over the lazy dog. " * 4, "n": 42}

# -- the echo guests --------------------------------------------------------------------------

# Written with the tests' ring allocator: any number of calls fits in the one page.
ECHO_WAT = """
(module
  (memory (export "memory") 1)
  (data (i32.const 64) "echo_wat")
  (data (i32.const 80) "Returns its arguments")
  (data (i32.const 112) "{\\"type\\":\\"object\\"}")
  (data (i32.const 160) "\\40\\00\\00\\00\\08\\00\\00\\00\\50\\00\\00\\00\\15\\00\\00\\00"
                        "\\70\\00\\00\\00\\11\\00\\00\\00")
  (data (i32.const 192) "\\a0\\00\\00\\00\\01\\00\\00\\00")
  (func (export "zeroclaw:tools/tool@1.0.0#tools") (result i32) i32.const 192)
  (func (export "zeroclaw:tools/tool@1.0.0#call")
    (param i32 i32) (param $args i32) (param $args_len i32) (result i32)
    (i32.store8 (i32.const 224) (i32.const 0))
    (i32.store (i32.const 228) (local.get $args))
    (i32.store (i32.const 232) (local.get $args_len))
    i32.const 224)
)
"""

ECHO_PY = """
from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.tool import ToolError_UnknownTool, ToolSpec


class Tool(exports.Tool):
    def tools(self) -> list[ToolSpec]:
        return [ToolSpec("echo_py", "Returns its arguments", '{"type": "object"}')]

    def call(self, name: str, arguments: str) -> str:
        if name != "echo_py":
            raise Err(ToolError_UnknownTool(name))
        return arguments
"""

ECHO_JS = """
export const tool = {
  tools() {
    return [{ name: 'echo_js', description: 'Returns its arguments',
              parametersSchema: '{"type": "object"}' }];
  },
  call(name, args) {
    if (name !== 'echo_js') throw { tag: 'unknown-tool', val: name };
    return args;
  },
};
"""

GUESTS = {"echo-wat": ("plugin.wat", ECHO_WAT), "echo-py": ("app.py", ECHO_PY)}
GUESTS["echo-js"] = ("plugin.js", ECHO_JS)


def write_guests(plugins: Path) -> None:
    """The echo plugin directories (rewritten as they are: their builds stay cached)."""
    put_tests_on_path("plugins")
    from wat_builder import with_ring_allocator

    for name, (entry, source) in GUESTS.items():
        directory = plugins / name
        directory.mkdir(parents=True, exist_ok=True)
        text = with_ring_allocator(source) if entry.endswith(".wat") else source
        (directory / entry).write_text(text.lstrip())
        (directory / "plugin.toml").write_text(
            f'name = "{name}"\nversion = "1.0.0"\nwit_package = "zeroclaw:tools@1.0.0"\n'
            'component = "plugin.wasm"\n'
        )


# -- the native twins -------------------------------------------------------------------------


class NativeTool:
    """A native tool made of a function: the same work as the plugin's."""

    mutating = False

    def __init__(self, spec: ToolSpec, run: Callable[[dict[str, Any]], str]) -> None:
        self.spec = spec
        self._run = run

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        return ToolResult.ok(self._run(arguments))


def echo(arguments: dict[str, Any]) -> str:
    # What the plugin path does too: the host writes the arguments as JSON text, the guest
    # hands the text back.
    return json.dumps(arguments, ensure_ascii=False)


WORD = re.compile(r"\w+(?:['’-]\w+)*")


def word_count(arguments: dict[str, Any]) -> str:
    text, top = arguments["text"], arguments.get("top", 0)
    words = WORD.findall(text)
    result: dict[str, object] = {
        "words": len(words),
        "lines": len(text.splitlines()),
        "characters": len(text),
    }
    if top:
        counts = Counter(word.lower() for word in words)
        frequent = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
        result["top"] = [{"word": word, "count": n} for word, n in frequent]
    return json.dumps(result)


FACTORS = {"km": 1000.0, "mi": 1609.344, "m": 1.0, "ft": 0.3048}


def unit_convert(arguments: dict[str, Any]) -> str:
    value, source, target = arguments["value"], arguments["from"], arguments["to"]
    result = value * FACTORS[source] / FACTORS[target]
    return json.dumps(
        {"value": value, "from": source, "to": target, "result": float(f"{result:.12g}")}
    )


# -- rows -------------------------------------------------------------------------------------


@dataclass
class Pair:
    """One tool, native and as a plugin tool, with the arguments of every call."""

    tool: str
    guest: str
    plugin_tool: str
    native: NativeTool
    arguments: dict[str, Any]


@dataclass
class Row:
    name: str
    run: Callable[[int], float]  # calls -> seconds per call
    samples: list[float] = field(default_factory=list)

    @property
    def us(self) -> float:
        return statistics.median(self.samples) * 1e6


def pairs(snapshot: PluginSnapshot) -> list[Pair]:
    specs = {tool.spec.name: tool.spec for tool in snapshot.plugin_tools.tools}

    def twin(plugin_tool: str, run: Callable[[dict[str, Any]], str]) -> NativeTool:
        spec = specs[plugin_tool]
        return NativeTool(ToolSpec(f"native_{plugin_tool}", spec.description, spec.parameters), run)

    count_args = {"text": "the cat and the hat sat on the mat\n" * 4, "top": 3}
    convert_args = {"value": 26.2, "from": "mi", "to": "km"}
    return [
        Pair("echo", "WAT", "echo_wat", twin("echo_wat", echo), ECHO_ARGUMENTS),
        Pair("echo", "Python", "echo_py", twin("echo_py", echo), ECHO_ARGUMENTS),
        Pair("echo", "JavaScript", "echo_js", twin("echo_js", echo), ECHO_ARGUMENTS),
        Pair("word_count", "Python", "word_count", twin("word_count", word_count), count_args),
        Pair(
            "unit_convert",
            "JavaScript",
            "unit_convert",
            twin("unit_convert", unit_convert),
            convert_args,
        ),
    ]


def rows_for(
    snapshot: PluginSnapshot, loop: asyncio.AbstractEventLoop
) -> list[tuple[Pair, Row, Row, Row]]:
    found = pairs(snapshot)
    plugin_tools = {tool.spec.name: tool for tool in snapshot.plugin_tools.tools}
    registry = (
        ToolRegistry()
        .with_tools([pair.native for pair in found], "native")
        .with_tools(plugin_tools.values(), "plugin")
    )
    context = ToolContext("bench", WORK)

    def via_registry(name: str, arguments: dict[str, Any]) -> Callable[[int], float]:
        async def many(calls: int) -> float:
            started = time.perf_counter()
            for _ in range(calls):
                result = await registry.execute(name, arguments, context)
            elapsed = time.perf_counter() - started
            assert result.success, result.error
            return elapsed / calls

        return lambda calls: loop.run_until_complete(many(calls))

    def direct(tool: PluginTool, arguments: dict[str, Any]) -> Callable[[int], float]:
        args = (tool.spec.name, json.dumps(arguments, ensure_ascii=False))
        calls_into = tool.plugin.calls

        def many(calls: int) -> float:
            started = time.perf_counter()
            for _ in range(calls):
                calls_into.call("call", args, _identity)
            return (time.perf_counter() - started) / calls

        return many

    rows = []
    for pair in found:
        tool = plugin_tools[pair.plugin_tool]
        rows.append(
            (
                pair,
                Row(f"native {pair.tool}", via_registry(pair.native.spec.name, pair.arguments)),
                Row(f"{pair.guest} {pair.tool}", via_registry(pair.plugin_tool, pair.arguments)),
                Row(f"{pair.guest} {pair.tool} direct", direct(tool, pair.arguments)),
            )
        )
    return rows


def _identity(value: object) -> object:
    return value


def measure(rows: list[Row], rounds: int, calls: int) -> None:
    for row in rows:  # warm up: first calls, instances, caches
        row.run(max(1, calls // 10))
    for _ in range(rounds):
        for row in rows:
            row.samples.append(row.run(calls))


# -- loading ------------------------------------------------------------------------------------


def build_all(plugins: Path) -> None:
    """Build the echo guests and the two examples (skipped when up to date)."""
    for directory in [*(plugins / name for name in GUESTS), *sorted(EXAMPLES.iterdir())]:
        if (directory / "plugin.toml").is_file():
            result = build_plugin(directory)
            print(
                f"{'up to date' if result.cached else 'built'} {directory.name}",
                file=sys.stderr,
            )


def load(plugins: Path) -> tuple[PluginRegistry, PluginSnapshot]:
    config = Config(data_dir=WORK / "data")
    config.plugins.enabled = True
    config.plugins.dirs = [plugins, EXAMPLES]
    registry = PluginRegistry.for_config(config)
    snapshot = registry.load(config.plugins)
    failed = [f"{s.name}: {s.error}" for s in snapshot.load_errors]
    if failed:
        registry.close()
        raise SystemExit("plugins failed to load:\n" + "\n".join(failed))
    return registry, snapshot


# -- output -------------------------------------------------------------------------------------


def render(table: list[tuple[Pair, Row, Row, Row]], rounds: int, calls: int) -> str:
    lines = [
        "## Plugin tool call (last run)",
        "",
        f"One tool call through `ToolRegistry.execute` (schema check, call, output cap), "
        f"median of {rounds} alternating rounds of {calls} calls per row. `direct` is "
        f"`PluginCalls.call` without the hop to the plugin's worker thread.",
        "",
        "| tool | guest | native us/call | plugin us/call | x native | direct us/call |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for pair, native, plugin, direct in table:
        lines.append(
            f"| {pair.tool} | {pair.guest} | {native.us:.1f} | {plugin.us:.1f} | "
            f"{plugin.us / native.us:.1f} | {direct.us:.1f} |"
        )
    lines += [
        "",
        machine_line(),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--write", type=Path, help="replace the table section in this file")
    args = parser.parse_args(argv)
    plugins = WORK / "plugins"
    write_guests(plugins)
    build_all(plugins)
    registry, snapshot = load(plugins)
    loop = asyncio.new_event_loop()
    try:
        table = rows_for(snapshot, loop)
        measure([row for _, *rows in table for row in rows], args.rounds, args.calls)
    finally:
        loop.close()
        registry.close()
    text = render(table, args.rounds, args.calls)
    print(text)
    if args.write is not None:
        replace_section(args.write, SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
