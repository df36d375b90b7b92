"""A bare FastAPI route on uvicorn, the yardstick for the gateway's requests per second.

`POST /v1/chat/completions` answers a fixed OpenAI-shaped completion without reading
anything but the JSON body: what any FastAPI service pays for HTTP, routing and JSON on
this machine, with nothing of ZeroClaw's (auth, sessions, the agent, storage). Started by
suite.py and gateway_ab.py as a process of its own (`bare_route()`), like the gateway, with
the same uvicorn settings as the gateway's (no access log, no lifespan, no server header),
and found the same way: it prints `listening on http://127.0.0.1:PORT`.

    .venv/bin/python benchmarks/bare_route.py
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/chat/completions")
async def chat_completions(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bare",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "bare"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "hi"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def main() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", server_header=False
    )
    uvicorn.Server(config).run(sockets=[sock])


@contextmanager
def bare_route() -> Iterator[str]:
    """This script as a server process until the block ends; yields its base URL."""
    process = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"bare_route.py did not start: {line!r}")
        yield line.removeprefix("listening on ").strip()
    finally:
        process.terminate()
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
