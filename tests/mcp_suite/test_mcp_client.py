"""MCP servers' tools in the agent: real SDK servers started by the tests (stdio, and
streamable HTTP on 127.0.0.1), one that crashes in the middle of a call, one that never
answers, and a program that is not an MCP server at all. Their tools take the same gate
as native tools: policy, approvals, hooks, output caps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from mcp_fixtures import NOT_MCP, Recorder, stdio_server, wait_until

from zeroclaw.agent import AgentRuntime, DenyApprover
from zeroclaw.config import Config
from zeroclaw.config.models import McpServerConfig
from zeroclaw.hooks import Event, ToolResultPersist
from zeroclaw.hooks.function import hook
from zeroclaw.messages import ToolCall, ToolResult
from zeroclaw.observability import McpConnection, ToolCallFinished

pytestmark = pytest.mark.slow


def _runtime(config: Config, recorder: Recorder | None = None) -> AgentRuntime:
    extra = [recorder] if recorder is not None else []
    return AgentRuntime.from_config(config, approver=DenyApprover(), extra_observers=extra)


async def _call(runtime: AgentRuntime, name: str, **arguments: object) -> ToolResult:
    call = ToolCall(id="c1", name=name, arguments=dict(arguments))
    return (await runtime.call_tool("s", call, origin="test")).result


async def test_stdio_server_tools_join_the_registry_as_a_third_owner(config: Config) -> None:
    config.mcp.servers = [stdio_server(env={"SERVER_SECRET": "s3cr3t-value"})]
    async with _runtime(config) as runtime:
        tools = runtime.live_tools()
        assert {"t__echo", "t__add", "t__lookup"} <= set(tools.names())
        assert "file_read" in tools  # the native tools are still there
        assert tools.owner_of("t__echo") == "mcp"
        assert tools.label_of("t__echo") == "mcp:t"
        # readOnlyHint is trusted by default; other tools count as changing things
        lookup, echo = tools.get("t__lookup"), tools.get("t__echo")
        assert lookup is not None
        assert not lookup.mutating
        assert echo is not None
        assert echo.mutating

        assert (await _call(runtime, "t__echo", text="hi")).output == "echo: hi"
        assert (await _call(runtime, "t__add", a=2, b=3)).output == "5"
        # the server got the configured env (and only it, beside PATH, HOME, ...)
        assert (await _call(runtime, "t__secret_echo")).output == "s3cr3t-value"
        failed = await _call(runtime, "t__fail")
        assert not failed.success
        assert "this tool always fails" in (failed.error or "")
        # the registry validates arguments against the server's own schema
        invalid = await _call(runtime, "t__add", a="two", b=3)
        assert "invalid arguments" in (invalid.error or "")


async def test_streamable_http_server(config: Config, http_server_url: str) -> None:
    config.mcp.servers = [
        McpServerConfig(name="web", transport="streamable-http", url=http_server_url)
    ]
    async with _runtime(config) as runtime:
        assert (await _call(runtime, "web__echo", text="over http")).output == "echo: over http"


async def test_mcp_tools_take_the_same_gate_as_native_ones(config: Config) -> None:
    config.mcp.servers = [stdio_server(exclude_tools=["crash", "hang"])]
    config.tools.autonomy = "supervised"
    config.tools.approval.auto_approve = ["t__echo"]
    recorder = Recorder()
    async with _runtime(config, recorder) as runtime:

        @hook(Event.TOOL_RESULT_PERSIST)
        def redact(payload: ToolResultPersist) -> ToolResultPersist | None:
            if not payload.result.success:
                return None
            text = payload.result.output.replace("hunter2", "[REDACTED]")
            return ToolResultPersist(
                payload.session_id, payload.tool, payload.call_id, ToolResult.ok(text)
            )

        runtime.hooks.register(redact)
        assert "t__crash" not in runtime.live_tools()  # filtered out
        # auto_approve: runs without asking; tool_result_persist cleans the MCP result
        cleaned = await _call(runtime, "t__echo", text="password hunter2")
        assert cleaned.output == "echo: password [REDACTED]"
        # supervised, nobody to ask (DenyApprover): refused at once, never reaches the server
        refused = await _call(runtime, "t__add", a=1, b=2)
        assert "nobody can approve it here" in (refused.error or "")
        # read-only tools need no approval
        assert (await _call(runtime, "t__lookup", word="x")).success

    finished = {e.tool: e for e in recorder.of(ToolCallFinished)}
    assert finished["t__echo"].owner == "mcp:t"
    assert finished["t__echo"].approval == "auto"
    assert finished["t__add"].approval == "unavailable"
    assert finished["t__add"].blocked_by == "approval"


async def test_policy_denies_an_mcp_tool_not_in_tools_allowed(config: Config) -> None:
    config.mcp.servers = [stdio_server()]
    config.tools.allowed = ["t__lookup"]
    async with _runtime(config) as runtime:
        denied = await _call(runtime, "t__echo", text="x")
        assert "denied by security policy" in (denied.error or "")
        assert (await _call(runtime, "t__lookup", word="x")).success


async def test_a_server_that_crashes_mid_call_is_reconnected(config: Config) -> None:
    config.mcp.servers = [stdio_server()]
    recorder = Recorder()
    async with _runtime(config, recorder) as runtime:
        crashed = await _call(runtime, "t__crash")
        assert not crashed.success
        assert "closed the connection during the call" in (crashed.error or "")
        assert runtime.mcp is not None
        connection = runtime.mcp.connection("t")
        wait_until(lambda: connection.state == "connected" and connection.attempts >= 2)
        assert (await _call(runtime, "t__echo", text="back")).output == "echo: back"

    states = [e.state for e in recorder.of(McpConnection)]
    assert states[:3] == ["connected", "lost", "connected"]
    assert states[-1] == "closed"


async def test_a_server_that_never_answers_times_out_and_restarts(config: Config) -> None:
    config.mcp.servers = [stdio_server(call_timeout_s=1)]
    async with _runtime(config) as runtime:
        hung = await _call(runtime, "t__hang")
        assert "did not answer 'hang' within 1 s" in (hung.error or "")
        assert runtime.mcp is not None
        connection = runtime.mcp.connection("t")
        wait_until(lambda: connection.state == "connected" and connection.attempts >= 2)
        assert (await _call(runtime, "t__echo", text="again")).success


async def test_garbage_on_stdout_does_not_break_the_connection(config: Config) -> None:
    config.mcp.servers = [stdio_server()]
    async with _runtime(config) as runtime:
        assert (await _call(runtime, "t__garbage")).output == "answered after garbage"
        assert (await _call(runtime, "t__echo", text="still")).output == "echo: still"


async def test_a_program_that_is_not_an_mcp_server_fails_clearly(config: Config) -> None:
    broken = McpServerConfig(
        name="junk", command=sys.executable, args=["-c", NOT_MCP], connect_timeout_s=1
    )
    config.mcp.servers = [broken, stdio_server()]
    recorder = Recorder()
    async with _runtime(config, recorder) as runtime:
        # the good server is served; the broken one is retried in the background
        assert "t__echo" in runtime.live_tools()
        assert runtime.mcp is not None
        junk = runtime.mcp.connection("junk")
        assert junk.state in ("backoff", "connecting")
        assert "no answer within connect_timeout_s = 1 s" in (junk.last_error or "")
        wait_until(lambda: junk.attempts >= 2)
    failed = [e for e in recorder.of(McpConnection) if e.server == "junk" and e.state == "failed"]
    assert failed
    assert "junk.log" in (failed[0].error or "")


async def test_a_server_that_cannot_start_leaves_the_runtime_working(config: Config) -> None:
    config.mcp.servers = [McpServerConfig(name="gone", command="/nonexistent/mcp-server")]
    async with _runtime(config) as runtime:
        assert (await _call(runtime, "file_list", path=".")).success
        assert runtime.mcp is not None
        gone = runtime.mcp.connection("gone")
        assert "cannot start the server" in (gone.last_error or "")
        assert gone.state in ("backoff", "connecting")


def _cli_config(config: Config, tmp_path: Path) -> Path:
    """Two servers: `t` (stdio, with a secret env value), `down` (nothing listens)."""
    path = tmp_path / "config.toml"
    path.write_text(
        f'data_dir = "{config.data_dir}"\n'
        "[[mcp.servers]]\n"
        'name = "t"\n'
        f'command = "{sys.executable}"\n'
        f'args = ["{stdio_server().args[0]}", "stdio"]\n'
        'env = { SERVER_SECRET = "hunter2-secret-value" }\n'
        'exclude_tools = ["crash"]\n'
        "[[mcp.servers]]\n"
        'name = "down"\n'
        'transport = "streamable-http"\n'
        'url = "http://127.0.0.1:9/mcp"\n'
        'headers = { Authorization = "Bearer tok-abcdefgh-1234" }\n'
        "connect_timeout_s = 2\n"
    )
    return path


def test_cli_lists_probes_and_shows_tools_with_secrets_masked(
    config: Config, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from zeroclaw.cli import app

    path = _cli_config(config, tmp_path)
    runner = CliRunner()
    listed = runner.invoke(app, ["-c", str(path), "mcp", "list"])
    assert listed.exit_code == 0
    assert "down" in listed.output
    assert "hunter2" not in listed.output

    probed = runner.invoke(app, ["-c", str(path), "mcp", "probe", "t"])
    assert probed.exit_code == 0, probed.output
    assert "t: connected" in probed.output

    down = runner.invoke(app, ["-c", str(path), "mcp", "probe", "down"])
    assert down.exit_code == 1
    assert "cannot reach http://127.0.0.1:9/mcp" in down.output
    assert "Traceback" not in down.output

    unknown = runner.invoke(app, ["-c", str(path), "mcp", "probe", "nope"])
    assert unknown.exit_code == 1
    assert "no MCP server named 'nope'; configured: t, down" in unknown.output

    tools = runner.invoke(app, ["-c", str(path), "mcp", "tools", "t"])
    assert tools.exit_code == 0
    assert "t__echo" in tools.output
    assert "excluded" in tools.output

    shown = runner.invoke(app, ["-c", str(path), "config", "show"])
    assert shown.exit_code == 0
    assert "hunter2-secret-value" not in shown.output
    assert "tok-abcdefgh-1234" not in shown.output


def test_cli_json_reports_parse_and_failures_are_json_on_stderr(
    config: Config, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from zeroclaw.cli import app

    path = _cli_config(config, tmp_path)
    runner = CliRunner()
    listed_json = json.loads(runner.invoke(app, ["-c", str(path), "mcp", "list", "--json"]).stdout)
    servers = {server["name"]: server for server in listed_json["servers"]}
    assert servers["t"]["transport"] == "stdio"
    assert servers["t"]["exclude_tools"] == ["crash"]
    assert servers["down"]["url"] == "http://127.0.0.1:9/mcp"
    assert "env" not in servers["t"]
    assert "headers" not in servers["down"]

    probed_json = runner.invoke(app, ["-c", str(path), "mcp", "probe", "t", "--json"])
    assert probed_json.exit_code == 0, probed_json.output
    probe = json.loads(probed_json.stdout)
    assert probe["connected"] is True
    assert probe["tools"] >= 2

    down_json = runner.invoke(app, ["-c", str(path), "mcp", "probe", "down", "--json"])
    assert down_json.exit_code == 1
    assert down_json.stdout == ""
    # Log lines (a warning about the failed connection) may come first: the error is last.
    error = json.loads(down_json.stderr.splitlines()[-1])["error"]
    assert "cannot reach http://127.0.0.1:9/mcp" in error["message"]
    assert error["hint"]

    tools_json = runner.invoke(app, ["-c", str(path), "mcp", "tools", "t", "--json"])
    assert tools_json.exit_code == 0, tools_json.output
    by_remote = {tool["server_name"]: tool for tool in json.loads(tools_json.stdout)["tools"]}
    assert by_remote["echo"]["name"] == "t__echo"
    assert by_remote["echo"]["offered"] is True
    assert by_remote["crash"]["offered"] is False
    assert "exclude" in by_remote["crash"]["why_not"]
