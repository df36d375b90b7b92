"""Hot reload: how long a change takes to serve, and what reloading costs the calls.

One real AgentRuntime (plugins on, `plugins.hot_reload` on) with one hook plugin, a WAT
guest whose `before_prompt_build` sets the system prompt to its tag; a new version is the
same component with another tag (a different sha256, so it is compiled afresh, as an
edited plugin would be). Measured, in one run:

  file change -> serving   write plugin.wasm, then poll (every 1 ms) until a hook call
                           through the live view answers with the new tag: the watcher's
                           quiet period (`plugins.reload_debounce_ms`), the build (load,
                           compile, instantiate, self-describe), the checks and the swap
  reload on demand         `reloader.reload()` alone (what SIGHUP or the API starts)
  hook call latency        one `before_prompt_build` dispatch through the live view, one
                           call at a time, in steady state and while another thread
                           reloads new versions back to back; alternating rounds, and
                           the ratio of the two (p50 and p99)

Nothing here is asserted anywhere.

    .venv/bin/python benchmarks/plugin_reload_bench.py
    .venv/bin/python benchmarks/plugin_reload_bench.py --write docs/plugins-runtime.md
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

from report import machine_line, put_tests_on_path, replace_section

from zeroclaw.agent import AgentRuntime, DenyApprover
from zeroclaw.config import Config
from zeroclaw.hooks import Event, PromptBuild
from zeroclaw.plugins.authoring.build import package_wit_dir, wat_component, wit_root

SECTION = "plugin-reload-bench"
MARKER = "TAG-0000"  # reload_support.MARKER, in the template
PAYLOAD = PromptBuild("bench", "terminal", None, "native prompt", ())


class Tagger:
    """The plugin directory, and new versions of it."""

    def __init__(self, plugins: Path, template: bytes) -> None:
        self.directory = plugins / "tagger"
        self.directory.mkdir(parents=True)
        self.template = template
        self.version = 0
        (self.directory / "plugin.toml").write_text(
            'name = "tagger"\nversion = "1.0.0"\nwit_package = "zeroclaw:hooks@1.0.0"\n'
            'component = "plugin.wasm"\ncapabilities = ["hooks.conversation", "hooks.modify"]\n'
        )
        self.next_version()

    def next_version(self) -> str:
        self.version += 1
        tag = f"v{self.version:07d}"
        data = self.template.replace(MARKER.encode(), tag.encode())
        (self.directory / "plugin.wasm").write_bytes(data)
        return tag


def build_template(work: Path) -> bytes:
    """The tagger: the reload tests' hook whose `before_prompt_build` continues with the
    system prompt set to its tag (MARKER in the template)."""
    from zeroclaw.plugins.contract.abi import SUPPORTED

    put_tests_on_path("plugins")
    put_tests_on_path("plugins/reload")
    from reload_support import WAT
    from wat_builder import with_ring_allocator

    wit = package_wit_dir(wit_root(), SUPPORTED["zeroclaw:hooks"])
    wat = with_ring_allocator(WAT["prompt"])
    template = wat_component(
        wat, wit, "zeroclaw:hooks/hooks@1.0.0", work / "tagger.wasm", work
    ).read_bytes()
    assert template.count(MARKER.encode()) == 1, "the tagger's template lost its marker"
    return template


def open_runtime(work: Path, debounce_ms: int) -> AgentRuntime:
    config = Config(data_dir=work / "data")
    config.observability.backend = "noop"
    config.plugins.enabled = True
    config.plugins.hot_reload = True
    config.plugins.reload_debounce_ms = debounce_ms
    config.plugins.dirs = [work / "plugins"]
    config.plugins.capabilities.allow = ["hooks.conversation", "hooks.modify"]
    return AgentRuntime.from_config(config, approver=DenyApprover())


async def prompt(runtime: AgentRuntime) -> str:
    result = await runtime.live_hooks().run(Event.BEFORE_PROMPT_BUILD, PAYLOAD)
    return result.payload.system_prompt


async def change_to_serving(
    runtime: AgentRuntime, tagger: Tagger, samples: int, debounce_ms: int
) -> list[float]:
    """Seconds from writing a new plugin.wasm to a hook call answering with its tag. Each
    write waits a random part of a quiet period first, so it lands anywhere in the
    watcher's cycle (as an edit would), not always just after a reload."""
    times = []
    for _ in range(samples):
        await asyncio.sleep(random.uniform(0, debounce_ms / 1000))
        started = time.perf_counter()
        tag = tagger.next_version()
        # polling is the measurement: "serving" is a hook call answering with the new tag
        while await prompt(runtime) != tag:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        times.append(time.perf_counter() - started)
    return times


