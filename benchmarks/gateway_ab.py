"""ZeroClaw source trees side by side: the gateway's requests per second before and after
each change, measured in one run.

Each tree's `src` runs as a real `zeroclaw gateway` process on 127.0.0.1 with the same
config (gateway_bench.py's: offline provider, plugins disabled, hooks.session_memory off,
no rate limit), and a bare FastAPI route (bare_route.py) runs beside them as the
yardstick. One client (this process, httpx, `--concurrency` requests in flight) drives
`POST /v1/chat/completions` on all of them in alternating rounds, so a busy machine slows
all of them alike. Figures are medians over rounds; each ratio (to the bare route, to the
tree before) is taken per round, then the median. Nothing is asserted: this is how the
before/after ratios in docs/benchmarks.md were measured.

    for c in main HEAD~1 HEAD; do
        mkdir -p /tmp/t-$c && git archive $c src | tar -x -C /tmp/t-$c
    done
    .venv/bin/python benchmarks/gateway_ab.py main=/tmp/t-main/src one=/tmp/t-HEAD~1/src \\
        two=/tmp/t-HEAD/src
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
        # Forwards, then backwards: whatever favours a place in the round cancels out.
        for mode, url in pairs if number % 2 == 0 else reversed(pairs):
            await measure(url, mode, args.requests, args.concurrency, False)


def per_round(top: Mode, bottom: Mode) -> float:
    """Median over rounds of `top`'s req/s over `bottom`'s in the same round."""
    return statistics.median(a / b for a, b in zip(top.round_rps, bottom.round_rps, strict=True))


def table(modes: list[Mode], args: argparse.Namespace) -> str:
    bare = modes[0]
    lines = [
        f"`POST /v1/chat/completions`, {args.concurrency} in flight, {args.rounds} "
        f"alternating rounds of {args.requests} requests per server.",
        "",
        "| server | req/s (median round) | spread | p50 ms | p99 ms | failures "
        "| x bare route | x the row above |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for index, mode in enumerate(modes):
        ordered = sorted(mode.round_rps)
        quartiles = statistics.quantiles(ordered, n=4, method="inclusive")
        above = f"{per_round(mode, modes[index - 1]):.2f}" if index > 1 else "-"
        lines.append(
            f"| {mode.name} | {statistics.median(ordered):.0f} | "
            f"{quartiles[0]:.0f}-{quartiles[-1]:.0f} | {mode.percentile_ms(50):.2f} | "
            f"{mode.percentile_ms(99):.2f} | {mode.failures} | {per_round(mode, bare):.3f} | "
            f"{above} |"
        )
    if len(modes) > 2:
        lines += ["", f"Last / first tree: **{per_round(modes[-1], modes[1]):.2f}**"]
    lines += [
        "",
        f"{machine_line()} Load average (1 min): {args.load:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end.",
    ]
    return "\n".join(lines)


def tree(text: str) -> tuple[str, Path]:
    name, _, path = text.rpartition("=")
    return name or path, Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=tree, help="NAME=SRC_DIR, oldest first")
    parser.add_argument("--requests", type=int, default=200, help="requests per server per round")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    modes = [Mode("bare FastAPI route", False)]
    modes += [Mode(name, False) for name, _ in args.trees]
    with tempfile.TemporaryDirectory(prefix="zeroclaw-ab-") as scratch, ExitStack() as stack:
        root = Path(scratch)
        urls = [stack.enter_context(bare_route())]
        for index, (_, source) in enumerate(args.trees):
            served = bench_gateway(root / f"tree{index}", False, source=source.resolve())
            urls.append(stack.enter_context(served))
        asyncio.run(rounds(urls, modes, args))
    print(table(modes, args))


if __name__ == "__main__":
    main()
