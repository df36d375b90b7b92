"""Helpers of the MCP tests: the SDK test server's entries, ports, polling, a recording
observer."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zeroclaw.config.models import McpServerConfig
from zeroclaw.observability import ObserverEvent

SDK_SERVER = Path(__file__).resolve().parent / "sdk_server.py"
# A program that is not an MCP server: it prints a line of garbage and never answers.
NOT_MCP = (
    "import sys, time; print('hello, this is not JSON-RPC'); sys.stdout.flush(); time.sleep(600)"
)


def stdio_server(name: str = "t", **options: Any) -> McpServerConfig:
    return McpServerConfig(
        name=name, command=sys.executable, args=[str(SDK_SERVER), "stdio"], **options
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def wait_until(condition: Callable[[], bool], limit_s: float = 60) -> None:
    """Poll `condition` (no timing is asserted: the limit only stops a broken test)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never came true")
        time.sleep(0.05)


class Recorder:
    """An observer that keeps every event."""

    def __init__(self) -> None:
        self.events: list[ObserverEvent] = []

    def record(self, event: ObserverEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]
