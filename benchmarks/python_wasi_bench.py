"""What real WASI costs a Python plugin: the same guest built with `--stub-wasi` and with WASI.

`zeroclaw plugins build` gives a Python plugin real WASI (its sockets composed away) only
when its plugin.toml asks for `fs.read:`, `fs.write:` or `env:` capabilities. This puts the
two builds of one echo tool side by side: identical source, one plugin.toml asking for
nothing (`--stub-wasi`), the other for `env:ZEROCLAW_BENCH` and `fs.read:` of a directory
(WASI linked, a WasiConfig with that preopen and variable on every store). Rows:

  size          the component's bytes
  build         seconds of the last real build (from the build, or "cached")
  instantiate   a fresh store (limits, deadline, WasiConfig) + instantiate, per instance
  call          `PluginCalls.call` of the tool on a warm instance (~200 bytes of JSON)

Rows run in alternating rounds and each figure is the median over rounds. The guests are
built into .cache/bench-python-wasi (reruns reuse the builds and the compile cache).
Nothing here is asserted anywhere.

    .venv/bin/python benchmarks/python_wasi_bench.py
    .venv/bin/python benchmarks/python_wasi_bench.py --write docs/plugins-runtime.md
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from report import machine_line, replace_section

from zeroclaw.config import Config
from zeroclaw.plugins.authoring.build import BuildResult, build_plugin
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.loading.loader import LoadedPlugin

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".cache" / "bench-python-wasi"
SECTION = "python-wasi-bench"
VARIABLE = "ZEROCLAW_BENCH"
ARGUMENTS = json.dumps({"text": "The quick brown fox jumps over the lazy dog. " * 4, "n": 42})

ECHO_PY = """
from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.tool import ToolError_UnknownTool, ToolSpec


class Tool(exports.Tool):
    def tools(self):
        return [ToolSpec("echo", "Returns its arguments", '{"type": "object"}')]

    def call(self, name, arguments):
        if name != "echo":
            raise Err(ToolError_UnknownTool(name))
        return arguments
"""


def write_guest(directory: Path, capabilities: list[str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(ECHO_PY.lstrip())
    (directory / "plugin.toml").write_text(
        f'name = "{directory.name}"\nversion = "1.0.0"\nwit_package = "zeroclaw:tools@1.0.0"\n'
        f'component = "plugin.wasm"\ncapabilities = {json.dumps(capabilities)}\n'
    )


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def per_call(run: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - started) / calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--write", type=Path, help="replace the table section in this file")
    args = parser.parse_args(argv)
    readable = (WORK / "readable").resolve()
    readable.mkdir(parents=True, exist_ok=True)
    guests = {
        "stub-wasi": [],
        "wasi": [f"env:{VARIABLE}", f"fs.read:{readable}"],
    }
    plugins = WORK / "plugins"
    built: dict[str, BuildResult] = {}
    for name, capabilities in guests.items():
        write_guest(plugins / f"echo-{name}", capabilities)
        built[name] = build_plugin(plugins / f"echo-{name}")
        print(f"{name}: {'cached' if built[name].cached else 'built'}", file=sys.stderr)
    os.environ[VARIABLE] = "set"
    config = Config(data_dir=WORK / "data")
    config.plugins.enabled = True
    config.plugins.dirs = [plugins]
    config.plugins.capabilities.allow = [c for caps in guests.values() for c in caps]
    registry = PluginRegistry.for_config(config)
    try:
        snapshot = registry.load(config.plugins)
        if snapshot.load_errors:
            raise SystemExit("\n".join(f"{s.name}: {s.error}" for s in snapshot.load_errors))
        loaded: dict[str, LoadedPlugin] = {
            name: snapshot.plugins[f"echo-{name}"] for name in guests
        }
        instantiate = {name: [] for name in guests}  # type: dict[str, list[float]]
        call = {name: [] for name in guests}  # type: dict[str, list[float]]
        for plugin in loaded.values():  # warm up
            per_call(
                functools.partial(plugin.calls.call, "call", ("echo", ARGUMENTS), str), args.calls
            )
        for _ in range(args.rounds):
            for name, plugin in loaded.items():
                factory = plugin.calls.factory
                instantiate[name].append(per_call(factory.instantiate, args.instances))
                call[name].append(
                    per_call(
                        functools.partial(plugin.calls.call, "call", ("echo", ARGUMENTS), str),
                        args.calls,
                    )
                )
    finally:
        registry.close()
    text = render(built, instantiate, call, args.rounds, args.calls)
    print(text)
    if args.write is not None:
        replace_section(args.write, SECTION, text)
    return 0


def render(
    built: dict[str, BuildResult],
    instantiate: dict[str, list[float]],
    call: dict[str, list[float]],
    rounds: int,
    calls: int,
) -> str:
    stub, wasi = "stub-wasi", "wasi"
    size = {name: result.component.stat().st_size / 1e6 for name, result in built.items()}
    seconds = {
        name: "cached" if result.cached else f"{result.seconds:.1f} s"
        for name, result in built.items()
    }
    new = {name: median_us(samples) for name, samples in instantiate.items()}
    warm = {name: median_us(samples) for name, samples in call.items()}
    lines = [
        "## Python plugin with WASI (last run)",
        "",
        f"The same echo tool, built both ways; medians of {rounds} alternating rounds "
        f"({calls} calls per round for `call`).",
        "",
        "| | --stub-wasi | WASI (sockets composed away) | ratio |",
        "|---|---:|---:|---:|",
        f"| component MB | {size[stub]:.2f} | {size[wasi]:.2f} | {size[wasi] / size[stub]:.3f} |",
        f"| build | {seconds[stub]} | {seconds[wasi]} | |",
        f"| new store + instantiate, us | {new[stub]:.0f} | {new[wasi]:.0f} | "
        f"{new[wasi] / new[stub]:.2f} |",
        f"| warm call, us | {warm[stub]:.1f} | {warm[wasi]:.1f} | {warm[wasi] / warm[stub]:.2f} |",
        "",
        machine_line(),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
