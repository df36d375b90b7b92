"""The framework's layers around a turn route, with and without the lane (gateway/lane.py),
measured side by side in one process.

The app is a `GatewayApp` with the gateway's layers (its exception handlers, BodyLimit,
ConsoleHeaders) and a `DirectRoute` at `/v1/chat/completions` whose endpoint validates
its body and answers at once: what is left per request is the layers' cost, the body's
reading and validation, and the response's sending (to a `send` that drops it). The
same app serves each round twice, once with `lane_enabled` and once without (the full
way, as FastAPI serves it), the order swapped every other round; figures are medians
over rounds of CPU time (this process) per request, and the median of per-round ratios.
Nothing is asserted.

    .venv/bin/python benchmarks/lane_layers.py --rounds 20 --requests 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import MutableMapping
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel
from report import load_line, machine_line

from zeroclaw.gateway.body_limit import BodyLimit
from zeroclaw.gateway.console.headers import ConsoleHeaders
from zeroclaw.gateway.direct_route import DirectRoute
from zeroclaw.gateway.errors import install_error_handlers
from zeroclaw.gateway.lane import GatewayApp
from zeroclaw.gateway.state import GatewayState

PATH = "/v1/chat/completions"
OTHER = "/v1/responses"  # the lane is built for both turn routes
BODY = json.dumps({"model": "zeroclaw", "messages": [{"role": "user", "content": "hi"}]})


class Asked(BaseModel):
    model: str
    messages: list[dict[str, str]]


def layered_app() -> GatewayApp:
    router = APIRouter(route_class=DirectRoute)

    async def chat(body: Asked) -> Response:
        return Response(b'{"ok":true}', media_type="application/json")

    router.post(PATH)(chat)
    router.post(OTHER)(chat)

    app = GatewayApp(docs_url=None, redoc_url=None)
    # DirectRoute checks that the app has one; this endpoint reads nothing of it.
    app.state.gateway = object.__new__(GatewayState)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=1 << 20)
    app.include_router(router)
    app.add_middleware(ConsoleHeaders, prefix="/ui")
    return app


async def serve(app: GatewayApp, requests: int) -> float:
    """CPU seconds per request."""
    body = BODY.encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.process_time()
    for _ in range(requests):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": PATH,
            "raw_path": PATH.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080),
            "state": {},
        }
        await app(scope, receive, send)
    spent = time.process_time() - started
    assert set(statuses) == {200}, statuses[:5]
    return spent / requests


async def rounds(rounds: int, requests: int) -> dict[str, list[float]]:
    app = layered_app()
    app.lane_enabled = True
    assert app.lane().refused is None, app.lane().refused
    runs: dict[str, list[float]] = {"full way": [], "lane": []}
    for number in range(rounds):
        order = ["full way", "lane"] if number % 2 == 0 else ["lane", "full way"]
        for name in order:
            app.lane_enabled = name == "lane"
            runs[name].append(await serve(app, requests))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    at_start = os.getloadavg()[0]
    runs = asyncio.run(rounds(args.rounds, args.requests))
    full, lane = runs["full way"], runs["lane"]
    ratio = statistics.median(f / m for f, m in zip(full, lane, strict=True))
    print(f"{args.rounds} alternating rounds of {args.requests} requests, CPU us/request:\n")
    print("| path | CPU us/request (median round) | spread | full way / this |")
    print("|---|---:|---:|---:|")
    for name, values in runs.items():
        mine = ratio if name == "lane" else 1.0
        print(
            f"| {name} | {statistics.median(values) * 1e6:.1f} | "
            f"{min(values) * 1e6:.1f}-{max(values) * 1e6:.1f} | {mine:.2f} |"
        )
    print(f"\n{machine_line()} {load_line(at_start)}")


if __name__ == "__main__":
    main()
