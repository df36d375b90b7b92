"""`file_read`, `file_write`, `file_list`: text files inside the workspace.

Every path goes through `SecurityPolicy.resolve_path`, so `..`, absolute paths and
symlinks cannot reach outside the workspace. Sizes are bounded by tools.max_file_bytes
and listings by a fixed number of entries, so no call can flood the model's context.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.tools.base import ToolContext
from zeroclaw.tools.policy import SecurityPolicy

MAX_LIST_ENTRIES = 500
# A NUL byte in the first block is the usual sign of a binary file.
_BINARY_SNIFF_BYTES = 8192

_PATH = {
    "type": "string",
    "minLength": 1,
    "maxLength": 4096,
    "description": "Path relative to the workspace (absolute paths must be inside it).",
}


class FileReadTool:
    spec = ToolSpec(
        name="file_read",
        description=(
            "Read a text file from the workspace. Optionally start at line `offset` "
            "(1-based) and return at most `limit` lines; long files are cut at the size "
            "limit with a note saying how to read on."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": _PATH,
                "offset": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "First line to return, counting from 1 (default 1).",
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 100000,
                    "description": "Most lines to return (default: to the end or size limit).",
                },
            },
            "required": ["path"],
            "additionalProperties": False,
        },
    )
    mutating = False

    def __init__(self, policy: SecurityPolicy, max_bytes: int) -> None:
        self._policy = policy
        self._max_bytes = max_bytes

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        raw = arguments["path"]
        target = self._policy.resolve_path(raw)
        if not target.exists():
            return ToolResult.fail(f"no file {raw!r} in the workspace")
        if not target.is_file():
            return ToolResult.fail(f"{raw!r} is not a file; use file_list for directories")
        with target.open("rb") as head:
            if b"\x00" in head.read(_BINARY_SNIFF_BYTES):
                return ToolResult.fail(f"{raw!r} looks binary; file_read reads text files")
        offset = int(arguments.get("offset", 1))
        limit = arguments.get("limit")
        return ToolResult.ok(self._read_lines(target, offset, limit))

    def _read_lines(self, target: Path, offset: int, limit: int | None) -> str:
        lines: list[str] = []
        size = 0
        line_number = 0
        with target.open(encoding="utf-8", errors="replace", newline="") as file:
            for line_number, line in enumerate(file, start=1):
                if line_number < offset:
                    continue
                if limit is not None and len(lines) >= limit:
                    more = f"\n[... more lines follow; read on with offset={line_number}]"
                    return "".join(lines) + more
                size += len(line.encode("utf-8"))
                if size > self._max_bytes:
                    return "".join(lines) + (
                        f"\n[... cut at {self._max_bytes} bytes (tools.max_file_bytes); "
                        f"read on with offset={line_number}]"
                    )
                lines.append(line)
        if not lines and offset > max(line_number, 1):
            return f"[the file has {line_number} lines; offset {offset} is past its end]"
        return "".join(lines)


class FileWriteTool:
    spec = ToolSpec(
        name="file_write",
        description=(
            "Write a text file in the workspace, creating missing parent directories. "
            "Replaces the file unless `append` is true."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": _PATH,
                "content": {"type": "string", "description": "The text to write."},
                "append": {
                    "type": "boolean",
                    "description": "Add to the end of the file instead of replacing it.",
                    "default": False,
                },
            },
            "required": ["path", "content"],
            "additionalProperties": False,
        },
    )
    mutating = True

    def __init__(self, policy: SecurityPolicy, max_bytes: int) -> None:
        self._policy = policy
        self._max_bytes = max_bytes

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        raw = arguments["path"]
        append = bool(arguments.get("append", False))
        data = arguments["content"].encode("utf-8")
        target = self._policy.resolve_path(raw)
        if target.is_dir():
            return ToolResult.fail(f"{raw!r} is a directory")
        existing = target.stat().st_size if append and target.exists() else 0
        if existing + len(data) > self._max_bytes:
            return ToolResult.fail(
                f"writing {existing + len(data)} bytes to {raw!r} exceeds "
                f"tools.max_file_bytes ({self._max_bytes})"
            )
        # The parents lie inside the workspace: resolve_path checked the whole chain.
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("ab" if append else "wb") as file:
            file.write(data)
        verb = "appended" if append else "wrote"
        return ToolResult.ok(f"{verb} {len(data)} bytes to {_shown(self._policy, target)}")


class FileListTool:
    spec = ToolSpec(
        name="file_list",
        description=(
            "List a directory of the workspace: subdirectories end with '/', symlinks "
            f"with '@', files show their size. At most {MAX_LIST_ENTRIES} entries; "
            "symlinked directories are not descended into."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": {**_PATH, "description": "Directory to list (default: the workspace)."},
                "recursive": {
                    "type": "boolean",
                    "description": "Include everything below, not just direct entries.",
                    "default": False,
                },
            },
            "additionalProperties": False,
        },
    )
    mutating = False

    def __init__(self, policy: SecurityPolicy) -> None:
        self._policy = policy

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        raw = arguments.get("path", ".")
        top = self._policy.resolve_path(raw)
        if not top.is_dir():
            return ToolResult.fail(f"{raw!r} is not a directory in the workspace")
        found = _walk(top) if arguments.get("recursive", False) else _entries(top)
        lines: list[str] = []
        for path in found:
            if len(lines) == MAX_LIST_ENTRIES:
                lines.append(f"[... stopped after {MAX_LIST_ENTRIES} entries]")
                break
            lines.append(_describe(self._policy, path))
        return ToolResult.ok("\n".join(lines) if lines else "(empty directory)")


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


def _walk(top: Path) -> Iterator[Path]:
    # os.walk is lazy, so a huge tree costs only the entries we show.
    for root, dirs, files in os.walk(top, followlinks=False):
        dirs.sort()
        base = Path(root)
        for name in sorted([*dirs, *files]):
            yield base / name


def _describe(policy: SecurityPolicy, path: Path) -> str:
    shown = _shown(policy, path)
    if path.is_symlink():
        return f"{shown}@"
    if path.is_dir():
        return f"{shown}/"
    try:
        return f"{shown}  ({path.stat().st_size} bytes)"
    except OSError:
        return shown


def _shown(policy: SecurityPolicy, path: Path) -> str:
    """`path` as the model should write it in its next call: relative to the workspace."""
    try:
        return str(path.relative_to(policy.workspace)) or "."
    except ValueError:
        return str(path)
