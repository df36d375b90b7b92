"""A response's head and body leave in one socket write.

uvicorn writes a response's status line and headers as soon as the app sends
`http.response.start`, and its body with the next message: two `send` system calls for
every response, each a trip through the kernel's TCP stack (on loopback, the receiving
side's too) while the serving loop holds the GIL. Issue #22's profile found the head's
write alone at ~5% of the serving loop.

`OneWriteProtocol` is uvicorn's own HTTP protocol (httptools', which `uvicorn[standard]`
brings and "auto" picks), handed a transport that keeps what is written during one step
of the event loop and writes it, joined, at the end of that step. A whole response is
sent within one step (the app's `send` calls do not wait unless the socket's buffer is
full), so its head and body become one write; a streamed response's chunks still leave
as they are produced, one step later at most. Nothing else of the connection changes:
every other call goes to the real transport, and closing writes what is held first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class OneWriteProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_StepWrites(transport, self.loop))  # type: ignore[arg-type]


class _StepWrites:
    """The transport's writes of one event-loop step, made as one at its end."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self._flush)
        self._held.append(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def _flush(self) -> None:
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
