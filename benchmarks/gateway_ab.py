"""ZeroClaw source trees side by side: the gateway's requests per second before and after
each change, measured in one run.

Each tree's `src` runs as a real `zeroclaw gateway` process on 127.0.0.1 with the same
config (gateway_bench.py's: offline provider, plugins disabled, hooks.session_memory off,
no rate limit), and a bare FastAPI route (bare_route.py) runs beside them as the
yardstick. One client (this process, httpx, `--concurrency` requests in flight) drives
`POST /v1/chat/completions` on all of them in alternating rounds, so a busy machine slows
all of them alike. Figures are medians over rounds; each ratio (to the bare route, to the
tree before) is taken per round, then the median. Beside req/s, each gateway's CPU time
per request (user + system, all its threads, read from /proc around each round): on a
machine that other work shares, it moves far less than req/s, which also depends on how
much CPU the client gets. Nothing is asserted: this is how the before/after ratios in
docs/benchmarks.md were measured.

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
from gateway_bench import Mode, config_text, measure, warm_up
from gateway_process import gateway_process
from report import ab_args, ab_parser, load_line, machine_line

# CPU seconds per request of each round, by server name (gateways only: their pids).
ROUND_CPU: dict[str, list[float]] = {}


def cpu_s(pid: int) -> float:
    """User + system CPU time of a process so far, all its threads (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def rounds(
    urls: list[str], pids: list[int | None], modes: list[Mode], args: argparse.Namespace
) -> None:
    for url in urls:
        await warm_up(url)
    servers = list(zip(modes, urls, pids, strict=True))
    for number in range(args.rounds):
        # Forwards, then backwards: whatever favours a place in the round cancels out.
        for mode, url, pid in servers if number % 2 == 0 else reversed(servers):
            before = cpu_s(pid) if pid is not None else 0.0
            await measure(url, mode, args.requests, args.concurrency, False)
            if pid is not None:
                spent = (cpu_s(pid) - before) / args.requests
                ROUND_CPU.setdefault(mode.name, []).append(spent)


def cpu_column(mode: Mode, above: Mode | None) -> str:
    spent = ROUND_CPU.get(mode.name)
    if not spent:
        return "- | -"
    before = ROUND_CPU.get(above.name) if above is not None else None
    ratio = (
        f"{statistics.median(b / a for a, b in zip(spent, before, strict=True)):.2f}"
        if before
        else "-"
    )
    return f"{statistics.median(spent) * 1000:.2f} | {ratio}"


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
        "| x bare route | x the row above | CPU ms/request | CPU: the row above / this |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for index, mode in enumerate(modes):
        ordered = sorted(mode.round_rps)
        # quartiles over rounds (one round, a smoke run: its own figure)
        quartiles = (
            statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else ordered
        )
        above = f"{per_round(mode, modes[index - 1]):.2f}" if index > 1 else "-"
        lines.append(
            f"| {mode.name} | {statistics.median(ordered):.0f} | "
            f"{quartiles[0]:.0f}-{quartiles[-1]:.0f} | {mode.percentile_ms(50):.2f} | "
            f"{mode.percentile_ms(99):.2f} | {mode.failures} | {per_round(mode, bare):.3f} | "
            f"{above} | {cpu_column(mode, modes[index - 1] if index > 1 else None)} |"
        )
    if len(modes) > 2:
        lines += ["", f"Last / first tree: **{per_round(modes[-1], modes[1]):.2f}**"]
    lines += [
        "",
        f"{machine_line()} {load_line(args.load)}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = ab_parser(__doc__, rounds=10, children=False)
    parser.add_argument("--requests", type=int, default=200, help="requests per server per round")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    args = ab_args(parser, at_least=1)
    modes = [Mode("bare FastAPI route", False)]
    modes += [Mode(name, False) for name, _ in args.trees]
    with tempfile.TemporaryDirectory(prefix="zeroclaw-ab-") as scratch, ExitStack() as stack:
        root = Path(scratch)
        urls = [stack.enter_context(bare_route())]
        pids: list[int | None] = [None]
        for index, (_, source) in enumerate(args.trees):
            workdir = root / f"tree{index}"
            (workdir / "plugins").mkdir(parents=True)
            text = config_text(False, workdir / "plugins")
            served = stack.enter_context(gateway_process(workdir, text, source=source.resolve()))
            urls.append(served.url)
            pids.append(served.pid)
        asyncio.run(rounds(urls, pids, modes, args))
    print(table(modes, args))


if __name__ == "__main__":
    main()
