"""/health latency while a 10,000-message request is being stored, against idle, on
SQLite and on PostgreSQL.

Storage runs on the store's own loop (memory/storage_loop.py), so a request that brings
a long conversation to store must not hold up the gateway's event loop. For each backend a
real `zeroclaw gateway` runs on 127.0.0.1 (offline provider, `gateway.max_messages =
10000`); this script asks `/health` one request after another while the gateway is idle,
then again while one `POST /v1/chat/completions` carrying 10,000 messages (a new session
each round: the whole conversation is seeded into the store in one transaction) is in
flight. It reports p50 and p99 of /health in both phases and their ratio (loaded / idle),
and how long the big request took, per backend, from one run. PostgreSQL is a throwaway
server started from Debian's binaries (tests/postgres_server.py), or `--postgres-url`.

    .venv/bin/python benchmarks/storage_bench.py
    .venv/bin/python benchmarks/storage_bench.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from gateway_process import gateway_process
from report import replace_section

SECTION = "storage-bench"
TOKEN = "zc_benchmark-token"
BIG = 10_000


@dataclass
class Phase:
    latencies_s: list[float] = field(default_factory=list)

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies_s)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


@dataclass
class Result:
    backend: str
    idle: Phase = field(default_factory=Phase)
    loaded: Phase = field(default_factory=Phase)
    big_requests_s: list[float] = field(default_factory=list)


def config_text(memory: str) -> str:
    from zeroclaw.gateway.auth import hash_token

    return f"""
data_dir = "data"

[memory]
{memory}

[observability]
backend = "noop"

[hooks.session_memory]
enabled = false

[gateway]
tokens = ["{hash_token(TOKEN)}"]
rate_limit_per_minute = 0
max_messages = {BIG}
max_body_bytes = 16777216
"""


def conversation() -> list[dict[str, str]]:
    return [
        {"role": "user" if (BIG - i) % 2 == 1 else "assistant", "content": f"message {i} " * 4}
        for i in range(BIG)
    ]


async def health_until(http: httpx.AsyncClient, phase: Phase, done: asyncio.Event) -> None:
    while not done.is_set():
        started = time.perf_counter()
        response = await http.get("/health")
        response.raise_for_status()
        phase.latencies_s.append(time.perf_counter() - started)


async def measure(url: str, result: Result, rounds: int, idle_requests: int) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as big,
        httpx.AsyncClient(base_url=url, timeout=60) as health,
    ):
        for _ in range(rounds):
            for _ in range(idle_requests):
                started = time.perf_counter()
                (await health.get("/health")).raise_for_status()
                result.idle.latencies_s.append(time.perf_counter() - started)
            body = {"model": "zeroclaw", "messages": conversation(), "session_id": uuid.uuid4().hex}
            done = asyncio.Event()
            prober = asyncio.create_task(health_until(health, result.loaded, done))
            started = time.perf_counter()
            response = await big.post("/v1/chat/completions", json=body)
            result.big_requests_s.append(time.perf_counter() - started)
            done.set()
            await prober
            response.raise_for_status()


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from postgres_server import start_postgres

    server = start_postgres()
    try:
        yield server.url_of(server.new_database())
    finally:
        server.stop()


def table(results: list[Result]) -> str:
    lines = [
        "| backend | /health p50 idle | p50 during | p99 idle | p99 during | p99 ratio "
        "| 10,000-message request (median) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        idle99, loaded99 = r.idle.percentile_ms(99), r.loaded.percentile_ms(99)
        lines.append(
            f"| {r.backend} | {r.idle.percentile_ms(50):.2f} ms | "
            f"{r.loaded.percentile_ms(50):.2f} ms | {idle99:.2f} ms | {loaded99:.2f} ms | "
            f"{loaded99 / idle99:.1f}x | {statistics.median(r.big_requests_s):.2f} s |"
        )
    counts = ", ".join(f"{r.backend}: {len(r.loaded.latencies_s)}" for r in results)
    lines += [
        "",
        f"/health answered while the big requests ran ({counts}); a stalled event loop "
        "would answer none until each big request finished.",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {platform.system()}; client, gateway and PostgreSQL "
        "on the same machine (compare the ratios, not the absolute numbers).",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> str:
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="zeroclaw-bench-") as scratch,
        postgres(args.postgres_url) as pg_url,
    ):
        os.environ["ZEROCLAW_DATABASE_URL"] = pg_url
        backends = [("sqlite", 'backend = "sqlite"'), ("postgres", 'backend = "postgres"')]
        for name, memory in backends:
            result = Result(name)
            with gateway_process(Path(scratch) / name, config_text(memory)) as gateway:
                await measure(gateway.url, result, args.rounds, args.idle_requests)
            results.append(result)
    return table(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="big requests per backend")
    parser.add_argument("--idle-requests", type=int, default=200, help="idle /health per round")
    parser.add_argument("--postgres-url", help="use this database instead of a throwaway server")
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args()
    text = asyncio.run(run(args))
    print(text)
    if args.write is not None:
        replace_section(
            args.write, SECTION, f"## Storage: /health during a big request (last run)\n\n{text}"
        )


if __name__ == "__main__":
    main()
