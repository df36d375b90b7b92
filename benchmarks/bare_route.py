"""A bare FastAPI route on uvicorn, the yardstick for the gateway's requests per second.

`POST /v1/chat/completions` answers a fixed OpenAI-shaped completion without reading
anything but the JSON body: what any FastAPI service pays for HTTP, routing and JSON on
this machine, with nothing of ZeroClaw's (auth, sessions, the agent, storage). Started by
suite.py as a process of its own, like the gateway, and found the same way: it prints
`listening on http://127.0.0.1:PORT`.

    .venv/bin/python benchmarks/bare_route.py
"""

from __future__ import annotations

import socket
import sys
import time
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
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
