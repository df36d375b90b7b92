"""A bounded load run against a real gateway with hook and tool plugins loaded and a plugin
reload every second; what it reports goes to docs/reliability.md.

One real `zeroclaw gateway` process on 127.0.0.1 (offline provider) loads the example
plugins (a WAT, a JavaScript and a Python hook, a Python tool; built first with `zeroclaw
plugins build`, cached). The client (this process, httpx) then:

1. sends `--requests` chat completions, `--concurrency` in flight, one in four calling the
   plugin tool, while another task asks for a plugin reload every `--reload-every` seconds,
   and a sampler reads the server's RSS and open files from /proc every half second;
2. measures `/health` and a small chat while idle, then while one large request
   (`--big-messages` messages in one chat) is being served, and reports the ratios.

Nothing here is asserted: it is a report (5xx, lost responses, p50/p99, RSS and open files
over time, the latency ratios). Kept out of the default test command; run it with

    .venv/bin/python benchmarks/load_run.py                       # print the report
    .venv/bin/python benchmarks/load_run.py --write docs/reliability.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from gateway_process import GatewayProcess, gateway_process
from report import machine_line, replace_section

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "plugins"
PLUGINS = ("compaction-floor", "guard-shell", "redact-secrets", "tools/word-count")
TOKEN = "zc_load-run-token"
SECTION = "load-run"
TOOL_MESSAGE = '/tool word_count {"text": "the quick brown fox jumps over the lazy dog"}'


@dataclass
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    lost: int = 0
    lost_reasons: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    reloads: dict[str, int] = field(default_factory=dict)
    rss_kib: list[int] = field(default_factory=list)
    open_files: list[int] = field(default_factory=list)

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


def build_examples() -> None:
    zeroclaw = [sys.executable, "-m", "zeroclaw", "plugins", "build"]
    for name in PLUGINS:
        subprocess.run([*zeroclaw, str(EXAMPLES / name)], check=True, capture_output=True)


def config_text(plugin_dir: Path, big_messages: int) -> str:
    from zeroclaw.gateway.auth import hash_token

    return f"""
data_dir = "data"

[tools]
autonomy = "full"

[observability]
backend = "noop"

[hooks.session_memory]
enabled = false

[plugins]
enabled = true
dirs = ["{plugin_dir}"]

[plugins.capabilities]
allow = ["hooks.conversation", "hooks.modify", "hooks.tool_results", "log"]

