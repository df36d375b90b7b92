"""`shell`: run one allowed program in the workspace, without a shell.

The command line is split into argv and checked by the policy (allowed program, no shell
operators), then executed directly. The program runs in its own process group so a
timeout kills everything it started, and its output is capped while it is read, so a
chatty program cannot fill memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any

from zeroclaw.config.models import ShellConfig
from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.tools.base import ToolContext
from zeroclaw.tools.policy import SecurityPolicy
from zeroclaw.tools.truncation import truncation_marker

_CHUNK = 65536
# After a kill, how long to wait for the pipe to close before giving up on the rest.
_DRAIN_AFTER_KILL_S = 1.0


class ShellTool:
    spec = ToolSpec(
        name="shell",
        description=(
            "Run one program in the workspace directory and return its combined stdout and "
            "stderr and its exit code. Only allowed programs run; there is no shell, so "
            "pipes, redirections, ';', '&&', globbing and $(...) are not available. "
            "Quote arguments with spaces."
        ),
        parameters={
            "type": "object",
            "properties": {
                "command": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 4096,
                    "description": 'The command line, e.g. "grep -n TODO notes.txt".',
                }
            },
            "required": ["command"],
            "additionalProperties": False,
        },
    )
    mutating = True

    def __init__(self, policy: SecurityPolicy, config: ShellConfig) -> None:
        self._policy = policy
        self._config = config

    def command_line(self, arguments: dict[str, Any]) -> str | None:
        command = arguments.get("command")
        return command if isinstance(command, str) else None

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        argv = self._policy.check_command(arguments["command"])
        workspace = self._policy.workspace
        workspace.mkdir(parents=True, exist_ok=True)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=workspace,
                env=_child_environment(workspace),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return ToolResult.fail(f"cannot run {argv[0]!r}: {exc.strerror or exc}")
        assert process.stdout is not None
        output = _CappedOutput(self._config.max_output_bytes)
        reader = asyncio.create_task(output.drain(process.stdout))
        timeout = self._config.timeout_s
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(reader)
                code = await process.wait()
        except TimeoutError:
            _kill_group(process.pid)
            await process.wait()
            await _finish(reader)
            return ToolResult(
                success=False,
                output=output.text(),
                error=f"command timed out after {timeout:g}s and was killed "
                f"(tools.shell.timeout_s)\n{output.text()}",
            )
        finally:
            if process.returncode is None:  # cancelled: leave nothing running
                _kill_group(process.pid)
                await process.wait()
            await _finish(reader)
        text = output.text()
        report = f"{text}\n[exit code {code}]" if text else f"[exit code {code}]"
        if code == 0:
            return ToolResult.ok(report)
        # The error carries the output too: a failed result shows the model only the error.
        return ToolResult(success=False, output=text, error=report)


class _CappedOutput:
    """Keeps the first `limit` bytes and counts the rest, reading until the pipe closes
    (a program blocked on a full pipe would never exit)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._kept = bytearray()
        self._total = 0

    async def drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(_CHUNK):
            self._total += len(chunk)
            room = self._limit - len(self._kept)
            if room > 0:
                self._kept += chunk[:room]

    def text(self) -> str:
        text = self._kept.decode("utf-8", "replace")
        if self._total > len(self._kept):
            text += truncation_marker(len(self._kept), self._total)
        return text


def _child_environment(workspace: os.PathLike[str]) -> dict[str, str]:
    # Not our environment: it holds API keys, and `env` or `cat /proc/self/environ`
    # would hand them to the model.
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.fspath(workspace),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _finish(reader: asyncio.Task[None]) -> None:
    """Let the reader collect what is left; a grandchild that left the process group may
    hold the pipe open, so stop waiting after a moment."""
    if reader.done():
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(reader, _DRAIN_AFTER_KILL_S)
