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

Then replicas: requests per second and p99 of chat completions on the offline provider,
`--concurrency` in flight on `--sessions` named sessions, for one replica on SQLite, one on
PostgreSQL, and two on PostgreSQL sharing the database (requests spread over both, as a
load balancer would). The three set-ups run side by side, measured in alternating rounds,
and are reported as ratios to the one replica on SQLite.

    .venv/bin/python benchmarks/storage_bench.py
    .venv/bin/python benchmarks/storage_bench.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from gateway_process import gateway_process
from report import put_tests_on_path, replace_section

SECTION = "storage-bench"
REPLICAS_SECTION = "replicas-bench"
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
    put_tests_on_path()
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


@dataclass
class Setup:
    name: str
    urls: list[str]
    latencies_s: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies_s) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile_ms(self, p: float) -> float:
        return Phase(self.latencies_s).percentile_ms(p)


async def chat_round(setup: Setup, requests: int, concurrency: int, sessions: int) -> None:
    """`requests` chat completions, `concurrency` at a time, spread over the setup's
    replicas and over `sessions` sessions."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    clients = [httpx.AsyncClient(base_url=u, headers=headers, timeout=120) for u in setup.urls]
    gate = asyncio.Semaphore(concurrency)
    prefix = uuid.uuid4().hex[:8]

    async def one(i: int) -> None:
        body = {"model": "zeroclaw", "messages": [{"role": "user", "content": f"hello {i}"}]}
        async with gate:
            started = time.perf_counter()
            response = await clients[i % len(clients)].post(
                "/v1/chat/completions",
                json=body,
                headers={"X-Session-Id": f"bench-{prefix}-{i % sessions}"},
            )
            setup.latencies_s.append(time.perf_counter() - started)
            response.raise_for_status()

    started = time.perf_counter()
    try:
        await asyncio.gather(*(one(i) for i in range(requests)))
    finally:
        setup.elapsed_s += time.perf_counter() - started
        for client in clients:
            await client.aclose()


def replicas_table(setups: list[Setup], args: argparse.Namespace) -> str:
    base = setups[0]
    lines = [
        "| set-up | requests/s | p50 | p99 | requests/s ratio | p99 ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in setups:
        lines.append(
            f"| {s.name} | {s.rps:.1f} | {s.percentile_ms(50):.1f} ms | "
            f"{s.percentile_ms(99):.1f} ms | {s.rps / base.rps:.2f}x | "
            f"{s.percentile_ms(99) / base.percentile_ms(99):.2f}x |"
        )
    lines += [
        "",
        f"{args.replica_rounds} alternating rounds of {args.replica_requests} chat completions "
        f"per set-up, {args.concurrency} in flight on {args.sessions} sessions, offline "
        f"provider; ratios against {base.name}. Machine: {platform.machine()}, "
        f"{os.cpu_count()} CPUs; client, replicas and PostgreSQL share it, so two replicas "
        "compete with the client and the database for the same cores: the two-replica row "
        "shows what coordination (session locks, shared tables) costs, not scale-out, which "
        "needs replicas on machines of their own.",
    ]
    return "\n".join(lines)


async def run_replicas(args: argparse.Namespace, scratch: Path) -> str:
    with (
        gateway_process(scratch / "r-sqlite", config_text('backend = "sqlite"')) as lite,
        gateway_process(scratch / "r-pg-a", config_text('backend = "postgres"')) as first,
        gateway_process(scratch / "r-pg-b", config_text('backend = "postgres"')) as second,
    ):
        setups = [
            Setup("1 replica, SQLite", [lite.url]),
            Setup("1 replica, PostgreSQL", [first.url]),
            Setup("2 replicas, PostgreSQL", [first.url, second.url]),
        ]
        for setup in setups:  # warm-up, not measured
            await chat_round(Setup(setup.name, setup.urls), 50, args.concurrency, args.sessions)
        for _ in range(args.replica_rounds):
            for setup in setups:
                await chat_round(setup, args.replica_requests, args.concurrency, args.sessions)
    return replicas_table(setups, args)


async def run(args: argparse.Namespace) -> tuple[str, str]:
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="zeroclaw-bench-") as scratch,
        postgres(args.postgres_url) as pg_url,
    ):
        os.environ["ZEROCLAW_DATABASE_URL"] = pg_url
        backends = [("sqlite", 'backend = "sqlite"'), ("postgres", 'backend = "postgres"')]
        if args.rounds:
            for name, memory in backends:
                result = Result(name)
                with gateway_process(Path(scratch) / name, config_text(memory)) as gateway:
                    await measure(gateway.url, result, args.rounds, args.idle_requests)
                results.append(result)
        replicas = await run_replicas(args, Path(scratch)) if args.replica_rounds else ""
    return (table(results) if results else ""), replicas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="big requests per backend")
    parser.add_argument("--idle-requests", type=int, default=200, help="idle /health per round")
    parser.add_argument("--replica-rounds", type=int, default=5, help="rounds per set-up")
    parser.add_argument("--replica-requests", type=int, default=200, help="requests per round")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--sessions", type=int, default=32, help="sessions they are spread on")
    parser.add_argument("--postgres-url", help="use this database instead of a throwaway server")
    parser.add_argument("--write", type=Path, help="update this markdown file's sections")
    args = parser.parse_args()
    health, replicas = asyncio.run(run(args))
    print(health, replicas, sep="\n\n")
    if args.write is not None and health:
        replace_section(
            args.write, SECTION, f"## Storage: /health during a big request (last run)\n\n{health}"
        )
    if args.write is not None and replicas:
        replace_section(
            args.write,
            REPLICAS_SECTION,
            f"## Replicas: chat completions on SQLite and PostgreSQL (last run)\n\n{replicas}",
        )


if __name__ == "__main__":
    main()
