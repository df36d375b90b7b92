from __future__ import annotations

from pathlib import Path

import pytest

from zeroclaw.config.models import ToolsConfig
from zeroclaw.tools import PolicyViolation, SecurityPolicy, ToolContext
from zeroclaw.tools.builtin import FileListTool, FileReadTool, FileWriteTool


def _tools(policy: SecurityPolicy, max_bytes: int = 4096) -> tuple[FileReadTool, FileWriteTool]:
    return FileReadTool(policy, max_bytes), FileWriteTool(policy, max_bytes)


async def test_write_then_read_round_trips(
    policy: SecurityPolicy, workspace: Path, context: ToolContext
) -> None:
    read, write = _tools(policy)
    text = "first line\nsecond ✓\r\nno newline at end"

    written = await write.execute({"path": "deep/dir/notes.txt", "content": text}, context)
    result = await read.execute({"path": "deep/dir/notes.txt"}, context)

    assert written.output == f"wrote {len(text.encode())} bytes to deep/dir/notes.txt"
    assert (workspace / "deep" / "dir" / "notes.txt").read_bytes() == text.encode()
    assert result.output == text


async def test_append_adds_to_the_end(policy: SecurityPolicy, context: ToolContext) -> None:
    read, write = _tools(policy)

    await write.execute({"path": "log.txt", "content": "a\n"}, context)
    await write.execute({"path": "log.txt", "content": "b\n", "append": True}, context)
    await write.execute({"path": "other.txt", "content": "x", "append": True}, context)
    replaced = await write.execute({"path": "other.txt", "content": "y"}, context)

    assert (await read.execute({"path": "log.txt"}, context)).output == "a\nb\n"
    assert (await read.execute({"path": "other.txt"}, context)).output == "y"
    assert replaced.success


async def test_offset_and_limit_select_lines(
    policy: SecurityPolicy, workspace: Path, context: ToolContext
) -> None:
    (workspace / "n.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    read, _ = _tools(policy)

    middle = await read.execute({"path": "n.txt", "offset": 3, "limit": 2}, context)
    tail = await read.execute({"path": "n.txt", "offset": 9}, context)
    past = await read.execute({"path": "n.txt", "offset": 50}, context)

    assert middle.output == "line 3\nline 4\n\n[... more lines follow; read on with offset=5]"
    assert tail.output == "line 9\nline 10\n"
    assert "has 10 lines" in past.output


async def test_reading_stops_at_the_size_limit(
    policy: SecurityPolicy, workspace: Path, context: ToolContext
) -> None:
    (workspace / "big.txt").write_text("".join(f"{i:099d}\n" for i in range(100)))  # 10000 B
    read, _ = _tools(policy, max_bytes=1024)

    result = await read.execute({"path": "big.txt"}, context)

    body, note = result.output.split("\n[... cut at 1024 bytes", 1)
    assert len(body.encode()) == 1000
    assert "offset=11" in note


async def test_writing_more_than_the_limit_is_refused(
    policy: SecurityPolicy, workspace: Path, context: ToolContext
) -> None:
    _, write = _tools(policy, max_bytes=1024)
    await write.execute({"path": "a.txt", "content": "x" * 1000}, context)

    too_big = await write.execute({"path": "b.txt", "content": "x" * 2000}, context)
    grows_too_big = await write.execute(
        {"path": "a.txt", "content": "x" * 100, "append": True}, context
    )

    assert not too_big.success
    assert "max_file_bytes" in (too_big.error or "")
    assert not (workspace / "b.txt").exists()
    assert not grows_too_big.success
    assert (workspace / "a.txt").stat().st_size == 1000


async def test_read_errors_are_clear(
    policy: SecurityPolicy, workspace: Path, context: ToolContext
) -> None:
    (workspace / "dir").mkdir()
    (workspace / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    read, write = _tools(policy)

    missing = await read.execute({"path": "nope.txt"}, context)
    directory = await read.execute({"path": "dir"}, context)
    binary = await read.execute({"path": "blob.bin"}, context)
    onto_dir = await write.execute({"path": "dir", "content": "x"}, context)

    assert missing.error == "no file 'nope.txt' in the workspace"
    assert "file_list" in (directory.error or "")
    assert "binary" in (binary.error or "")
    assert "is a directory" in (onto_dir.error or "")


async def test_file_tools_cannot_leave_the_workspace(
    policy: SecurityPolicy, workspace: Path, tmp_path: Path, context: ToolContext
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (workspace / "escape").symlink_to(outside, target_is_directory=True)
    read, write = _tools(policy)
    listing = FileListTool(policy)

    with pytest.raises(PolicyViolation):
        await read.execute({"path": "../outside/secret.txt"}, context)
    with pytest.raises(PolicyViolation):
        await read.execute({"path": "escape/secret.txt"}, context)
    with pytest.raises(PolicyViolation):
        await write.execute({"path": "escape/new/planted.txt", "content": "x"}, context)
    with pytest.raises(PolicyViolation):
        await listing.execute({"path": "escape"}, context)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


async def test_list_shows_entries_relative_to_the_workspace(
    policy: SecurityPolicy, workspace: Path, context: ToolContext
) -> None:
    (workspace / "src" / "pkg").mkdir(parents=True)
    (workspace / "src" / "pkg" / "mod.py").write_text("x = 1\n")
    (workspace / "README").write_text("hi")
    (workspace / "link").symlink_to(workspace / "src", target_is_directory=True)
    listing = FileListTool(policy)

    flat = await listing.execute({}, context)
    deep = await listing.execute({"path": "src", "recursive": True}, context)

    assert flat.output.splitlines() == ["README  (2 bytes)", "link@", "src/"]
    assert deep.output.splitlines() == ["src/pkg/", "src/pkg/mod.py  (6 bytes)"]


async def test_list_is_bounded(
    policy: SecurityPolicy, workspace: Path, context: ToolContext
) -> None:
    from zeroclaw.tools.builtin.files import MAX_LIST_ENTRIES

    for index in range(MAX_LIST_ENTRIES + 20):
        (workspace / f"f{index:04d}").touch()

    result = await FileListTool(policy).execute({"recursive": True}, context)

    lines = result.output.splitlines()
    assert len(lines) == MAX_LIST_ENTRIES + 1
    assert lines[-1].startswith("[... stopped after")


async def test_list_of_an_empty_directory(policy: SecurityPolicy, context: ToolContext) -> None:
    result = await FileListTool(policy).execute({"path": "."}, context)

    assert result.output == "(empty directory)"


def test_read_and_list_change_nothing_but_write_does(policy: SecurityPolicy) -> None:
    read, write = _tools(policy)

    assert (read.mutating, write.mutating, FileListTool(policy).mutating) == (False, True, False)
    assert (
        SecurityPolicy(ToolsConfig(autonomy="read_only"), policy.workspace)
        .check_call(write.spec.name, write.mutating, 0)
        .action
        == "deny"
    )
