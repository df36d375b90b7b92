"""A process killed with SIGKILL in the middle of writing loses nothing it committed, on
either backend."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from zeroclaw.memory import DatabaseLocation, MemoryStore

_WRITER = """
import asyncio
import sys
from zeroclaw.memory import MemoryStore, location_of
from zeroclaw.messages import ChatMessage, ToolCall

async def main() -> None:
    store = MemoryStore.open(location_of(sys.argv[1]))
    await store.ensure_session("crash")
    index = 0
    while True:
        call = ToolCall(f"c{index}", "shell", {"command": f"echo {index}"})
        await store.append_message("crash", ChatMessage("assistant", "", tool_calls=(call,)))
        row_id = await store.append_message("crash", ChatMessage("user", f"message {index}"))
        await store.remember(f"k{index}", f"value {index}")
        # The marker is printed only after the writes above have committed.
        print(row_id, index, flush=True)
        index += 1

asyncio.run(main())
"""


def _address(location: DatabaseLocation) -> str:
    if location.path is not None:
        return str(location.path)
    return location.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _kill_mid_writing(address: str) -> list[tuple[int, int]]:
    """Run the writer until it reports 40 committed rounds, then SIGKILL it; the rounds."""
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, address],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    committed: list[tuple[int, int]] = []
    try:
        while len(committed) < 40:
            line = writer.stdout.readline()
            assert line, "the writer died before committing anything"
            row_text, index_text = line.split()
            committed.append((int(row_text), int(index_text)))
    finally:
        # Killed while it keeps writing: no chance to close or checkpoint.
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    return committed


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
async def test_sigkill_mid_writing_loses_nothing_committed(location: DatabaseLocation) -> None:
    committed = await asyncio.to_thread(_kill_mid_writing, _address(location))

    async with MemoryStore.open(location) as store:
        stored = {s.id: s.message for s in await store.session_messages("crash")}
        for row_id, index in committed:
            assert stored[row_id].content == f"message {index}"
            memory = await store.get_memory(f"k{index}", "default")
            assert memory is not None
            assert memory.value == f"value {index}"
        # The reopened database is fully usable.
        await store.append_message("crash", stored[committed[0][0]])
