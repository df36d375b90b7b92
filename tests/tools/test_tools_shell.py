from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from zeroclaw.config.models import ShellConfig, ToolsConfig
from zeroclaw.tools import PolicyViolation, SecurityPolicy, ToolContext
from zeroclaw.tools.builtin import ShellTool


def _shell(workspace: Path, **settings: object) -> ShellTool:
    shell = ShellConfig.model_validate(
        {"allowed_commands": ["echo", "ls", "cat", "sleep", "sh", "false", "env"], **settings}
    )
    return ShellTool(SecurityPolicy(ToolsConfig(shell=shell), workspace), shell)


async def test_runs_in_the_workspace_and_reports_the_exit_code(
    workspace: Path, context: ToolContext
) -> None:
    (workspace / "hello.txt").write_text("hello from the workspace\n")

    result = await _shell(workspace).execute({"command": "cat hello.txt"}, context)

    assert result.success
    assert result.output == "hello from the workspace\n\n[exit code 0]"


async def test_a_non_zero_exit_fails_and_shows_output(
    workspace: Path, context: ToolContext
) -> None:
    result = await _shell(workspace).execute({"command": "ls does-not-exist"}, context)

    assert not result.success
    assert result.error is not None
    assert "does-not-exist" in result.error
    assert result.error.endswith("[exit code 2]")


async def test_arguments_are_not_interpreted_by_a_shell(
    workspace: Path, context: ToolContext
) -> None:
    result = await _shell(workspace).execute({"command": "echo '$HOME' '*' 'a;b'"}, context)

    assert result.output.splitlines()[0] == "$HOME * a;b"


async def test_a_slow_command_is_killed_at_the_timeout(
    workspace: Path, context: ToolContext
) -> None:
    started = time.monotonic()

    result = await _shell(workspace, timeout_s=0.3).execute({"command": "sleep 10"}, context)

    assert time.monotonic() - started < 3
    assert not result.success
    assert result.error is not None
    assert "timed out after 0.3s" in result.error


async def test_the_timeout_kills_the_whole_process_group(
    workspace: Path, context: ToolContext
) -> None:
    marker = workspace / "grandchild-ran"
    # The outer sh waits on a background subshell that would write the marker after the
    # timeout; killing only the outer sh would leave the subshell running.
    command = f"sh -c '(sleep 0.5; echo late > {marker}) & wait'"

    result = await _shell(workspace, timeout_s=0.2).execute({"command": command}, context)
    await asyncio.sleep(0.8)

    assert not result.success
    assert not marker.exists()


async def test_output_is_capped(workspace: Path, context: ToolContext) -> None:
    (workspace / "big.txt").write_text("x" * 5000)

    result = await _shell(workspace, max_output_bytes=1024).execute(
        {"command": "cat big.txt"}, context
    )

    assert result.success
    assert result.output.startswith("x" * 1024 + "\n[... truncated: showing 1024 of 5000 bytes]")


async def test_the_child_does_not_inherit_secrets(
    workspace: Path, context: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")

    result = await _shell(workspace).execute({"command": "env"}, context)

    assert result.success
    assert "sk-very-secret" not in result.output
    assert f"HOME={workspace}" in result.output


async def test_refused_commands_never_run(workspace: Path, context: ToolContext) -> None:
    tool = _shell(workspace)

    with pytest.raises(PolicyViolation):
        await tool.execute({"command": "echo hi > owned.txt"}, context)
    with pytest.raises(PolicyViolation):
        await tool.execute({"command": "rm -rf ."}, context)
    assert not (workspace / "owned.txt").exists()
