"""The benchmark suite: the peers and our own paths side by side in one run, written as
docs/benchmarks.md's suite section and a JSON file (machine, versions, medians, spread,
ratios).

What it runs, every part in this one process (RSS in child processes):

  hook call     one `before_tool_call` (~200-byte payload): a native handler, pluggy,
                Extism-python on a core-wasm plugin doing the same work (extism_peer.py),
                wasmtime's public API, our conversion layer (native, and its Python
                path beside it where the native one is built), PluginCalls.call, and our WAT
                guest through the HookRunner by each path a call takes: the default
                (timeout_ms 1000: inline first), inline (timeout_ms 20) and on a worker
                thread (inline_first off) (plugin_hook_bench.py's rows); then JavaScript
                and Python guests through the HookRunner (the same three paths) and
                PluginCalls.call: trivial guards doing the WAT guest's
                work (guest_twins.py), and the example plugins guard-shell (JS,
                before_tool_call) and redact-secrets (Python, tool_result_persist) with
                their own work, next to that work run natively (CPython, Node)
  loading       compile (cold) vs load from the compile cache vs a new store + instantiate
  concurrency   PluginCalls.call on the WAT guest from 1, 2, 4 and 8 threads: calls/s
  agent turn    one offline-provider turn with a tool call: plugins disabled, and with 1 and
                10 WAT hook plugins (the default path, inline first; and 10 inline, and
                on worker threads)
  RSS           resident memory per additional plugin, per guest language
  gateway       /v1/chat/completions requests per second against a bare FastAPI route
                (bare_route.py), gateway_bench.py's servers and client

Rows of a table run in alternating rounds (each round runs every row once), and a row's
figure is the median over rounds, its spread the 25th-75th percentiles, so drift of a
shared machine touches all rows alike. Ratios are taken between rows of the same run.
Tool calls per guest language are plugin_tool_bench.py's (it builds its own guests) and
keep their own table.

    .venv/bin/python benchmarks/suite.py          # docs/benchmarks.md + docs/benchmarks.json
    .venv/bin/python benchmarks/suite.py --smoke --json out.json --markdown out.md
    .venv/bin/python benchmarks/suite.py --parts gateway,agent_turn   # update those only
    .venv/bin/python benchmarks/suite.py --parts hook --cold   # compile every guest again

Plugins compile into the persistent compile cache `zeroclaw demo` uses (the user's cache
dir, or --cache-dir), so a rerun does not recompile the Python and JavaScript guests (tens
of seconds); --cold compiles everything in a temporary cache. The output says which.

`--smoke` runs every part at tiny sizes (WAT guests only): tests/benchmarks runs it so the
suite cannot rot. Nothing here is asserted as a speed anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bare_route import bare_route
from extism_peer import extism_rows
from gateway_bench import Mode, bench_gateway, warm_up
from gateway_bench import measure as measure_gateway
from guest_twins import build, guard_shell_node, redact_secrets_native, write_trivial
from plugin_hook_bench import (
    PAYLOADS,
    Row,
    build_guest,
    load_times,
    measure,
    rows_for,
    timed_async,
    timed_sync,
)
from report import replace_section

import zeroclaw
from zeroclaw.config import Config
from zeroclaw.config.models import user_plugin_cache_dir
from zeroclaw.hooks import Event, HookRunner, ToolResultPersist
from zeroclaw.messages import ToolResult

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "plugins"
SECTION = "benchmark-suite"
GRANTS = ["hooks.conversation", "hooks.modify", "hooks.tool_results", "log"]


@dataclass(frozen=True)
class Sizes:
    rounds: int
    calls: int
    turns: int
    # Agent turns: many short rounds, so the per-round ratios have a steady median (81: the
    # median's own spread shrinks by ~1.4x against 41, for ~15 s more of the full run).
    turn_rounds: int
    rss_plugins: int
    languages: bool
    requests: int


FULL = Sizes(
    rounds=11,
    calls=1000,
    turns=20,
    turn_rounds=81,
    rss_plugins=4,
    languages=True,
    requests=300,
)
SMOKE = Sizes(
    rounds=2, calls=5, turns=2, turn_rounds=2, rss_plugins=1, languages=False, requests=10
)


# -- statistics --------------------------------------------------------------------------------


def summary(samples: list[float], scale: float) -> dict[str, float]:
    """Median and spread (25th-75th percentile) of per-call seconds, times `scale`."""
    ordered = sorted(samples)
    quartiles = (
        statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else ordered
    )
    return {
        "median": statistics.median(ordered) * scale,
        "p25": quartiles[0] * scale,
        "p75": quartiles[-1] * scale,
        "rounds": len(ordered),
    }


def table_of(rows: list[Row], scale: float, baselines: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        out[row.name] = summary(row.samples, scale)
    for row in rows:
        out[row.name]["ratios"] = {
            f"x {base}": out[row.name]["median"] / out[base]["median"]
            for base in baselines
            if base in out
        }
    return out


# -- hook call -----------------------------------------------------------------------------------


def hook_rows(
    work: Path, loop: asyncio.AbstractEventLoop, sizes: Sizes
) -> tuple[list[Row], dict[str, str]]:
    guest = build_guest(work)
    rows = rows_for(guest, work, loop)
    notes: dict[str, str] = {}
    peers = extism_rows(work, PAYLOADS)
    if isinstance(peers, str):
        notes["Extism"] = f"skipped: {peers}"
    else:
        at = next(i for i, row in enumerate(rows) if row.name == "wasmtime public API")
        rows[at:at] = [Row(name, timed_sync(call)) for name, call in peers.items()]
    if sizes.languages:
        rows += language_rows(work, loop, notes)
    else:
        notes["Python and JavaScript guests"] = (
            "skipped: --smoke runs WAT guests only (the trivial Python and JavaScript guards "
            "and the example plugins are built and measured by a full run)"
        )
    return rows, notes


# The example plugins measured, with the work they do: plugin, row label, event, payload.
RESULT = ToolResult(success=True, output="x" * 200)
EXAMPLE_CASES: tuple[tuple[str, str, Event, Callable[[int], Any]], ...] = (
    ("guard-shell", "JavaScript guest", Event.BEFORE_TOOL_CALL, lambda i: PAYLOADS[i & 1]),
    (
        "redact-secrets",
        "Python guest",
        Event.TOOL_RESULT_PERSIST,
        lambda i: ToolResultPersist("session-1", "ls", "call-1", RESULT),
    ),
)
OWN_WORK = "with the plugin's own work"
# The paths a hook plugin's calls take (plugins-runtime.md, Calls and threads): the default
# limit (inline first), a limit within plugins.inline_call_ms (always inline), and the
# default limit with inline first off (always on a worker thread).
PLUGIN_PATHS = (
    (1000, True, "default: timeout_ms 1000, inline first"),
    (20, True, "inline: timeout_ms 20"),
    (1000, False, "worker thread: inline_first off"),
)


def language_rows(work: Path, loop: asyncio.AbstractEventLoop, notes: dict[str, str]) -> list[Row]:
    """Python and JavaScript guests through the HookRunner (each of PLUGIN_PATHS)
    and through `PluginCalls.call` alone (the guest and the conversion, no runner):

    - the trivial guards (guest_twins.py), doing the WAT guest's and Extism's work on the
      same hook and payloads: the guest runtime's cost, apples to apples;
    - the example plugins guard-shell (JS, eight regexes) and redact-secrets (Python, nine
      regexes), with the plugin's own work; and that work alone, natively (redact-secrets'
      handler under this CPython, guard-shell's under Node), so a row's share of it shows.

    The plugins are built first (nothing to do when up to date)."""
    rows = []
    guards = write_trivial()
    for name, label in (
        ("trivial-guard-js", "JavaScript guest"),
        ("trivial-guard-py", "Python guest"),
    ):
        if why := build(guards[name]):
            notes[f"{label} (trivial guard)"] = f"skipped: {why}"
            continue
        rows += plugin_rows(
            work,
            guards[name],
            label,
            "trivial guard",
            Event.BEFORE_TOOL_CALL,
            lambda i: PAYLOADS[i & 1],
            loop,
        )
    for name, label, event, payload in EXAMPLE_CASES:
        if why := build(EXAMPLES / name):
            notes[label] = f"skipped: {why}"
            continue
        rows += plugin_rows(
            work, EXAMPLES / name, label, f"{name}, {OWN_WORK}", event, payload, loop
        )
    rows += native_bodies(work, notes)
    return rows


def plugin_rows(
    work: Path,
    source: Path,
    label: str,
    what: str,
    event: Event,
    payload: Callable[[int], Any],
    loop: asyncio.AbstractEventLoop,
) -> list[Row]:
    rows = []
    calls: Any = None
    for timeout_ms, inline_first, how in PLUGIN_PATHS:
        runner, calls = example_runner(work, source, timeout_ms, inline_first=inline_first)
        if what == "trivial guard":  # it must do the WAT guest's work, or the row means nothing
            found = [loop.run_until_complete(runner.run(event, p)).reason for p in PAYLOADS]
            assert found == ["blocked by bench", None], found
        rows.append(
            Row(
                f"{label} via HookRunner ({how}, {what}, {event.value})",
                timed_async(loop, _counted(functools.partial(runner.run, event), payload)),
            )
        )
    function = event.value.replace("_", "-")
    rows.append(
        Row(
            f"{label} PluginCalls.call ({what}, {event.value})",
            timed_sync(_counted(lambda p: calls.call(function, (p,), _identity), payload)),
        )
    )
    return rows


def native_bodies(work: Path, notes: dict[str, str]) -> list[Row]:
    """The example plugins' handler bodies without a sandbox: the plugin's own work."""
    body = redact_secrets_native(RESULT.output)
    rows = [
        Row(
            "redact-secrets handler body, native CPython (tool_result_persist)",
            timed_sync(lambda _: body()),
        )
    ]
    events = [
        {"sessionId": p.session_id, "tool": p.tool, "arguments": json.dumps(p.arguments)}
        for p in PAYLOADS
    ]
    node = guard_shell_node(work, events)
    if isinstance(node, str):
        notes["guard-shell handler body"] = f"skipped: {node}"
    else:
        rows.append(Row("guard-shell handler body, native Node (before_tool_call)", node))
    return rows


def _counted(call: Callable[[Any], Any], payload: Callable[[int], Any]) -> Callable[[Any], Any]:
    # timed_async hands in the bench's tool-call payloads; these rows need their own.
    counter = iter(range(1 << 62))
    return lambda _: call(payload(next(counter)))


def example_runner(
    work: Path, source: Path, timeout_ms: int, *, inline_first: bool = True
) -> tuple[HookRunner, Any]:
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry

    name = source.name
    plugins = work / f"examples-{name}-{timeout_ms}-{inline_first}"
    shutil.copytree(source, plugins / name, ignore=shutil.ignore_patterns("__pycache__"))
    with (plugins / name / "plugin.toml").open("a") as manifest:
        manifest.write(f"\n[limits]\ntimeout_ms = {timeout_ms}\n")
    config = plugin_config(work / f"data-{name}-{timeout_ms}-{inline_first}", plugins)
    set_inline_first(config, inline_first)
    snapshot = PluginRegistry.for_config(config).load(config.plugins)
    if snapshot.load_errors:
        raise SystemExit(f"{name} did not load: {snapshot.load_errors[0].error}")
    runner = HookRunner()
    runner.register(*snapshot.hook_handlers())
    return runner, snapshot.plugins[name].calls


def plugin_config(data_dir: Path, plugins: Path) -> Config:
    config = Config(data_dir=data_dir)
    config.llm.provider = "offline"
    config.tools.autonomy = "full"
    config.observability.backend = "noop"
    config.hooks.session_memory.enabled = False
    config.plugins.enabled = True
    config.plugins.dirs = [plugins]
    config.plugins.capabilities.allow = list(GRANTS)
    # Every plugin set's data dir is in the run's work dir, and so is its compile cache:
    # run_suite makes it a link to the persistent one unless --cold (see compile_cache).
    config.plugins.cache_dir = data_dir.parent / "plugin-cache"
    return config


def set_inline_first(config: Config, on: bool) -> None:
    """plugins.inline_first, where the tree measured has it (an A/B script runs this code
    against older trees too: there every call of a long-limited plugin is on a worker
    thread, whatever the row's name says)."""
    if "inline_first" in type(config.plugins).model_fields:
        config.plugins.inline_first = on


def compile_cache(work: Path, cold: bool, cache_dir: Path | None) -> dict[str, str]:
    """Set up `work/plugin-cache`, the compile cache of every plugin the suite loads: cold,
    a directory of this run only (every guest compiles again: tens of seconds for the
    Python and JavaScript ones); else a link to `cache_dir`, by default the user's cache
    dir that `zeroclaw demo` uses, so they compile once per machine. Loading times are
    measured apart, in caches of their own (load_times)."""
    link = work / "plugin-cache"
    if cold:
        link.mkdir()
        return {"kind": "cold", "path": "a temporary directory of this run"}
    target = (cache_dir or user_plugin_cache_dir()).resolve()
    target.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target, target_is_directory=True)
    home = Path.home().resolve()
    shown = f"~/{target.relative_to(home)}" if target.is_relative_to(home) else str(target)
    return {"kind": "persistent", "path": shown}


