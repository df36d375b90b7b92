"""http_request against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from zeroclaw.config.models import HttpRequestConfig, ToolsConfig
from zeroclaw.tools import PolicyViolation, SecurityPolicy, ToolContext, ToolRegistry
from zeroclaw.tools.builtin import HttpRequestTool


class _Handler(BaseHTTPRequestHandler):
    seen: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.seen.append(f"GET {self.path}")
        port = self.server.server_port  # type: ignore[attr-defined]
        if self.path == "/hello":
            self._send(200, b"hello", Content_Type="text/plain; charset=utf-8")
        elif self.path == "/big":
            self._send(200, b"y" * 5000)
        elif self.path == "/redirect-in":
            self._send(302, Location="/hello")
        elif self.path == "/redirect-out":
            self._send(302, Location=f"http://localhost:{port}/hello")
        elif self.path == "/loop":
            self._send(302, Location="/loop")
        elif self.path == "/echo":
            self._send(200, f"GET auth={self.headers.get('Authorization')}".encode())
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b".")
                self.wfile.flush()
                time.sleep(0.05)
        else:
            self._send(404, b"no such page")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(f"POST {self.path}")
        if self.path == "/submit":
            self._send(303, Location="/echo")
        else:
            self._send(201, b"created: " + body)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Handler,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def base(server: tuple[str, list[str]]) -> str:
    server[1].clear()
    return server[0]


@pytest.fixture
def seen(server: tuple[str, list[str]]) -> list[str]:
    return server[1]


def _tool(workspace: Path, **settings: object) -> HttpRequestTool:
    config = HttpRequestConfig.model_validate({"allowed_hosts": ["127.0.0.1"], **settings})
    return HttpRequestTool(SecurityPolicy(ToolsConfig(http_request=config), workspace), config)


async def test_an_allowed_host_is_fetched(workspace: Path, context: ToolContext, base: str) -> None:
    result = await _tool(workspace).execute({"url": f"{base}/hello"}, context)

    assert result.success
    assert result.output == "HTTP 200 OK\ncontent-type: text/plain; charset=utf-8\n\nhello"


async def test_post_sends_the_body(workspace: Path, context: ToolContext, base: str) -> None:
    result = await _tool(workspace).execute(
        {"url": f"{base}/things", "method": "POST", "body": "a thing"}, context
    )

    assert result.output.startswith("HTTP 201 Created")
    assert result.output.endswith("created: a thing")


async def test_another_host_is_refused_before_any_request(
    workspace: Path, context: ToolContext, base: str, seen: list[str]
) -> None:
    other = base.replace("127.0.0.1", "localhost")
    tool = _tool(workspace)

    with pytest.raises(PolicyViolation, match="allowed_hosts"):
        await tool.execute({"url": f"{other}/hello"}, context)
    registry = ToolRegistry()
    registry.register(tool)
    result = await registry.execute("http_request", {"url": f"{other}/hello"}, context)

    assert not result.success
    assert "'localhost' is not in tools.http_request.allowed_hosts" in (result.error or "")
    assert seen == []


async def test_a_redirect_to_a_refused_host_is_not_followed(
    workspace: Path, context: ToolContext, base: str, seen: list[str]
) -> None:
    result = await _tool(workspace).execute({"url": f"{base}/redirect-out"}, context)

    assert not result.success
    assert "redirected to http://localhost:" in (result.error or "")
    assert "refused" in (result.error or "")
    assert seen == ["GET /redirect-out"]


async def test_a_redirect_to_an_allowed_host_is_followed(
    workspace: Path, context: ToolContext, base: str, seen: list[str]
) -> None:
    result = await _tool(workspace).execute({"url": f"{base}/redirect-in"}, context)

    assert result.success
    assert f"url: {base}/hello" in result.output
    assert result.output.endswith("hello")
    assert seen == ["GET /redirect-in", "GET /hello"]


async def test_see_other_after_post_continues_as_get(
    workspace: Path, context: ToolContext, base: str, seen: list[str]
) -> None:
    result = await _tool(workspace).execute(
        {
            "url": f"{base}/submit",
            "method": "POST",
            "body": "x",
            "headers": {"Authorization": "Bearer t"},
        },
        context,
    )

    assert seen == ["POST /submit", "GET /echo"]
    assert result.output.endswith("GET auth=Bearer t")  # same host keeps its credentials


async def test_redirect_loops_stop(
    workspace: Path, context: ToolContext, base: str, seen: list[str]
) -> None:
    result = await _tool(workspace).execute({"url": f"{base}/loop"}, context)

    assert not result.success
    assert "redirects" in (result.error or "")
    assert len(seen) == 6


async def test_the_body_is_cut_at_the_size_cap(
    workspace: Path, context: ToolContext, base: str
) -> None:
    result = await _tool(workspace, max_response_bytes=1024).execute(
        {"url": f"{base}/big"}, context
    )

    assert result.success
    body = result.output.split("\n\n", 1)[1]
    kept, marker = body.split("\n[", 1)
    assert kept == "y" * 1024
    assert marker.startswith("... truncated after 1024 bytes]")


async def test_a_dripping_response_is_cut_by_the_deadline(
    workspace: Path, context: ToolContext, base: str
) -> None:
    started = time.monotonic()

    result = await _tool(workspace, timeout_s=0.4).execute({"url": f"{base}/drip"}, context)

    assert time.monotonic() - started < 2
    assert not result.success
    assert "timed out after 0.4s" in (result.error or "")


async def test_http_errors_fail_with_the_body(
    workspace: Path, context: ToolContext, base: str
) -> None:
    result = await _tool(workspace).execute({"url": f"{base}/missing"}, context)

    assert not result.success
    assert (result.error or "").startswith("HTTP 404")
    assert "no such page" in (result.error or "")


async def test_connection_errors_fail_cleanly(workspace: Path, context: ToolContext) -> None:
    result = await _tool(workspace).execute({"url": "http://127.0.0.1:9/"}, context)

    assert not result.success
    assert "failed: ConnectError" in (result.error or "")


def test_only_non_read_methods_mutate(workspace: Path) -> None:
    tool = _tool(workspace)

    assert tool.mutates({"url": "x"}) is False
    assert tool.mutates({"url": "x", "method": "HEAD"}) is False
    assert tool.mutates({"url": "x", "method": "POST"}) is True
    assert tool.mutates({"url": "x", "method": "DELETE"}) is True
