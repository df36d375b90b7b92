"""Throughput and latency of the gateway's /v1/chat/completions, plugins off vs on.

Two real `zeroclaw gateway` processes run side by side on 127.0.0.1, on the offline
provider (no network, no model): one with `plugins.enabled = false`, one with
`plugins.enabled = true` and an empty plugin directory. The client (this process, httpx,
`--concurrency` requests in flight) measures them in alternating rounds, so drift of the
machine touches both alike, and reports requests per second, p50 and p99 latency, and
the ratio "plugins on / plugins off" from this one run. No number here is asserted
anywhere: the result is a table for docs/benchmarks.md.

    .venv/bin/python benchmarks/gateway_bench.py                # print the table
    .venv/bin/python benchmarks/gateway_bench.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from gateway_process import gateway_process
from report import replace_section

TOKEN = "zc_benchmark-token"
SECTION = "gateway-bench"


@dataclass
class Mode:
    name: str
    plugins_enabled: bool
    latencies_s: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    failures: int = 0
    round_rps: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies_s)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else 0.0

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies_s)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


def config_text(plugins_enabled: bool, plugin_dir: Path) -> str:
    from zeroclaw.gateway.auth import hash_token

    return f"""
data_dir = "data"

[observability]
backend = "noop"

# Its recall and end-of-session summary grow with the sessions stored, which would make
# the rounds drift; the comparison is about the plugin subsystem.
[hooks.session_memory]
enabled = false

[plugins]
enabled = {"true" if plugins_enabled else "false"}
dirs = ["{plugin_dir}"]

[gateway]
tokens = ["{hash_token(TOKEN)}"]
rate_limit_per_minute = 0
"""


@contextmanager
def bench_gateway(
    workdir: Path, plugins_enabled: bool, *, source: Path | None = None
) -> Iterator[str]:
    plugin_dir = workdir / "plugins"
    plugin_dir.mkdir(parents=True)
    text = config_text(plugins_enabled, plugin_dir)
    with gateway_process(workdir, text, source=source) as gateway:
        yield gateway.url


async def measure(base_url: str, mode: Mode, requests: int, concurrency: int, stream: bool) -> None:
    body = {"model": "zeroclaw", "stream": stream, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue = iter(range(requests))

    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60
    ) as client:

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
        elapsed = time.perf_counter() - started
        mode.elapsed_s += elapsed
        mode.round_rps.append(requests / elapsed)


async def warm_up(base_url: str) -> None:
    mode = Mode("warm-up", plugins_enabled=False)
    await measure(base_url, mode, requests=50, concurrency=4, stream=False)


def table(modes: list[Mode], args: argparse.Namespace) -> str:
    off, on = modes
    # Rounds next to each other in time share the machine's state: their ratio is the
    # steadier figure on a machine that other work also uses.
    round_ratios = [b / a for a, b in zip(off.round_rps, on.round_rps, strict=True)]
    kind = "streamed" if args.stream else "whole"
    lines = [
        f"Gateway: `POST /v1/chat/completions` ({kind} response), offline provider, a new "
        f"session per request, hooks.session_memory off, {args.concurrency} requests in "
        "flight, "
        f"{args.rounds} alternating rounds of {args.requests} requests per mode.",
        "",
        "| mode | requests | req/s | p50 ms | p99 ms | failures |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for mode in modes:
        lines.append(
            f"| {mode.name} | {mode.requests} | {mode.rps:.0f} | "
            f"{mode.percentile_ms(50):.2f} | {mode.percentile_ms(99):.2f} | {mode.failures} |"
        )
    lines += [
        "",
        f"Ratio plugins on / off: req/s **{on.rps / off.rps:.3f}** (median of the "
        f"{args.rounds} per-round ratios: **{statistics.median(round_ratios):.3f}**), "
        f"p50 **{on.percentile_ms(50) / off.percentile_ms(50):.3f}**, "
        f"p99 **{on.percentile_ms(99) / off.percentile_ms(99):.3f}**.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {platform.system()}; client and both servers on "
        "the same machine (the client takes CPU from the servers: compare the ratio, not "
        "the absolute numbers).",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> str:
    modes = [Mode("plugins disabled", False), Mode("plugins enabled, none loaded", True)]
    with tempfile.TemporaryDirectory(prefix="zeroclaw-bench-") as scratch:
        root = Path(scratch)
        with (
            bench_gateway(root / "off", plugins_enabled=False) as off_url,
            bench_gateway(root / "on", plugins_enabled=True) as on_url,
        ):
            urls = [off_url, on_url]
            for url in urls:
                await warm_up(url)
            pairs = list(zip(modes, urls, strict=True))
            for round_number in range(args.rounds):
                # A B, then B A: whatever favours going first or second cancels out.
                for mode, url in pairs if round_number % 2 == 0 else reversed(pairs):
                    await measure(url, mode, args.requests, args.concurrency, args.stream)
    return table(modes, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per mode per round")
    parser.add_argument("--rounds", type=int, default=20, help="alternating rounds")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--stream", action="store_true", help="ask for streamed responses")
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args()
    text = asyncio.run(run(args))
    print(text)
    if args.write is not None:
        replace_section(args.write, SECTION, f"## Gateway throughput (last run)\n\n{text}")


if __name__ == "__main__":
    main()
