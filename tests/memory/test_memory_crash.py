"""A process killed with SIGKILL in the middle of writing loses nothing it committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from zeroclaw.memory import MemoryStore

_WRITER = """
import sys
from pathlib import Path
from zeroclaw.memory import MemoryStore
from zeroclaw.messages import ChatMessage, ToolCall

store = MemoryStore.open(Path(sys.argv[1]))
store.ensure_session("crash")
index = 0
while True:
    call = ToolCall(f"c{index}", "shell", {"command": f"echo {index}"})
    store.append_message("crash", ChatMessage("assistant", "", tool_calls=(call,)))
    row_id = store.append_message("crash", ChatMessage("user", f"message {index}"))
    store.remember(f"k{index}", f"value {index}")
    # The marker is printed only after the writes above have committed.
    print(row_id, index, flush=True)
    index += 1
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_mid_writing_loses_nothing_committed(db_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(db_path)],
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

    with MemoryStore.open(db_path) as store:
        stored = {s.id: s.message for s in store.session_messages("crash")}
        for row_id, index in committed:
            assert stored[row_id].content == f"message {index}"
            memory = store.get_memory(f"k{index}", "default")
            assert memory is not None
            assert memory.value == f"value {index}"
        # The reopened file is fully usable.
        store.append_message("crash", stored[committed[0][0]])
