"""ZeroClaw source trees side by side: the instructions one gateway request costs, counted
by valgrind's callgrind rather than timed.

On a machine other engineers share, a change worth 1-3% of a request's CPU does not show
in requests per second or even in CPU time per request (gateway_ab.py: rounds of one
server spread by 10-25%). The number of instructions the process executes does not
depend on the load: two runs of one tree agree within about 0.5%. So each tree's gateway
app (gateway_bench.py's config: offline provider, plugins disabled,
hooks.session_memory off, no rate limit) runs in a child process under callgrind, driven
through ASGI directly (no uvicorn, no sockets: what is counted is the app, the agent and
the storage thread), 8 requests in flight; instrumentation is switched on
(`callgrind_control -i on`) only after imports, startup and a warm-up, for `--requests`
requests of `POST /v1/chat/completions`, every thread counted.

Instructions are not time (a cache miss costs more than an add), so this ranks changes
of the same kind; gateway_ab.py still says what a change does to requests per second.
Needs valgrind (`apt-get install valgrind`); each tree takes about a minute.

    mkdir -p /tmp/t-main && git archive main src | tar -x -C /tmp/t-main
    .venv/bin/python benchmarks/gateway_instructions.py main=/tmp/t-main/src this=src
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from report import ab_args, ab_parser, load_line, machine_line
from starlette.types import ASGIApp, Message, Scope

WARM_UP = 100
IN_FLIGHT = 8


def child(requests: int) -> None:
    """Serve `requests` requests (after a warm-up) through the gateway's ASGI app."""
    from fastapi import FastAPI
    from gateway_bench import config_text

    import zeroclaw
    from zeroclaw.config.effective import load_config
    from zeroclaw.gateway.lifecycle.server import open_gateway

    print(f"zeroclaw: {zeroclaw.__file__}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="zeroclaw-instr-") as tmp:
        work = Path(tmp)
        (work / "plugins").mkdir()
        config = work / "config.toml"
        config.write_text(config_text(False, work / "plugins"))
        os.chdir(work)
        server = open_gateway(load_config(config), host="127.0.0.1", port=0, log_level=None)
        app = server.config.app
        assert isinstance(app, FastAPI)

        async def run() -> None:
            await _serve(app, WARM_UP)
            gc.collect()
            _instrument("on")
            await _serve(app, requests)
            _instrument("off")

        try:
            asyncio.run(run())
        finally:
            state = app.state.gateway
            state.turns.end_sessions()
            state.runtime.close()


async def _serve(app: ASGIApp, count: int) -> None:
    """`count` requests, IN_FLIGHT at a time."""
    numbers = iter(range(count))

    async def worker() -> None:
        for _ in numbers:
            await _one(app)

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


_BODY = json.dumps({"model": "zeroclaw", "messages": [{"role": "user", "content": "hi"}]}).encode()


async def _one(app: ASGIApp) -> None:
    from gateway_bench import TOKEN

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {TOKEN}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(_BODY)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    received = False
    statuses: list[int] = []

    async def receive() -> Message:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": _BODY, "more_body": False}
        await asyncio.Event().wait()  # the client never goes away
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    if statuses != [200]:
        raise SystemExit(f"the gateway answered {statuses}, not 200")


def _instrument(switch: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", switch, str(os.getpid())], check=True, capture_output=True
    )


def count(src: Path, requests: int) -> int:
    """Instructions of `requests` requests of the tree `src`, counted in a child process."""
    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(here)])}
    with tempfile.TemporaryDirectory(prefix="zeroclaw-callgrind-") as out:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}/callgrind.out",
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                str(requests),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,  # its output says why: shown below
        )
    if done.returncode != 0:
        raise SystemExit(f"the child of {src} failed:\n{done.stderr[-2000:]}")
    imported = re.search(r"zeroclaw: (\S+)", done.stderr)
    if imported is None or not imported.group(1).startswith(str(src)):
        raise SystemExit(f"the child did not import zeroclaw from the tree {src}")
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if collected is None:
        raise SystemExit(f"callgrind reported no count for {src}:\n{done.stderr[-2000:]}")
    return int(collected.group(1))


def main() -> None:
    parser = ab_parser(__doc__ or "", rounds=1, children=False)
    parser.add_argument("--requests", type=int, default=200, help="requests counted per tree")
    parser.add_argument("--child", type=int, help="(internal) serve this many requests")
    if "--child" in sys.argv:
        child(parser.parse_args().child)
        return
    args = ab_args(parser, at_least=1)
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: install valgrind (apt-get install valgrind)")
    counts: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for name, src in args.trees:
            per_request = count(src, args.requests) / args.requests
            counts.setdefault(name, []).append(per_request)
            print(f"{name}: {per_request / 1000:,.0f}k instructions/request", file=sys.stderr)
    first = min(counts[args.trees[0][0]])
    lines = [
        f"`POST /v1/chat/completions` through the app's ASGI interface, {IN_FLIGHT} in "
        f"flight, {args.requests} requests counted per tree after {WARM_UP} of warm-up; "
        f"the fewest of {args.rounds} run(s).",
        "",
        "| tree | instructions/request | x first (fewer is better) |",
        "|---|---:|---:|",
    ]
    for name, _ in args.trees:
        mine = min(counts[name])
        lines.append(f"| {name} | {mine / 1000:,.0f}k | {mine / first:.3f} |")
    print("\n".join(lines))
    print()
    print(machine_line(), load_line(args.load))


if __name__ == "__main__":
    main()
