"""What an open operator console costs the gateway: turns per second with the console off
vs on and watched, and the console's observer on the plugin-call path.

1. Two real `zeroclaw gateway` processes on 127.0.0.1, offline provider: one with
   `gateway.console.enabled = false`; one with the console on, `--watchers` logged-in
   event streams open on it (as many browser tabs) and one client fetching its Plugins
   page every second. `POST /v1/chat/completions` is measured on both in alternating
   rounds (A B, B A, ...); each turn moves the console's `turns` counter, so the streams
   send an event per change they see, and the Sessions pages would refresh.
2. In this process: the cost of one `PluginCall` event through `ConsoleRecorder.record`
   (what the console adds to every plugin call) beside `PrometheusObserver.record` (what
   the gateway already pays per call for /metrics), measured in alternating rounds.

No number is asserted anywhere: the result is a table for docs/benchmarks.md.

    .venv/bin/python benchmarks/console_bench.py                # print the table
    .venv/bin/python benchmarks/console_bench.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from gateway_process import gateway_process
from report import replace_section

TOKEN = "zc_benchmark-token"
SECTION = "console-bench"


@dataclass
class Mode:
    name: str
    latencies_s: list[float] = field(default_factory=list)
    round_rps: list[float] = field(default_factory=list)
    failures: int = 0

    def percentile_ms(self, q: int) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] * 1000


def config_text(console: bool) -> str:
    from zeroclaw.gateway.auth import hash_token

    return f"""
data_dir = "data"

[observability]
backend = "noop"

[hooks.session_memory]
enabled = false

[gateway]
tokens = ["{hash_token(TOKEN)}"]
rate_limit_per_minute = 0

[gateway.console]
enabled = {"true" if console else "false"}
"""


async def measure(url: str, mode: Mode, requests: int, concurrency: int) -> None:
    body = {"model": "zeroclaw", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    queue = iter(range(requests))
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                response = await client.post("/v1/chat/completions", json=body)
                if response.status_code != 200:
                    mode.failures += 1
                    continue
                mode.latencies_s.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        mode.round_rps.append(requests / (time.perf_counter() - started))


@contextlib.asynccontextmanager
async def watched(url: str, watchers: int) -> AsyncIterator[list[int]]:
    """`watchers` open event streams and a Plugins page fetched every second; yields the
    count of events each stream received."""
    client = httpx.AsyncClient(base_url=url, timeout=None)
    login = await client.post("/ui/login", data={"secret": TOKEN})
    assert login.status_code == 303, login.text
    received = [0] * watchers

    async def stream(index: int) -> None:
        async with client.stream("GET", "/ui/events") as response:
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    received[index] += 1

    async def pages() -> None:
        while True:
            await client.get("/ui")
            await asyncio.sleep(1)

    tasks = [asyncio.create_task(stream(i)) for i in range(watchers)]
    tasks.append(asyncio.create_task(pages()))
    try:
        yield received
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.aclose()


def observer_costs(events: int, rounds: int) -> tuple[float, float]:
    """ns per PluginCall event: (ConsoleRecorder, PrometheusObserver), medians of rounds."""
    from zeroclaw.gateway.console.recorder import ConsoleRecorder
    from zeroclaw.observability import Observer, PluginCall, PrometheusObserver

    recorder, prometheus = ConsoleRecorder(), PrometheusObserver()
    event = PluginCall("bench-plugin", "before-tool-call", 0.25, "ok")
    per_event: dict[str, list[float]] = {"console": [], "prometheus": []}
    for index in range(rounds):
        pair: list[tuple[str, Observer]] = [("console", recorder), ("prometheus", prometheus)]
        for name, observer in pair if index % 2 == 0 else reversed(pair):
            started = time.perf_counter_ns()
            for _ in range(events):
                observer.record(event)
            per_event[name].append((time.perf_counter_ns() - started) / events)
    return statistics.median(per_event["console"]), statistics.median(per_event["prometheus"])


async def run(args: argparse.Namespace) -> str:
    off, on = Mode("console off"), Mode(f"console on, {args.watchers} streams + a page/s")
    with tempfile.TemporaryDirectory(prefix="zeroclaw-bench-") as scratch:
        root = Path(scratch)
        with (
            gateway_process(root / "off", config_text(console=False)) as off_gateway,
            gateway_process(root / "on", config_text(console=True)) as on_gateway,
        ):
            async with watched(on_gateway.url, args.watchers) as received:
                pairs = [(off, off_gateway.url), (on, on_gateway.url)]
                for _, url in pairs:  # warm-up, not counted
                    await measure(url, Mode("warm-up"), 50, args.concurrency)
                for index in range(args.rounds):
                    for mode, url in pairs if index % 2 == 0 else reversed(pairs):
                        await measure(url, mode, args.requests, args.concurrency)
                events = sum(received)
    console_ns, prometheus_ns = observer_costs(args.events, args.rounds)
    ratios = [b / a for a, b in zip(off.round_rps, on.round_rps, strict=True)]
    lines = [
        "Gateway: `POST /v1/chat/completions` (whole response), offline provider, "
        f"{args.concurrency} requests in flight, {args.rounds} alternating rounds of "
        f"{args.requests} requests per mode.",
        "",
        "| mode | requests | req/s (median round) | p50 ms | p99 ms | failures |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for mode in (off, on):
        lines.append(
            f"| {mode.name} | {len(mode.latencies_s)} | "
            f"{statistics.median(mode.round_rps):.0f} | {mode.percentile_ms(50):.2f} | "
            f"{mode.percentile_ms(99):.2f} | {mode.failures} |"
        )
    lines += [
        "",
        f"Ratio console on and watched / off: req/s **{statistics.median(ratios):.3f}** "
        f"(median of the per-round ratios), p50 "
        f"**{on.percentile_ms(50) / off.percentile_ms(50):.3f}**, p99 "
        f"**{on.percentile_ms(99) / off.percentile_ms(99):.3f}**. The streams received "
        f"{events} events meanwhile.",
        "",
        f"One `PluginCall` event through the console's recorder: **{console_ns:.0f} ns**; "
        f"through the Prometheus observer: {prometheus_ns:.0f} ns (ratio "
        f"**{console_ns / prometheus_ns:.2f}**; medians of {args.rounds} alternating rounds "
        f"of {args.events} events).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {platform.system()}; client and both servers on the "
        "same machine (compare the ratios, not the absolute numbers).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per mode per round")
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--watchers", type=int, default=3, help="open event streams")
    parser.add_argument("--events", type=int, default=100_000, help="observer events per round")
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args()
    text = asyncio.run(run(args))
    print(text)
    if args.write is not None:
        replace_section(args.write, SECTION, f"## Operator console cost (last run)\n\n{text}")


if __name__ == "__main__":
    main()
