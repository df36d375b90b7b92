"""A fake LLM HTTP server on 127.0.0.1, so the real `openai` and `anthropic` SDKs are
exercised end to end, transport included (they use httpx2, which respx does not patch).

Tests queue replies (`reply_json`, `reply_sse`, `reply_delay`) and read back the requests
the SDK sent (`requests`, with the decoded JSON body).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def sse(events: list[tuple[str | None, Any]]) -> bytes:
    """Server-sent events: (event name or None, data as JSON or a raw string)."""
    out = []
    for name, data in events:
        payload = data if isinstance(data, str) else json.dumps(data)
        prefix = f"event: {name}\n" if name else ""
        out.append(f"{prefix}data: {payload}\n\n")
    return "".join(out).encode()


class FakeLLMServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                with server._lock:
                    server.requests.append(
                        Recorded(
                            "POST",
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            json.loads(raw) if raw else None,
                        )
                    )
                    reply = server._replies.pop(0) if server._replies else None
                if reply is None:
                    reply = Reply(500, b'{"error": {"message": "no reply queued"}}')
                time.sleep(reply.delay_s)
                self.send_response(reply.status)
                headers = {"content-type": "application/json", **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._http.block_on_close = False
        # A client that gave up (timeout test) makes the handler's write fail: not our concern.
        self._http.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def reply_json(
        self, payload: Any, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self._replies.append(Reply(status, json.dumps(payload).encode(), headers or {}))

    def reply_sse(self, events: list[tuple[str | None, Any]]) -> None:
        self._replies.append(Reply(200, sse(events), {"content-type": "text/event-stream"}))

    def reply_delay(self, delay_s: float) -> None:
        self._replies.append(Reply(200, b"{}", {}, delay_s))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
