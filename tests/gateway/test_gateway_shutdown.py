"""A real `zeroclaw gateway` process stopped by a real signal.

The stop hook is observed from outside: the built-in webhook_audit hook POSTs the
gateway's lifecycle events to a small receiver in this test, so "on_gateway_stop ran
once" is counted where it arrives. The SQLite file is read after the process is gone.
"""

from __future__ import annotations

import json
import re
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_harness import TOKEN, tool_command, wait_until

from gateway_processes import GatewayStarter, gateway_output, gateway_processes
from zeroclaw.gateway.auth import hash_token
from zeroclaw.memory import MemoryStore

pytestmark = pytest.mark.slow

_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


class AuditReceiver:
    """Collects the JSON bodies POSTed to it (webhook_audit's deliveries)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        received = self.events

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/audit"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def named(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == event]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[AuditReceiver]:
    audit = AuditReceiver()
    yield audit
    audit.close()


def _config(tmp_path: Path, audit_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
data_dir = "data"

[tools]
autonomy = "full"

[tools.shell]
allowed_commands = ["sleep"]

[tools.http_request]
allowed_hosts = ["127.0.0.1"]

[hooks.webhook_audit]
enabled = true
url = "{audit_url}"
events = ["on_gateway_start", "on_gateway_stop", "on_session_end"]

[gateway]
tokens = ["{hash_token(TOKEN)}"]
shutdown_grace_s = 20
"""
    )
    return path


@pytest.fixture
def start_gateway() -> Iterator[GatewayStarter]:
    with gateway_processes() as start:
        yield start


def _post(base_url: str, session_id: str, message: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"message": message, "session_id": session_id}
    return httpx.post(f"{base_url}/webhook", json=body, headers=headers, timeout=60)


def _stored(base_url: str, session_id: str) -> int:
    response = httpx.get(
        f"{base_url}/api/sessions/{session_id}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    return len(response.json()["messages"]) if response.status_code == 200 else 0


def test_sigterm_drains_requests_stops_once_and_loses_nothing(
    tmp_path: Path, receiver: AuditReceiver, start_gateway: GatewayStarter
) -> None:
    process, base_url = start_gateway(_config(tmp_path, receiver.url))
    assert _post(base_url, "done", "stored before the signal").status_code == 200

    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(_post, base_url, "in-flight", tool_command("shell", command="sleep 1"))
        # The turn is running once its user message is stored.
        wait_until(lambda: _stored(base_url, "in-flight") > 0)
        process.send_signal(signal.SIGTERM)
        response = slow.result()
    process.wait(timeout=60)
    output = gateway_output(process)

    assert process.returncode == 0, output
    assert response.status_code == 200, response.text
    assert response.json()["tool_calls"] == [{"name": "shell", "success": True}]

    assert len(receiver.named("on_gateway_start")) == 1
    assert receiver.named("on_gateway_start")[0]["payload"]["host"] == "127.0.0.1"
    assert len(receiver.named("on_gateway_stop")) == 1
    ended = sorted(e["payload"]["session_id"] for e in receiver.named("on_session_end"))
    assert ended == ["done", "in-flight"]

    with MemoryStore.open(tmp_path / "data" / "zeroclaw.db") as memory:
        done = [m.message.role for m in memory.blocking(memory.session_messages("done"))]
        in_flight = [m.message.role for m in memory.blocking(memory.session_messages("in-flight"))]
    assert done == ["user", "assistant"]
    assert in_flight == ["user", "assistant", "tool", "assistant"]


def test_sigint_stops_cleanly_too(
    tmp_path: Path, receiver: AuditReceiver, start_gateway: GatewayStarter
) -> None:
    process, base_url = start_gateway(_config(tmp_path, receiver.url))
    assert httpx.get(f"{base_url}/health").status_code == 200

    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    output = gateway_output(process)

    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert len(receiver.named("on_gateway_stop")) == 1