# -- concurrency ---------------------------------------------------------------------------------


def concurrency(work: Path, guest: Path, sizes: Sizes) -> dict[str, Any]:
    """Calls per second into one WAT plugin from 1-8 threads (max_concurrency 8)."""
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry

    plugins = work / "concurrency"
    write_guard_plugins(plugins, guest, 1, timeout_ms=1000)
    config = plugin_config(work / "data-concurrency", plugins)
    config.plugins.limits.max_concurrency = 8
    calls = PluginRegistry.for_config(config).load(config.plugins).plugins["guard0"].calls
    out: dict[str, Any] = {}
    per_thread = max(1, sizes.calls // 2)
    for threads in (1, 2, 4, 8):
        rates = []
        for _ in range(sizes.rounds):
            barrier = threading.Barrier(threads)

            def work_one(_: int, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                for index in range(per_thread):
                    calls.call("before-tool-call", (PAYLOADS[index & 1],), _identity)

            started = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(work_one, range(threads)))
            rates.append(threads * per_thread / (time.perf_counter() - started))
        out[f"{threads} threads"] = {"calls_per_s": statistics.median(rates)}
    one = out["1 threads"]["calls_per_s"]
    for row in out.values():
        row["x 1 thread"] = row["calls_per_s"] / one
    return out


def _identity(value: object) -> object:
    return value


def write_guard_plugins(plugins: Path, guest: Path, count: int, *, timeout_ms: int) -> None:
    for index in range(count):
        directory = plugins / f"guard{index}"
        directory.mkdir(parents=True)
        shutil.copy(guest, directory / "plugin.wasm")
        (directory / "plugin.toml").write_text(
            f'name = "guard{index}"\nversion = "1.0.0"\nwit_package = "zeroclaw:hooks@1.0.0"\n'
            'component = "plugin.wasm"\ncapabilities = ["hooks.conversation", "hooks.modify"]\n'
            f"[limits]\ntimeout_ms = {timeout_ms}\n"
        )


# -- agent turn ----------------------------------------------------------------------------------


def agent_turns(work: Path, guest: Path, sizes: Sizes) -> dict[str, Any]:
    """Median ms of one turn with a tool call (before_tool_call runs in it), per plugin set:
    wall clock and CPU time of the process (every thread: the storage loop's and the
    plugins' worker threads too), and each set's ratio to plugins disabled taken per round
    (rows of a round run next to each other in time), then the median."""
    from zeroclaw.agent import AgentRuntime, DenyApprover

    modes: list[tuple[str, int, int, bool]] = [
        ("plugins disabled", 0, 0, True),
        ("1 WAT plugin (default: inline first)", 1, 1000, True),
        ("10 WAT plugins (default: inline first)", 10, 1000, True),
        ("10 WAT plugins (inline: timeout_ms 20)", 10, 20, True),
        ("10 WAT plugins (worker threads: inline_first off)", 10, 1000, False),
    ]
    message = '/tool file_list {"path": "."}'

    # Time inside modifying dispatches (every HookRunner.run of the turn, native handlers
    # included): how much of a turn the plugins' excess is. Wrapped here only.
    in_hooks = [0.0]
    plain_run = HookRunner.run

    async def timed_run(self: HookRunner, event: Event, payload: Any, **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            return await plain_run(self, event, payload, **kw)
        finally:
            in_hooks[0] += time.perf_counter() - started

    names = [name for name, *_ in modes]
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    hooks: dict[str, list[float]] = {name: [] for name in names}

    async def run_all() -> None:
        runtimes = []
        for name, count, timeout_ms, inline_first in modes:
            config = turn_config(work, guest, count, timeout_ms, inline_first=inline_first)
            runtime = AgentRuntime.from_config(config, approver=DenyApprover())
            await runtime.__aenter__()
            runtimes.append((name, runtime))
        try:
            for _, runtime in runtimes:  # warm up
                await runtime.agent.start_session("warm", channel="bench")
                await one_turn(runtime, "warm", message)
                runtime.agent.end_session("warm", channel="bench")
            for round_index in range(sizes.turn_rounds):
                # Forwards, then backwards: whatever favours a place in the round cancels.
                order = runtimes if round_index % 2 == 0 else runtimes[::-1]
                for name, runtime in order:
                    # One session per round: a turn, not session start and end, is measured.
                    session = f"s{round_index}"
                    await runtime.agent.start_session(session, channel="bench")
                    in_hooks[0] = 0.0
                    started, started_cpu = time.perf_counter(), time.process_time()
                    for _ in range(sizes.turns):
                        await one_turn(runtime, session, message)
                    cpu[name].append((time.process_time() - started_cpu) / sizes.turns)
                    wall[name].append((time.perf_counter() - started) / sizes.turns)
                    hooks[name].append(in_hooks[0] / sizes.turns)
                    runtime.agent.end_session(session, channel="bench")
        finally:
            for _, runtime in runtimes:
                await runtime.__aexit__(None, None, None)

    HookRunner.run = timed_run  # type: ignore[method-assign]
    try:
        asyncio.run(run_all())
    finally:
        HookRunner.run = plain_run  # type: ignore[method-assign]
    return turn_table(wall, cpu, hooks)


def turn_config(
    work: Path, guest: Path, count: int, timeout_ms: int, *, inline_first: bool, suffix: str = ""
) -> Config:
    """The config of an agent turn with `count` WAT guard plugins (0: plugins disabled);
    `suffix` tells apart two runtimes of the same plugins in one work directory."""
    key = f"{count}-{timeout_ms}-{inline_first}{suffix}"
    plugins = work / f"turn-{key}"
    plugins.mkdir(parents=True)
    write_guard_plugins(plugins, guest, count, timeout_ms=timeout_ms)
    config = plugin_config(work / f"data-turn-{key}", plugins)
    config.plugins.enabled = count > 0
    set_inline_first(config, inline_first)
    config.workspace.mkdir(parents=True, exist_ok=True)
    return config


def turn_table(
    wall: dict[str, list[float]], cpu: dict[str, list[float]], hooks: dict[str, list[float]]
) -> dict[str, Any]:
    """The agent-turn rows (seconds per turn per round, each) in ms, with their ratios to
    plugins disabled: of the medians, and the median of per-round ratios."""
    base = "plugins disabled"
    out = table_of([Row(name, lambda _: 0.0, found) for name, found in wall.items()], 1000, [base])
    for name, row in out.items():
        row["in_hook_dispatch_ms"] = statistics.median(hooks[name]) * 1000
        row["cpu"] = summary(cpu[name], 1000)
        row["ratios"]["x plugins disabled, per round"] = _round_ratio(wall[name], wall[base])
        row["ratios"]["cpu x plugins disabled, per round"] = _round_ratio(cpu[name], cpu[base])
        excess = [w - b for w, b in zip(wall[name], wall[base], strict=True)]
        row["excess_ms"] = statistics.median(excess) * 1000
    return out


def _round_ratio(samples: list[float], base: list[float]) -> float:
    """Median over rounds of this row's figure over the base row's in the same round."""
    return statistics.median(a / b for a, b in zip(samples, base, strict=True))


async def one_turn(runtime: Any, session: str, message: str) -> None:
    result = await runtime.agent.turn(session, message, channel="bench")
    assert result.stop_reason == "answer", result.reply


# -- gateway -------------------------------------------------------------------------------------


def gateway(work: Path, sizes: Sizes) -> tuple[dict[str, Any], dict[str, float]]:
    """Requests per second of /v1/chat/completions: a bare FastAPI route (bare_route.py),
    the gateway with plugins disabled, and with plugins enabled (none loaded); 8 in
    flight, alternating rounds (gateway_bench.py's client). Each server is a process of
    its own with the same uvicorn settings; the ratio to the bare route is taken per round,
    then the median. Also the machine's load average at the start and at the end."""
    modes = [
        Mode("bare FastAPI route", False),
        Mode("gateway, plugins disabled", False),
        Mode("gateway, plugins enabled", True),
    ]

    async def run_all(urls: list[str]) -> None:
        for url in urls:
            await warm_up(url)
        pairs = list(zip(modes, urls, strict=True))
        for round_number in range(sizes.rounds):
            for mode, url in pairs if round_number % 2 == 0 else reversed(pairs):
                await measure_gateway(url, mode, sizes.requests, 8, False)

    load = os.getloadavg()[0]
    with (
        bare_route() as bare,
        bench_gateway(work / "gateway-off", plugins_enabled=False) as off,
        bench_gateway(work / "gateway-on", plugins_enabled=True) as on,
    ):
        asyncio.run(run_all([bare, off, on]))
    bare_rounds = modes[0].round_rps
    out: dict[str, Any] = {
        mode.name: {
            "requests_per_s": statistics.median(mode.round_rps),
            "spread": _spread(mode.round_rps),
            "p50_ms": mode.percentile_ms(50),
            "p99_ms": mode.percentile_ms(99),
            "failures": mode.failures,
            "x bare FastAPI route": _round_ratio(mode.round_rps, bare_rounds),
        }
        for mode in modes
    }
    return out, {"start": load, "end": os.getloadavg()[0]}


def _spread(samples: list[float]) -> list[float]:
    ordered = sorted(samples)
    if len(ordered) < 2:
        return [ordered[0], ordered[0]]
    quartiles = statistics.quantiles(ordered, n=4, method="inclusive")
    return [quartiles[0], quartiles[-1]]


# -- RSS -----------------------------------------------------------------------------------------


def rss(work: Path, guest: Path, sizes: Sizes, notes: dict[str, str]) -> dict[str, Any]:
    """MiB of resident memory per additional plugin, per guest language: a child process
    loads 1 + N copies (and calls each once) against one loading one."""
    sources = {"WAT": guest}
    if sizes.languages:
        for language, name in (("JavaScript", "guard-shell"), ("Python", "redact-secrets")):
            if (EXAMPLES / name / "plugin.wasm").is_file():
                sources[language] = EXAMPLES / name
            else:
                notes[f"RSS {language}"] = f"skipped: examples/plugins/{name} is not built"
    out: dict[str, Any] = {}
    for language, source in sources.items():
        # Against one plugin loaded, not none: the engine, its ticker and the language's
        # first instance are paid once, whatever the number of plugins.
        _child_rss(work, language, source, 1)  # compiles into the cache: not measured
        base = _child_rss(work, language, source, 1)
        loaded = _child_rss(work, language, source, 1 + sizes.rss_plugins)
        out[language] = {
            "plugins": sizes.rss_plugins,
            "mib_per_plugin": (loaded - base) / sizes.rss_plugins / 1024,
        }
    return out


def _child_rss(work: Path, language: str, source: Path, count: int) -> int:
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", language, str(source), str(count), str(work)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return int(out.stdout.strip().splitlines()[-1])


def rss_child(language: str, source: Path, count: int, work: Path) -> int:
    """Load `count` copies of one plugin (and call each once); print VmRSS in KiB."""
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry

    plugins = Path(tempfile.mkdtemp(dir=work))
    if language == "WAT":
        write_guard_plugins(plugins, source, count, timeout_ms=1000)
    else:
        for index in range(count):
            target = plugins / f"copy{index}"
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            manifest = target / "plugin.toml"
            text = manifest.read_text().replace(f'name = "{source.name}"', f'name = "c{index}"')
            manifest.write_text(text)
    config = plugin_config(work / f"data-rss-{language}", plugins)
    registry = PluginRegistry.for_config(config)
    snapshot = registry.load(config.plugins)
    runner = HookRunner()
    runner.register(*snapshot.hook_handlers())
    payload = ToolResultPersist("s", "ls", "call-1", ToolResult(success=True, output="x" * 200))
    event = Event.TOOL_RESULT_PERSIST if language == "Python" else Event.BEFORE_TOOL_CALL

    async def call_each() -> None:
        await runner.run(event, payload if language == "Python" else PAYLOADS[0])

    asyncio.run(call_each())
    return _vm_rss_kib()


def _vm_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- the run -------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "machine": platform.machine(),
        "system": platform.system(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "versions": {
            name: installed(name) for name in ("zeroclaw", "wasmtime", "extism", "pluggy")
        },
    }


PARTS = ("gateway", "hook", "loading", "concurrency", "agent_turn", "rss")


def run_suite(
    sizes: Sizes,
    parts: tuple[str, ...] = PARTS,
    results: dict[str, Any] | None = None,
    *,
    cold: bool = False,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Run `parts` (all by default) into `results` (a previous run's, to update some parts
    of it) and return it. Plugins compile into the persistent cache (compile_cache)
    unless `cold`."""
    results = results if results is not None else {}
    results.update(machine=machine(), sizes=sizes.__dict__)
    notes: dict[str, str] = results.setdefault("notes", {})
    with tempfile.TemporaryDirectory(prefix="zeroclaw-bench-") as tmp:
        work = Path(tmp)
        results["compile_cache"] = compile_cache(work, cold, cache_dir)
        print(_cache_line(results["compile_cache"]), file=sys.stderr)
        if "gateway" in parts:
            # First, while this process (the client) runs nothing else: the parts below
            # leave engines and their threads behind, which would slow the client.
            results["gateway"], results["gateway_load_average"] = gateway(work, sizes)
        if "hook" in parts:
            loop = asyncio.new_event_loop()
            rows, found_notes = hook_rows(work, loop, sizes)
            notes.update(found_notes)
            load = os.getloadavg()[0]
            measure(rows, sizes.rounds, sizes.calls)
            results["hook_load_average"] = {"start": load, "end": os.getloadavg()[0]}
            loop.close()
            results["hook_call_us"] = table_of(
                rows, 1e6, ["Extism bare call", "native via HookRunner", "pluggy (firstresult)"]
            )
        guest = work / "g.wasm"
        if not guest.exists():
            build_guest(work)
        if "loading" in parts:
            results["loading_ms"] = load_times(guest, work, repeats=max(1, sizes.rounds // 2))
        if "concurrency" in parts:
            results["concurrency"] = concurrency(work, guest, sizes)
        if "agent_turn" in parts:
            results["agent_turn_ms"] = agent_turns(work, guest, sizes)
        if "rss" in parts:
            results["rss"] = rss(work, guest, sizes, notes)
    return results


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    gateway_rows = results["gateway"]
    gateway_load = results.get("gateway_load_average", {"start": 0.0, "end": 0.0})
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    sizes = results["sizes"]
    lines = [
        "## Benchmark suite (last run)",
        "",
        f"Machine: {m['machine']}, {m['cpus']} CPUs, {m['system']}, Python {m['python']}; "
        f"{versions}. Medians of {sizes['rounds']} alternating rounds; spread is the "
        "25th-75th percentile over rounds. Raw figures: docs/benchmarks.json.",
        "",
        "### One hook call (`before_tool_call`, ~200-byte payload)",
        "",
        *_hook_header(results),
        "| path | us/call | spread | x Extism bare call | x native via HookRunner |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in results["hook_call_us"].items():
        extism = _ratio(row["ratios"], "x Extism bare call")
        native = _ratio(row["ratios"], "x native via HookRunner")
        lines.append(
            f"| {name} | {row['median']:.2f} | {row['p25']:.1f}-{row['p75']:.1f} | "
            f"{extism} | {native} |"
        )
    lines += ["", "| loading the WAT guest | ms |", "|---|---:|"]
    lines += [f"| {name} | {value:.3f} |" for name, value in results["loading_ms"].items()]
    lines += [
        "",
        "### An agent turn with a tool call (offline provider)",
        "",
        f"Medians of {sizes['turn_rounds']} alternating rounds of {sizes['turns']} turns; "
        "the ratios to plugins disabled are taken per round, then the median; CPU is the "
        "process's, every thread included.",
        "",
        "| plugins | ms/turn | spread | x plugins disabled | CPU ms/turn | CPU x disabled "
        "| excess ms/turn | ms/turn in hook dispatch |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in results["agent_turn_ms"].items():
        ratios = row["ratios"]
        lines.append(
            f"| {name} | {row['median']:.3f} | {row['p25']:.2f}-{row['p75']:.2f} | "
            f"{_ratio(ratios, 'x plugins disabled, per round')} | {row['cpu']['median']:.3f} | "
            f"{_ratio(ratios, 'cpu x plugins disabled, per round')} | "
            f"{row['excess_ms']:.3f} | {row['in_hook_dispatch_ms']:.3f} |"
        )
    lines += [
        "",
        "### Concurrent calls into one WAT plugin (`PluginCalls.call`)",
        "",
        "| threads | calls/s | x 1 thread |",
        "|---|---:|---:|",
    ]
    for name, row in results["concurrency"].items():
        lines.append(f"| {name} | {row['calls_per_s']:.0f} | {row['x 1 thread']:.2f} |")
    lines += [
        "",
        "### Gateway `/v1/chat/completions` against a bare FastAPI route (8 in flight)",
        "",
        "Each server a process of its own, same uvicorn settings, one client; req/s is the "
        "median round, the ratio the median of per-round ratios. Load average (1 min) "
        f"{gateway_load['start']:.1f} at the start, {gateway_load['end']:.1f} at the end.",
        "",
        "| server | req/s | spread | p50 ms | p99 ms | failures | x bare FastAPI route |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in gateway_rows.items():
        low, high = row["spread"]
        lines.append(
            f"| {name} | {row['requests_per_s']:.0f} | {low:.0f}-{high:.0f} | "
            f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['failures']} | "
            f"{row['x bare FastAPI route']:.2f} |"
        )
    lines += ["", "### Resident memory per additional plugin", "", "| guest | MiB |", "|---|---:|"]
    for language, row in results["rss"].items():
        lines.append(f"| {language} | {row['mib_per_plugin']:.2f} |")
    if "compile_cache" in results:
        lines += ["", _cache_line(results["compile_cache"])]
    if results["notes"]:
        lines += ["", *(f"- {name}: {note}" for name, note in results["notes"].items())]
    return "\n".join(lines)


def _hook_header(results: dict[str, Any]) -> list[str]:
    lines = []
    if "hook_load_average" in results:
        load = results["hook_load_average"]
        lines.append(
            f"Load average (1 min) {load['start']:.1f} at the start, {load['end']:.1f} at "
            'the end. "Trivial guard" rows: a Python or JavaScript guest doing the WAT '
            'guest\'s and Extism\'s work (cancel "shell", leave the rest); rows "with the '
            "plugin's own work\" run an example plugin, whose handler body alone is the "
            '"native CPython" or "native Node" row.'
        )
        lines.append("")
    return lines


def _cache_line(cache: dict[str, str]) -> str:
    if cache["kind"] == "cold":
        return "Compile cache: cold (--cold): every plugin was compiled in this run."
    return (
        f"Compile cache: persistent, {cache['path']} (`zeroclaw demo`'s): plugins compiled "
        "by an earlier run were loaded from it (--cold compiles them all again)."
    )


def _ratio(ratios: dict[str, float], key: str) -> str:
    return f"{ratios[key]:.2f}" if key in ratios else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, WAT guests only")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--parts",
        help=f"comma-separated parts to run ({','.join(PARTS)}); the others keep the figures "
        "of the --json file",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="compile every plugin in this run (a temporary compile cache), not from the "
        "persistent one",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help="the persistent compile cache (default: the user's, as `zeroclaw demo`)",
    )
    parser.add_argument("--rss-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    measured = Path(zeroclaw.__file__).resolve().parent
    if not measured.is_relative_to((ROOT / "src").resolve()):
        # Seen: a worktree sharing another checkout's .venv measured that checkout's code.
        parser.error(
            f"zeroclaw is imported from {measured}, not from this checkout's src/: run with "
            f"PYTHONPATH={ROOT / 'src'}"
        )
    if args.rss_child:
        language, source, count, work = args.rss_child
        print(rss_child(language, Path(source), int(count), Path(work)))
        return 0
    parts = tuple(args.parts.split(",")) if args.parts else PARTS
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {PARTS}")
    # Some parts only: the other figures are the last run's, from --json.
    previous = json.loads(args.json.read_text()) if args.parts and args.json.exists() else None
    sizes = SMOKE if args.smoke else FULL
    results = run_suite(sizes, parts, previous, cold=args.cold, cache_dir=args.cache_dir)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    text = render(results)
    replace_section(args.markdown, SECTION, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
