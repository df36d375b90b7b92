"""An MCP server whose tool list has no end (endless_server.py, the official SDK over
stdio): pages handed out forever, or one page of 20,000 tools. The client takes at most
mcp.max_tool_pages pages and mcp.max_tools_per_server tools from it, connects, serves
the tools it kept, and says in one line (log, `mcp probe`, `mcp tools`) that the list was
cut."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeroclaw.agent import AgentRuntime, DenyApprover
from zeroclaw.cli import app
from zeroclaw.config import Config
from zeroclaw.config.models import McpServerConfig

pytest.importorskip("mcp")

pytestmark = pytest.mark.slow

SERVER = Path(__file__).resolve().parent / "endless_server.py"
PAGE = 10  # endless_server.PAGE


def _config(tmp_path: Path, mode: str) -> tuple[Config, Path]:
    config = Config(data_dir=tmp_path / "data")
    config.workspace.mkdir(parents=True)
    count = tmp_path / "pages"
    config.mcp.servers = [
        McpServerConfig(
            name="e",
            command=sys.executable,
            args=[str(SERVER), mode],
            env={"ENDLESS_COUNT": str(count)},
        )
    ]
    return config, count


def _pages(count: Path) -> int:
    return len(count.read_text().splitlines())


async def test_pages_forever_are_read_up_to_max_tool_pages(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, count = _config(tmp_path, "pages")
    config.mcp.max_tool_pages = 7
    caplog.set_level(logging.WARNING, logger="zeroclaw.mcp")
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        assert runtime.mcp is not None
        connection = runtime.mcp.connection("e")
        assert connection.state == "connected"
        assert len(connection.tools) == 7 * PAGE
        assert _pages(count) == 7
        assert connection.tools_cut == (
            "its tool list was cut at mcp.max_tool_pages = 7 pages (it offered more): "
            "70 tool(s) kept, the rest left out"
        )
        assert "e__t69" in runtime.live_tools().names()
    assert f"MCP server 'e': {connection.tools_cut}" in caplog.text


async def test_a_wide_page_is_cut_at_max_tools_per_server(tmp_path: Path) -> None:
    config, _ = _config(tmp_path, "wide")
    config.mcp.max_tools_per_server = 50
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        assert runtime.mcp is not None
        connection = runtime.mcp.connection("e")
        assert [tool.name for tool in connection.tools] == [f"t{n}" for n in range(50)]
        assert connection.tools_cut is not None
        assert "mcp.max_tools_per_server = 50" in connection.tools_cut
        names = runtime.live_tools().names()
        assert "e__t49" in names
        assert "e__t50" not in names


def test_probe_and_tools_say_the_list_was_cut(tmp_path: Path) -> None:
    config, count = _config(tmp_path, "pages")
    path = tmp_path / "config.toml"
    server = config.mcp.servers[0]
    path.write_text(
        f"data_dir = {json.dumps(str(config.data_dir))}\n"
        "[mcp]\nmax_tools_per_server = 25\n"
        '[[mcp.servers]]\nname = "e"\n'
        f"command = {json.dumps(server.command)}\n"
        f"args = {json.dumps(server.args)}\n"
        f"env = {{ ENDLESS_COUNT = {json.dumps(str(count))} }}\n"
    )
    runner = CliRunner()
    line = (
        "warning: MCP server 'e': its tool list was cut at mcp.max_tools_per_server = 25 "
        "(it lists more): the rest are left out"
    )

    probed = runner.invoke(app, ["-c", str(path), "mcp", "probe", "e"])
    assert probed.exit_code == 0, probed.output
    assert "25 tool(s)" in probed.output
    assert line in probed.output.splitlines()
    assert _pages(count) == 3  # 10 + 10 + 5 of the third: no fourth page asked for

    shown = runner.invoke(app, ["-c", str(path), "mcp", "tools", "e"])
    assert shown.exit_code == 0, shown.output
    assert line in shown.output.splitlines()

    as_json = runner.invoke(app, ["-c", str(path), "mcp", "probe", "e", "--json"])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.stdout)
    assert body["tools"] == 25
    assert "mcp.max_tools_per_server = 25" in body["tools_cut"]