[gateway]
tokens = ["{hash_token(TOKEN)}"]
rate_limit_per_minute = 0
# The large request of the run is over the default cap (2,000), on purpose.
max_messages = {big_messages}
"""


def chat_body(content: str) -> dict[str, object]:
    return {"model": "zeroclaw", "messages": [{"role": "user", "content": content}]}


async def load(client: httpx.AsyncClient, result: LoadResult, args: argparse.Namespace) -> None:
    numbers = iter(range(args.requests))

    async def worker() -> None:
        for number in numbers:
            content = TOOL_MESSAGE if number % 4 == 0 else f"hello {number}"
            started = time.perf_counter()
            try:
                response = await client.post("/v1/chat/completions", json=chat_body(content))
            except httpx.HTTPError as exc:
                result.lost += 1
                reason = type(exc).__name__
                result.lost_reasons[reason] = result.lost_reasons.get(reason, 0) + 1
                continue
            result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                result.latencies_s.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    result.elapsed_s = time.perf_counter() - started


async def reload_forever(client: httpx.AsyncClient, result: LoadResult, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            response = await client.post("/api/plugins/reload")
            outcome = "swapped" if response.json().get("swapped") else f"{response.status_code}"
        except (httpx.HTTPError, ValueError) as exc:
            outcome = type(exc).__name__
        result.reloads[outcome] = result.reloads.get(outcome, 0) + 1


async def sample_forever(pid: int, result: LoadResult) -> None:
    while True:
        result.rss_kib.append(_rss_kib(pid))
        result.open_files.append(len(os.listdir(f"/proc/{pid}/fd")))
        await asyncio.sleep(0.5)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def latency_s(client: httpx.AsyncClient, path: str, body: object | None = None) -> float:
    started = time.perf_counter()
    if body is None:
        response = await client.get(path)
    else:
        response = await client.post(path, json=body)
    response.raise_for_status()
    return time.perf_counter() - started


async def idle_and_busy(client: httpx.AsyncClient, messages: int) -> dict[str, float]:
    """Median latency of /health and of a small chat while idle, then while one large
    request is being served."""
    health_idle = [await latency_s(client, "/health") for _ in range(20)]
    small_chat = chat_body("hi")
    chat_idle = [await latency_s(client, "/v1/chat/completions", small_chat) for _ in range(10)]
    big = {
        "model": "zeroclaw",
        "messages": [
            {"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i} " * 4}
            for i in range(messages - 1)
        ]
        + [{"role": "user", "content": "and now?"}],
    }
    big_task = asyncio.create_task(client.post("/v1/chat/completions", json=big, timeout=600))
    health_busy: list[float] = []
    chat_busy: list[float] = []
    while not big_task.done():
        health_busy.append(await latency_s(client, "/health"))
        chat_busy.append(await latency_s(client, "/v1/chat/completions", small_chat))
    big_response = await big_task
    if not health_busy:
        raise RuntimeError(
            f"the large request ended ({big_response.status_code}) before the first probe: "
            "raise --big-messages (up to gateway.max_messages)"
        )
    return {
        "big_status": float(big_response.status_code),
        "health_idle_ms": statistics.median(health_idle) * 1000,
        "health_busy_ms": statistics.median(health_busy) * 1000,
        "chat_idle_ms": statistics.median(chat_idle) * 1000,
        "chat_busy_ms": statistics.median(chat_busy) * 1000,
        "busy_samples": float(len(health_busy)),
    }


async def run(args: argparse.Namespace) -> str:
    build_examples()
    with tempfile.TemporaryDirectory(prefix="zeroclaw-load-") as scratch:
        root = Path(scratch)
        plugin_dir = root / "plugins"
        for name in PLUGINS:
            shutil.copytree(EXAMPLES / name, plugin_dir / Path(name).name)
        config = config_text(plugin_dir, args.big_messages)
        with gateway_process(root / "gateway", config) as gateway:
            return await measure(gateway, args)


async def measure(gateway: GatewayProcess, args: argparse.Namespace) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=args.concurrency + 4)
    result = LoadResult()
    async with httpx.AsyncClient(
        base_url=gateway.url, headers=headers, limits=limits, timeout=120
    ) as client:
        busy = await idle_and_busy(client, args.big_messages)
        background = [
            asyncio.create_task(reload_forever(client, result, args.reload_every)),
            asyncio.create_task(sample_forever(gateway.pid, result)),
        ]
        try:
            await load(client, result, args)
        finally:
            for task in background:
                task.cancel()
    return report(result, busy, args)


def report(result: LoadResult, busy: dict[str, float], args: argparse.Namespace) -> str:
    five_xx = sum(n for status, n in result.statuses.items() if status >= 500)
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(result.statuses.items()))
    reloads = ", ".join(f"{k}: {n}" for k, n in sorted(result.reloads.items())) or "none"
    lost = ", ".join(f"{k}: {n}" for k, n in sorted(result.lost_reasons.items()))
    rss, files = result.rss_kib or [0], result.open_files or [0]
    return "\n".join(
        [
            f"{args.requests} chat completions, {args.concurrency} in flight, one in four "
            "calling a plugin tool; hook plugins in WAT, JavaScript and Python loaded; a "
            f"plugin reload every {args.reload_every:g} s; offline provider.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| responses by status | {statuses} |",
            f"| 5xx | **{five_xx}** |",
            f"| lost (no response) | **{result.lost}**{f' ({lost})' if lost else ''} |",
            f"| reloads | {reloads} |",
            f"| throughput | {len(result.latencies_s) / result.elapsed_s:.0f} req/s |",
            f"| latency p50 / p99 | {result.percentile_ms(50):.1f} / "
            f"{result.percentile_ms(99):.1f} ms |",
            f"| server RSS first / max / last | {rss[0] / 1024:.0f} / {max(rss) / 1024:.0f} / "
            f"{rss[-1] / 1024:.0f} MiB |",
            f"| open files first / max / last | {files[0]} / {max(files)} / {files[-1]} |",
            "",
            f"While one request carrying {args.big_messages} messages was served (it answered "
            f"{busy['big_status']:.0f}; {busy['busy_samples']:.0f} samples): `/health` "
            f"{busy['health_busy_ms']:.1f} ms against {busy['health_idle_ms']:.1f} ms idle "
            f"(ratio **{busy['health_busy_ms'] / busy['health_idle_ms']:.2f}**), a small chat "
            f"{busy['chat_busy_ms']:.1f} ms against {busy['chat_idle_ms']:.1f} ms idle (ratio "
            f"**{busy['chat_busy_ms'] / busy['chat_idle_ms']:.2f}**).",
            "",
            machine_line() + " Client and server on the same machine.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--reload-every", type=float, default=1.0, help="seconds")
    parser.add_argument(
        "--big-messages",
        type=int,
        default=10_000,
        help="messages in the large chat (the run raises gateway.max_messages to allow it)",
    )
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args()
    text = asyncio.run(run(args))
    print(text)
    if args.write is not None:
        replace_section(args.write, SECTION, f"### Last run\n\n{text}")


if __name__ == "__main__":
    main()
