"""Refuse request bodies over `max_body_bytes` with 413, before any handler sees them.

A pure ASGI middleware: a declared Content-Length over the limit is refused at once; a
body without one (chunked) is read up to the limit and refused as soon as it passes it.
An accepted body is handed on as read, so handlers never wait on a client twice.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zeroclaw.gateway.errors import GatewayError, error_body


class BodyTooLarge(GatewayError):
    status, type, code = 413, "invalid_request_error", "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"request body larger than {limit} bytes (gateway.max_body_bytes)",
            headers={"Connection": "close"},
        )


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, self.max_bytes)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: let the app see the disconnect.
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(send, self.max_bytes)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        # After the body, the app may wait for a disconnect (streaming responses do).
        return await receive()

    return replayed


async def _refuse(send: Send, limit: int) -> None:
    error = BodyTooLarge(limit)
    payload = json.dumps(error_body(error)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
