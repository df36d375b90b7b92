"""Fixtures of the MCP tests: real MCP servers built with the official SDK (tests/mcp_suite/
sdk_server.py), started by the tests over stdio or streamable HTTP on 127.0.0.1, and a
config whose [[mcp.servers]] point at them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_fixtures import SDK_SERVER, free_port, wait_for_port

from zeroclaw.config import Config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.workspace.mkdir(parents=True)
    config.mcp.reconnect_initial_backoff_ms = 50
    config.mcp.reconnect_max_backoff_ms = 200
    return config


@pytest.fixture
def http_server_url() -> Iterator[str]:
    """The SDK server over streamable HTTP on 127.0.0.1, in a process of its own."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SDK_SERVER), "streamable-http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.kill()
        process.wait()
