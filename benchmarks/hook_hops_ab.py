"""ZeroClaw source trees side by side: hook dispatches through the HookRunner, one and ten
handlers, measured in one run: native handlers and WAT plugins called inline on a
modifying event (`before_tool_call`, the suite's guard guest and its native twin), and WAT
plugins on worker threads on that event and on a void one (`on_session_start`, emit then
drain).

What it shows: the runner's own cost per dispatch (the native rows), a plugin's inline
call through it, and the cost of the hops between the event loop and the plugins' worker
threads. Each round runs every tree once, each in a child process of its own
with that tree's `src` first on the path, forwards then backwards in alternate rounds;
within a child the rows alternate too. Figures are medians over rounds of each child's
median, wall clock and CPU time of the process (every thread), per dispatch; "x first"
is the median of per-round ratios to the first tree. Nothing is asserted.

    mkdir -p /tmp/t-main && git archive main src wit | tar -x -C /tmp/t-main
    .venv/bin/python benchmarks/hook_hops_ab.py main=/tmp/t-main/src onehop=src
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from operator import itemgetter
from pathlib import Path
from typing import Any

from report import (
    ab_children_main,
    by_row_and_tree,
    load_line,
    put_tests_on_path,
    ratio_to_first,
    write_rows,
)

OBSERVER_WAT = """
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\\02")
  (data (i32.const 24) "\\10\\00\\00\\00\\01\\00\\00\\00")
  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32) i32.const 24)
  (func (export "zeroclaw:hooks/handler@1.0.0#on-session-start")
    (param i32 i32 i32 i32 i32 i32 i32))
)
"""

# (row, guest, handlers, the plugins' timeout_ms: 20 runs inline, 1000 on worker threads)
ROWS = (
    ("before_tool_call, 1 native handler", "native", 1, 0),
    ("before_tool_call, 10 native handlers", "native", 10, 0),
    ("before_tool_call, 1 plugin inline", "guard", 1, 20),
    ("before_tool_call, 10 plugins inline", "guard", 10, 20),
    # At the default timeout_ms (1000) a plugin is called inline first (wasm/inline.py).
    ("before_tool_call, 1 plugin inline first", "guard", 1, 1000),
    ("before_tool_call, 10 plugins inline first", "guard", 10, 1000),
    ("on_session_start (emit + drain), 1 plugin inline first", "observer", 1, 1000),
    ("on_session_start (emit + drain), 10 plugins inline first", "observer", 10, 1000),
)


def child(out: Path, rounds: int, calls: int) -> None:
    """Measure ROWS with this process's zeroclaw; write the medians (seconds)."""
    from plugin_hook_bench import _hooks_package, build_guest
    from suite import plugin_config, write_guard_plugins

    put_tests_on_path("plugins")
    from wat_builder import with_ring_allocator

    from zeroclaw.hooks import (
        Cancel,
        Event,
        HookHandler,
        HookRunner,
        SessionStart,
        ToolCallRequest,
        hook,
    )
    from zeroclaw.plugins.authoring.build import package_wit_dir, wat_component, wit_root
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry

    def native_guard(name: str) -> HookHandler:
        """The guard guest's work as a native handler: cancel "shell", pass the rest."""

        @hook(Event.BEFORE_TOOL_CALL, name=name)
        def guard(request: ToolCallRequest) -> Cancel | None:
            return Cancel("blocked by bench") if request.tool == "shell" else None

        return guard

    call = ToolCallRequest("s1", "ls", {"command": "ls -la /srv/data", "note": "x" * 120})
    start = SessionStart("s1", "bench", "user")

    async def run_all(work: Path) -> dict[str, dict[str, float]]:
        guests = {
            "guard": build_guest(work),
            "observer": wat_component(
                with_ring_allocator(OBSERVER_WAT),
                package_wit_dir(wit_root(), _hooks_package()),
                "zeroclaw:hooks/hooks@1.0.0",
                work / "o.wasm",
                work,
            ),
        }
        runners = []
        registries = []
        for name, guest, count, timeout_ms in ROWS:
            if guest == "native":
                native = HookRunner()
                native.register(*(native_guard(f"guard{index}") for index in range(count)))
                runners.append((name, guest, native))
                continue
            plugins = work / f"{guest}-{count}-{timeout_ms}"
            plugins.mkdir()
            write_guard_plugins(plugins, guests[guest], count, timeout_ms=timeout_ms)
            config = plugin_config(work / f"data-{guest}-{count}-{timeout_ms}", plugins)
            registry = PluginRegistry.for_config(config)
            registries.append(registry)
            runners.append(
                (name, guest, HookRunner().layered(registry.load(config.plugins).hook_handlers()))
            )

        async def once(guest: str, runner: HookRunner) -> None:
            if guest != "observer":
                await runner.run(Event.BEFORE_TOOL_CALL, call)
            else:
                runner.emit(Event.ON_SESSION_START, start)
                await runner.drain()

        wall: dict[str, list[float]] = {name: [] for name, *_ in ROWS}
        cpu: dict[str, list[float]] = {name: [] for name, *_ in ROWS}
        try:
            for _, guest, runner in runners:
                for _ in range(20):
                    await once(guest, runner)
            for number in range(rounds):
                for name, guest, runner in runners if number % 2 == 0 else runners[::-1]:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    for _ in range(calls):
                        await once(guest, runner)
                    wall[name].append((time.perf_counter() - started) / calls)
                    cpu[name].append((time.process_time() - started_cpu) / calls)
        finally:
            for registry in registries:
                registry.close()
        return {
            name: {"wall": statistics.median(wall[name]), "cpu": statistics.median(cpu[name])}
            for name in wall
        }

    with tempfile.TemporaryDirectory(prefix="zeroclaw-hops-") as tmp:
        rows = asyncio.run(run_all(Path(tmp)))
    write_rows(out, rows)


def table(trees: list[str], runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    first = trees[0]
    lines = [
        f"{args.rounds} alternating rounds; each a child process per tree running "
        f"{args.child_rounds} rounds of {args.calls} dispatches per row. Medians over rounds.",
        "",
        f"| dispatch | tree | us/dispatch | CPU us/dispatch | x {first} | CPU x {first} |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row, tree, mine, theirs in by_row_and_tree(runs):
        wall, cpu = (ratio_to_first(mine, theirs, itemgetter(kind)) for kind in ("wall", "cpu"))
        lines.append(
            f"| {row} | {tree} | {statistics.median(r['wall'] for r in mine) * 1e6:.1f} | "
            f"{statistics.median(r['cpu'] for r in mine) * 1e6:.1f} | {wall:.2f} | {cpu:.2f} |"
        )
    lines += [
        "",
        load_line(args.load),
    ]
    return "\n".join(lines)


def main() -> int:
    return ab_children_main(
        __doc__, __file__, child, table, rounds=6, sizes={"--child-rounds": 7, "--calls": 200}
    )


if __name__ == "__main__":
    raise SystemExit(main())
