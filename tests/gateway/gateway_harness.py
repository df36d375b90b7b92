"""What the gateway tests share: a real gateway (a uvicorn server on 127.0.0.1, a free
port, in a thread, on a real SQLite file, with the offline provider), clients (the
`openai` SDK and httpx) and a tool that shows which calls overlap."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai

from zeroclaw.config import Config
from zeroclaw.gateway.auth import hash_token
from zeroclaw.gateway.lifecycle.server import GatewayServer, open_gateway
from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.tools.base import ToolContext

TOKEN = "zc_test-token-for-the-gateway"
START_TIMEOUT_S = 10.0


@dataclass
class Gateway:
    server: GatewayServer
    base_url: str

    @property
    def state(self) -> Any:
        return self.server.state

    def client(self, token: str | None = TOKEN, **headers: str) -> httpx.Client:
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers={**auth, **headers}, timeout=30)

    def openai(self, token: str = TOKEN) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.base_url}/v1", api_key=token, max_retries=0)


def make_config(tmp_path: Path) -> Config:
    """Full autonomy (no one to approve), a token, no log noise."""
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.gateway.tokens = [hash_token(TOKEN)]
    config.observability.backend = "noop"
    config.workspace.mkdir(parents=True)
    return config


@contextmanager
def running_gateway(
    config: Config, prepare: Callable[[Any], None] | None = None
) -> Iterator[Gateway]:
    """`prepare`, if given, is called with the app before the server starts (to add a
    middleware or a route the way a user's code would)."""
    server = open_gateway(config, host="127.0.0.1", port=0, log_level=None)
    if prepare is not None:
        prepare(server.config.app)
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gateway did not start")
        time.sleep(0.01)
    try:
        yield Gateway(server, f"http://127.0.0.1:{server.port}")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the gateway did not stop"


@dataclass
class RendezvousTool:
    """A tool whose calls meet: a call announces `name` and may wait for another call to
    announce `wait_for`. Two calls that each wait for the other both succeed only if
    they run at the same time. `log` records ("start"|"end", name) in order."""

    spec: ToolSpec = field(
        default_factory=lambda: ToolSpec(
            name="rendezvous",
            description="Meet another call.",
            parameters={
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "wait_for": {"type": "string"},
                    "timeout_s": {"type": "number"},
                },
                "required": ["name"],
            },
        )
    )
    mutating: bool = False
    log: list[tuple[str, str]] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        name = arguments["name"]
        self.log.append(("start", name))
        self._seen.add(name)
        try:
            wait_for = arguments.get("wait_for")
            if wait_for is None:
                return ToolResult.ok(f"{name} done")
            deadline = time.monotonic() + float(arguments.get("timeout_s", 10))
            while wait_for not in self._seen:
                if time.monotonic() > deadline:
                    return ToolResult.fail(f"{name} never met {wait_for}")
                await asyncio.sleep(0.01)
            return ToolResult.ok(f"{name} met {wait_for}")
        finally:
            self.log.append(("end", name))


def tool_command(tool: str, **arguments: Any) -> str:
    """What makes the offline provider call `tool` with `arguments`."""
    return f"/tool {tool} {json.dumps(arguments)}"


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
