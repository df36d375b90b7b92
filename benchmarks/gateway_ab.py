"""Two ZeroClaw source trees side by side: the gateway's requests per second, before and
after a change, measured in one run.

Each tree's `src` runs as a real `zeroclaw gateway` process on 127.0.0.1 with the same
config (gateway_bench.py's: offline provider, plugins disabled, hooks.session_memory off,
no rate limit), and a bare FastAPI route (bare_route.py) runs beside them as the
yardstick. One client (this process, httpx, `--concurrency` requests in flight) drives
`POST /v1/chat/completions` on all three in alternating rounds, so a busy machine slows
all of them alike; the figures are medians over rounds, the ratios are per round, then
their median. Nothing is asserted: this is how each change's before/after ratio in
docs/benchmarks.md was measured.

    git worktree add --detach /tmp/before main
    .venv/bin/python benchmarks/gateway_ab.py /tmp/before/src src
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bare_route import bare_route
from gateway_bench import Mode, bench_gateway, measure, warm_up
from report import machine_line


async def rounds(urls: list[str], modes: list[Mode], args: argparse.Namespace) -> None:
    for url in urls:
        await warm_up(url)
    pairs = list(zip(modes, urls, strict=True))
    for number in range(args.rounds):
        # Forwards, then backwards: whatever favours going first cancels out.
        for mode, url in pairs if number % 2 == 0 else reversed(pairs):
            await measure(url, mode, args.requests, args.concurrency, False)


def table(modes: list[Mode], args: argparse.Namespace) -> str:
    bare, before, after = modes

    def ratio(top: Mode, bottom: Mode) -> float:
        return statistics.median(
            a / b for a, b in zip(top.round_rps, bottom.round_rps, strict=True)
        )

    lines = [
        f"`POST /v1/chat/completions`, {args.concurrency} in flight, {args.rounds} "
        f"alternating rounds of {args.requests} requests per server.",
        "",
        "| server | req/s (median round) | spread | p50 ms | p99 ms | failures | x bare route |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for mode in modes:
        ordered = sorted(mode.round_rps)
        quartiles = statistics.quantiles(ordered, n=4, method="inclusive")
        lines.append(
            f"| {mode.name} | {statistics.median(ordered):.0f} | "
            f"{quartiles[0]:.0f}-{quartiles[-1]:.0f} | {mode.percentile_ms(50):.2f} | "
            f"{mode.percentile_ms(99):.2f} | {mode.failures} | {ratio(mode, bare):.3f} |"
        )
    lines += ["", f"After / before (median of per-round ratios): **{ratio(after, before):.3f}**"]
    lines += ["", f"{machine_line()} Load average (1 min) at the start: {args.load:.1f}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="the src directory of the tree before")
    parser.add_argument("after", type=Path, help="the src directory of the tree after")
    parser.add_argument("--requests", type=int, default=200, help="requests per server per round")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    modes = [Mode("bare FastAPI route", False), Mode("before", False), Mode("after", False)]
    with tempfile.TemporaryDirectory(prefix="zeroclaw-ab-") as scratch, ExitStack() as stack:
        root = Path(scratch)
        urls = [
            stack.enter_context(bare_route()),
            stack.enter_context(bench_gateway(root / "before", False, source=args.before)),
            stack.enter_context(bench_gateway(root / "after", False, source=args.after)),
        ]
        asyncio.run(rounds(urls, modes, args))
    print(table(modes, args))


if __name__ == "__main__":
    main()