def on_demand(runtime: AgentRuntime, tagger: Tagger, samples: int) -> list[float]:
    assert runtime.reloader is not None
    times = []
    for _ in range(samples):
        tagger.next_version()
        started = time.perf_counter()
        report = runtime.reloader.reload("bench")
        times.append(time.perf_counter() - started)
        assert report.swapped, report.reason
    return times


async def call_latencies(runtime: AgentRuntime, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        await runtime.live_hooks().run(Event.BEFORE_PROMPT_BUILD, PAYLOAD)
        times.append(time.perf_counter() - started)
    return times


async def latency_rounds(
    runtime: AgentRuntime, tagger: Tagger, rounds: int, calls: int
) -> tuple[list[float], list[float], int]:
    """Per-call seconds in steady state and during back-to-back reloads (alternating
    rounds), and how many reloads the latter overlapped."""
    assert runtime.reloader is not None
    reloader = runtime.reloader
    steady: list[float] = []
    reloading: list[float] = []
    reloads = 0
    for _ in range(rounds):
        steady += await call_latencies(runtime, calls)
        stop = threading.Event()
        done: list[int] = []

        def reload_until_stopped(stop: threading.Event = stop, done: list[int] = done) -> None:
            while not stop.is_set():
                tagger.next_version()
                reloader.reload("bench")
                done.append(1)

        thread = threading.Thread(target=reload_until_stopped)
        thread.start()
        reloading += await call_latencies(runtime, calls)
        stop.set()
        thread.join()
        reloads += len(done)
    return steady, reloading, reloads


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def render(
    debounce_ms: int,
    serving: list[float],
    demand: list[float],
    steady: list[float],
    reloading: list[float],
    reloads: int,
) -> str:
    def ms(values: list[float], q: float) -> str:
        return f"{pct(values, q) * 1000:.1f}"

    def us(values: list[float], q: float) -> str:
        return f"{pct(values, q) * 1e6:.0f}"

    lines = [
        "## Plugin reload (last run)",
        "",
        f"One WAT hook plugin, `plugins.reload_debounce_ms = {debounce_ms}`.",
        "",
        "| from | to | n | p50 ms | p99 ms |",
        "|---|---|---:|---:|---:|",
        f"| plugin.wasm written | new generation serving (watcher) | {len(serving)} | "
        f"{ms(serving, 0.5)} | {ms(serving, 0.99)} |",
        f"| `reloader.reload()` called | new generation serving (on demand) | {len(demand)} | "
        f"{ms(demand, 0.5)} | {ms(demand, 0.99)} |",
        "",
        f"Hook call latency (`before_prompt_build` through the live view, one at a time; "
        f"{len(steady)} calls each, alternating rounds; {reloads} reloads overlapped):",
        "",
        "| | p50 us | p99 us |",
        "|---|---:|---:|",
        f"| steady state | {us(steady, 0.5)} | {us(steady, 0.99)} |",
        f"| during reloads | {us(reloading, 0.5)} | {us(reloading, 0.99)} |",
        f"| ratio | {pct(reloading, 0.5) / pct(steady, 0.5):.2f} | "
        f"{pct(reloading, 0.99) / pct(steady, 0.99):.2f} |",
        "",
        machine_line(),
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace, work: Path) -> str:
    tagger = Tagger(work / "plugins", build_template(work))
    runtime = open_runtime(work, args.debounce_ms)
    try:
        assert runtime.reloader is not None
        watcher = runtime.reloader.watcher
        assert watcher is not None
        assert watcher.ready.wait(10), "the watcher did not start"
        await change_to_serving(runtime, tagger, 2, args.debounce_ms)  # warm up
        serving = await change_to_serving(runtime, tagger, args.samples, args.debounce_ms)
        # from here on, reloads are on demand only: the watcher would also reload the
        # files the reloading thread keeps rewriting (and see some half written)
        watcher.stop()
        demand = on_demand(runtime, tagger, args.samples)
        steady, reloading, reloads = await latency_rounds(runtime, tagger, args.rounds, args.calls)
    finally:
        await runtime.aclose()
    return render(args.debounce_ms, serving, demand, steady, reloading, reloads)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30, help="reloads timed per row")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=400, help="hook calls per round")
    parser.add_argument("--debounce-ms", type=int, default=200, dest="debounce_ms")
    parser.add_argument("--write", type=Path, help="replace the table section in this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        table = asyncio.run(run(args, Path(tmp)))
    print(table)
    if args.write is not None:
        replace_section(args.write, SECTION, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
