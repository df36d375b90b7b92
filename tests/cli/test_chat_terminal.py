"""The terminal chat as a person meets it: `zeroclaw agent` on a real pseudo-terminal
(pexpect), so prompt-toolkit's editor, the history file, completion and Ctrl-C / Ctrl-D
are the real ones. The messages land in a real SQLite file, read back here."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest
from prompt_toolkit.history import InMemoryHistory
from rich.console import Console

from storage_faults import MakeReadOnly
from zeroclaw.agent import CANCELLED_TURN
from zeroclaw.channels.chat_prompt import HISTORY_FILE, chat_history

UP = "\x1b[A"
ESC_ENTER = "\x1b\r"
TAB = "\t"
TURN_DONE = "tokens in/out"  # the last line of every turn's report
SLOW = "sleep 37"  # a command no other test runs, so it can be found among the processes


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        'data_dir = "data"\n[tools]\nautonomy = "full"\n'
        '[tools.shell]\nallowed_commands = ["sleep"]\n'
    )
    (tmp_path / "data" / "workspace").mkdir(parents=True)
    return path


class Chat:
    """One `zeroclaw agent` process on a pseudo-terminal."""

    def __init__(self, config_file: Path) -> None:
        env = {
            **os.environ,
            "TERM": "xterm",
            # pexpect answers no cursor-position request; without this, a warning and a wait.
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "zeroclaw", "--config", str(config_file), "agent"],
            env=env,
            encoding="utf-8",
            timeout=60,
            dimensions=(40, 120),
        )
        self.child.expect("you>")

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def turn(self, keys: str) -> str:
        """Type `keys` (ending in Enter) and return what the turn printed, once the next
        prompt is up (the editor's redraw of the sent line also says "you>")."""
        self.child.send(keys)
        self.child.expect(TURN_DONE)
        printed: str = self.child.before
        self.child.expect("you>")
        return printed

    def expect(self, text: str) -> str:
        self.child.expect(text)
        before: str = self.child.before
        return before

    def leave(self) -> int:
        """Ctrl-D on an empty line; the exit code."""
        self.child.send("\x04")
        self.child.expect(pexpect.EOF)
        self.child.close()
        code: int = self.child.exitstatus
        return code

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture
def chat(config_file: Path) -> Iterator[Chat]:
    started = Chat(config_file)
    yield started
    started.close()


def stored(config_file: Path) -> list[tuple[str, str, bool]]:
    """(role, content, has tool calls) of every stored message, in order."""
    with sqlite3.connect(config_file.parent / "data" / "zeroclaw.db") as db:
        rows = db.execute(
            "SELECT role, content, tool_calls IS NOT NULL FROM messages ORDER BY id"
        ).fetchall()
    return [(role, content, bool(calls)) for role, content, calls in rows]


def test_a_message_of_an_earlier_run_comes_back_with_up(config_file: Path, chat: Chat) -> None:
    chat.turn("the answer is 42\r")
    assert chat.leave() == 0
    history = config_file.parent / "data" / "chat_history"
    assert "the answer is 42" in history.read_text()
    assert history.stat().st_mode & 0o077 == 0  # what people type stays theirs

    again = Chat(config_file)
    try:
        printed = again.turn(UP + "\r")
        assert "You said: the answer is 42" in printed
        assert again.leave() == 0
    finally:
        again.close()
    users = [content for role, content, _ in stored(config_file) if role == "user"]
    assert users == ["the answer is 42", "the answer is 42"]


def test_esc_enter_and_a_trailing_backslash_make_one_message_of_several_lines(
    config_file: Path, chat: Chat
) -> None:
    chat.turn("first line" + ESC_ENTER + "second line\r")
    chat.turn("alpha\\\rbeta\r")
    assert chat.leave() == 0

    users = [content for role, content, _ in stored(config_file) if role == "user"]
    assert users == ["first line\nsecond line", "alpha\nbeta"]


def test_tab_completes_commands_and_tool_names(config_file: Path, chat: Chat) -> None:
    (config_file.parent / "data" / "workspace" / "note.txt").write_text("kept in a note")
    # The menu comes up as one types (keys sent at once would outrun the completer).
    chat.send("/he")
    chat.expect("show the chat's commands and keys")
    chat.send(TAB + "\r")
    chat.expect(r"on an empty line\)")  # /help ran: the keys are listed, Ctrl-D last
    chat.expect("you>")

    # After `/tool `, the tool names: "file_r" has one completion.
    chat.send("/tool file_r")
    chat.expect("file_read")
    printed = chat.turn(TAB + ' {"path": "note.txt"}\r')
    assert "tool file_read" in printed
    assert "kept in a note" in printed
    assert chat.leave() == 0


def test_ctrl_c_cancels_the_turn_in_flight_and_the_chat_goes_on(
    config_file: Path, chat: Chat
) -> None:
    chat.send("/tool shell " + json.dumps({"command": SLOW}) + "\r")
    _wait_for(lambda: _running(SLOW), "the slow tool to start")
    chat.child.sendintr()
    chat.expect("the turn was stopped")
    chat.expect("you>")
    _wait_for(lambda: not _running(SLOW), "the cancelled tool's process to end")

    printed = chat.turn("are you still there\r")
    assert "You said: are you still there" in printed
    assert chat.leave() == 0

    # Memory reads as what happened: the question, the call that never finished, the
    # cancellation in the answer's place, then the next exchange.
    assert [(role, calls) for role, _, calls in stored(config_file)] == [
        ("user", False),
        ("assistant", True),
        ("assistant", False),
        ("user", False),
        ("assistant", False),
    ]
    assert stored(config_file)[2][1] == CANCELLED_TURN.content


def test_ctrl_c_at_the_prompt_drops_the_line_and_ctrl_d_exits_zero(
    config_file: Path, chat: Chat
) -> None:
    chat.send("never sent")
    chat.child.sendintr()
    chat.turn("sent\r")
    assert chat.leave() == 0
    assert [content for role, content, _ in stored(config_file) if role == "user"] == ["sent"]


def _running(command: str) -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().replace(b"\0", b" ").strip() == command.encode():
                return True
        except OSError:
            continue  # the process ended while we looked
    return False


def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_history_file_that_cannot_be_written_costs_the_history_not_the_chat(
    tmp_path: Path, make_read_only: MakeReadOnly
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    make_read_only(data)
    console = Console(record=True, width=200)

    history = chat_history(data / HISTORY_FILE, console)

    assert isinstance(history, InMemoryHistory)
    warning = console.export_text()
    assert "the chat history is not kept: cannot write" in warning
    assert str(data / HISTORY_FILE) in warning


def test_an_approval_is_asked_on_the_terminal_and_ctrl_c_there_answers_no(
    config_file: Path,
) -> None:
    config_file.write_text('data_dir = "data"\n[tools]\nautonomy = "supervised"\n')
    chat = Chat(config_file)
    try:
        write = {"path": "a.txt", "content": "yes"}
        chat.send("/tool file_write " + json.dumps(write) + "\r")
        chat.expect(r"\[y/N\]")
        printed = chat.turn("y\r")
        assert "tool file_write" in printed

        chat.send("/tool file_write " + json.dumps({**write, "path": "b.txt"}) + "\r")
        chat.expect(r"\[y/N\]")
        chat.child.sendintr()
        chat.expect(TURN_DONE)  # the turn goes on, with the call refused
        chat.expect("you>")
        assert chat.leave() == 0
    finally:
        chat.close()
    workspace = config_file.parent / "data" / "workspace"
    assert (workspace / "a.txt").read_text() == "yes"
    assert not (workspace / "b.txt").exists()
