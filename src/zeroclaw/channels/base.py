"""The Channel protocol: where messages come from and where replies go."""

from __future__ import annotations

from typing import Protocol


class Channel(Protocol):
    """A conversation surface (terminal, HTTP gateway, ...)."""

    name: str

    async def send(self, recipient: str, content: str) -> None: ...
