"""A response's head and body leave the gateway in one socket write
(gateway/lifecycle/one_write.py), and nothing else about the connection changes."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from gateway_harness import TOKEN, Gateway

from zeroclaw.gateway.lifecycle.one_write import OneWriteProtocol, _StepWrites


class RecordedTransport(asyncio.Transport):
    """A transport that keeps each write as it was made."""

    def __init__(self) -> None:
        super().__init__(extra={"peername": ("127.0.0.1", 4242)})
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_the_writes_of_one_step_are_one_write() -> None:
    async def scenario() -> list[list[bytes]]:
        real = RecordedTransport()
        held = _StepWrites(real, asyncio.get_running_loop())
        seen = []
        held.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        held.write(b"{}")
        seen.append(list(real.writes))  # nothing yet: the step is not over
        await asyncio.sleep(0)
        seen.append(list(real.writes))
        held.write(b"next")  # a later step: its own write
        await asyncio.sleep(0)
        seen.append(list(real.writes))
        return seen

    during, after, later = asyncio.run(scenario())
    assert during == []
    assert after == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert later == [*after, b"next"]


def test_closing_writes_what_is_held_first_and_nothing_after() -> None:
    async def scenario() -> RecordedTransport:
        real = RecordedTransport()
        held = _StepWrites(real, asyncio.get_running_loop())
        held.write(b"bye")
        held.close()
        held.write(b"too late")
        await asyncio.sleep(0)
        return real

    real = asyncio.run(scenario())
    assert real.writes == [b"bye"]
    assert real.closed


def test_everything_else_is_the_real_transports() -> None:
    async def scenario() -> Any:
        held = _StepWrites(RecordedTransport(), asyncio.get_running_loop())
        return held.get_extra_info("peername")

    assert asyncio.run(scenario()) == ("127.0.0.1", 4242)


def test_the_gateway_serves_with_it(gateway: Gateway) -> None:
    assert gateway.server.config.http is OneWriteProtocol
    # A raw HTTP/1.1 exchange on one keep-alive connection: two whole responses.
    body = b'{"model": "zeroclaw", "messages": [{"role": "user", "content": "hi"}]}'
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {TOKEN}\r\n".encode()
        + b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    host, port = gateway.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        for _ in range(2):
            sock.sendall(request)
            head, rest = _read_head(sock)
            length = int(next(line for line in head if line.lower().startswith(b"content-length"))
                         .split(b":")[1])  # fmt: skip
            while len(rest) < length:
                rest += sock.recv(65536)
            assert head[0] == b"HTTP/1.1 200 OK"
            assert len(rest) == length
            assert b'"chat.completion"' in rest


def _read_head(sock: socket.socket) -> tuple[list[bytes], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed before the response's head"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n"), rest
