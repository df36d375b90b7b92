"""`zeroclaw mcp serve`, driven by the official SDK's client over both transports: it
lists and calls a WASM plugin tool (a real component), refuses what the policy refuses,
tells a listening client when a plugin reload changes the tools, and over HTTP requires
the gateway token once one is configured. The audit log has every call, with its owner
and approval, and every refused token."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp_fixtures import free_port, wait_for_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "plugins"))

from tools.plugin_dirs import COMPILE_CACHE, build_fixtures, write_plugin  # noqa: E402

SERVE = "from zeroclaw.cli import app; app()"
TOKEN = "zc_test-token-for-mcp-serve"


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_fixtures(tmp_path_factory.mktemp("mcp-serve-components"))


@pytest.fixture
def plugins_dir(tmp_path: Path, components: dict[str, Path]) -> Path:
    directory = tmp_path / "plugins"
    write_plugin(directory / "echoer", components["tool_echo"], package="zeroclaw:tools@1.0.0")
    return directory


def _config(tmp_path: Path, plugins_dir: Path, extra: str = "") -> Path:
    data = tmp_path / "data"
    data.mkdir()
    COMPILE_CACHE.mkdir(parents=True, exist_ok=True)
    (data / "plugin-cache").symlink_to(COMPILE_CACHE, target_is_directory=True)
    path = tmp_path / "config.toml"
    path.write_text(
        f'data_dir = "{data}"\n'
        "[tools]\n"
        'autonomy = "full"\n'
        'allowed = ["echo", "fails", "file_read", "file_write"]\n'
        "[tools.approval]\n"
        'always_ask = ["file_write"]\n'
        "[plugins]\n"
        "enabled = true\n"
        f'dirs = ["{plugins_dir}"]\n'
        "hot_reload = true\n"
        "reload_debounce_ms = 50\n" + extra
    )
    return path


def _audit(tmp_path: Path, kind: str) -> list[dict[str, Any]]:
    text = (tmp_path / "data" / "audit" / "audit.jsonl").read_text()
    return [line for line in map(json.loads, text.splitlines()) if line["event"] == kind]


def _audited_calls(tmp_path: Path) -> dict[str, tuple[str | None, str, str]]:
    """Tool -> (owner, approval, outcome), from the audit log."""
    calls = _audit(tmp_path, "tool_call_finished")
    return {c["tool"]: (c["owner"], c["approval"], c["outcome"]) for c in calls}


_EXERCISED = {
    "echo": ("plugin:echoer", "not_needed", "success"),
    "shell": ("native", "not_needed", "blocked"),
    "file_write": ("native", "unavailable", "blocked"),
}


def _env() -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT / "src"), **{k: os.environ[k] for k in ("HOME",)}}


async def _exercise(client: Client) -> None:
    """List and call the WASM tool; a tool refused by the policy, and one needing an
    approval nobody can give, come back as errors saying why."""
    names = {tool.name for tool in (await client.list_tools()).tools}
    assert {"echo", "file_read", "file_write"} <= names
    assert "shell" not in names  # not in tools.allowed: not offered
    echo = next(t for t in (await client.list_tools()).tools if t.name == "echo")
    assert echo.description == "Returns its arguments"

    result = await client.call_tool("echo", {"word": "hello"})
    assert not result.is_error
    assert '"word"' in result.content[0].text  # type: ignore[union-attr]
    assert "hello" in result.content[0].text  # type: ignore[union-attr]

    denied = await client.call_tool("shell", {"command": "ls"})
    assert denied.is_error
    assert "not in tools.allowed" in denied.content[0].text  # type: ignore[union-attr]

    unapproved = await client.call_tool("file_write", {"path": "a.txt", "content": "x"})
    assert unapproved.is_error
    assert "nobody can approve it here" in unapproved.content[0].text  # type: ignore[union-attr]


async def test_stdio_lists_and_calls_a_wasm_tool_and_refuses_denied_ones(
    tmp_path: Path, plugins_dir: Path
) -> None:
    config = _config(tmp_path, plugins_dir)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", SERVE, "-c", str(config), "mcp", "serve"],
        env=_env(),
    )
    async with Client(params, read_timeout_seconds=60) as client:
        await _exercise(client)
    assert not (tmp_path / "data" / "workspace" / "a.txt").exists()
    assert _audited_calls(tmp_path) == _EXERCISED


async def test_a_plugin_reload_tells_listening_clients(
    tmp_path: Path, plugins_dir: Path, components: dict[str, Path]
) -> None:
    config = _config(tmp_path, plugins_dir)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", SERVE, "-c", str(config), "mcp", "serve"],
        env=_env(),
    )
    async with Client(params, read_timeout_seconds=60) as client:
        before = {tool.name for tool in (await client.list_tools()).tools}
        assert "fails" not in before
        async with client.listen(tools_list_changed=True) as subscription:
            staged = tmp_path / "staged"
            write_plugin(
                staged / "failer", components["tool_failing"], package="zeroclaw:tools@1.0.0"
            )
            shutil.move(staged / "failer", plugins_dir / "failer")
            async for _event in subscription:
                break
        after = {tool.name for tool in (await client.list_tools(cache_mode="refresh")).tools}
        assert after == before | {"fails"}


@pytest.fixture
def http_serve(tmp_path: Path, plugins_dir: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    config = _config(tmp_path, plugins_dir, f"[mcp.serve]\nport = {port}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "ZEROCLAW_GATEWAY_TOKEN": TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "-c", str(config), "mcp", "serve", "-t", "streamable-http"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/mcp", tmp_path
    finally:
        process.terminate()
        process.wait(10)


async def test_streamable_http_requires_the_gateway_token(
    http_serve: tuple[str, Path],
) -> None:
    import httpx2

    url, tmp_path = http_serve
    async with httpx.AsyncClient() as plain:
        refused = await plain.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert refused.status_code == 401
    (failure,) = _audit(tmp_path, "auth_failure")
    assert (failure["surface"], failure["path"], failure["reason"]) == (
        "mcp",
        "/mcp",
        "no bearer token",
    )

    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        await _exercise(client)
    assert _audited_calls(tmp_path) == _EXERCISED


def test_a_non_loopback_bind_without_a_token_is_refused(tmp_path: Path, plugins_dir: Path) -> None:
    config = _config(tmp_path, plugins_dir, '[mcp.serve]\nhost = "0.0.0.0"\n')
    env = {k: v for k, v in os.environ.items() if k != "ZEROCLAW_GATEWAY_TOKEN"}
    env["PYTHONPATH"] = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, "-c", SERVE, "-c", str(config), "mcp", "serve", "-t", "streamable-http"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "would listen on 0.0.0.0 without a token" in done.stderr
    assert "Traceback" not in done.stderr
