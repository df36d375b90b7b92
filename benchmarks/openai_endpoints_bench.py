"""Requests per second of /v1/responses against /v1/chat/completions, whole and streamed.

Both endpoints run the same turn (gateway/turns.py); what differs is the wire work around
it: the Responses API builds the `openai` package's `Response` (a larger model), records
the response id in the memory database, and streams a dozen typed events where chat
streams a few chunks. One real `zeroclaw gateway` process on 127.0.0.1 (offline
provider, no network) serves both; this process measures them in alternating rounds, so
drift of the machine touches both alike, and reports the ratio "responses / chat" per
round pair. Nothing here is asserted: the result is a table for docs/benchmarks.md.

    .venv/bin/python benchmarks/openai_endpoints_bench.py
    .venv/bin/python benchmarks/openai_endpoints_bench.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from gateway_bench import TOKEN, config_text
from gateway_process import gateway_process
from report import replace_section

SECTION = "openai-endpoints-bench"

MODES: dict[str, tuple[str, dict[str, Any]]] = {
    "chat": ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}]}),
    "responses": ("/v1/responses", {"input": "hi"}),
}


async def round_rps(
    base_url: str, mode: str, stream: bool, requests: int, concurrency: int
) -> float:
    path, body = MODES[mode]
    payload = {"model": "zeroclaw", "stream": stream, **body}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    queue = iter(range(requests))
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:

        async def worker() -> None:
            for _ in queue:
                response = await client.post(path, json=payload)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


async def run(base_url: str, args: argparse.Namespace) -> dict[tuple[str, bool], list[float]]:
    results: dict[tuple[str, bool], list[float]] = {}
    for stream in (False, True):
        await round_rps(base_url, "chat", stream, 30, args.concurrency)  # warm-up
        for _ in range(args.rounds):
            for mode in MODES:
                rps = await round_rps(base_url, mode, stream, args.requests, args.concurrency)
                results.setdefault((mode, stream), []).append(rps)
    return results


def table(results: dict[tuple[str, bool], list[float]], args: argparse.Namespace) -> str:
    lines = [
        f"Gateway: `/v1/responses` vs `/v1/chat/completions`, offline provider, a new session "
        f"per request, {args.concurrency} requests in flight, {args.rounds} alternating rounds "
        f"of {args.requests} requests per endpoint.",
        "",
        "| response | chat req/s | responses req/s | responses / chat (median of round pairs) |",
        "|---|---:|---:|---:|",
    ]
    for stream in (False, True):
        chat, responses = results[("chat", stream)], results[("responses", stream)]
        ratios = [r / c for c, r in zip(chat, responses, strict=True)]
        lines.append(
            f"| {'streamed' if stream else 'whole'} | {statistics.median(chat):.0f} | "
            f"{statistics.median(responses):.0f} | {statistics.median(ratios):.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--write", type=Path, help="put the table in this Markdown file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        plugin_dir = workdir / "plugins"
        plugin_dir.mkdir()
        with gateway_process(workdir, config_text(False, plugin_dir)) as gateway:
            results = asyncio.run(run(gateway.url, args))
    body = "## OpenAI endpoints: Responses vs Chat Completions (last run)\n\n" + table(
        results, args
    )
    print(body)
    if args.write:
        replace_section(args.write, SECTION, body)


if __name__ == "__main__":
    main()
