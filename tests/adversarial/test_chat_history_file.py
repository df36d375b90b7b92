"""The terminal chat's history file (DATA_DIR/chat_history) against a local reader: what
people type (secrets get pasted) is readable by its owner only, whatever the file was
before the chat opened it, and a history that cannot be kept costs the history, not the
chat."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from prompt_toolkit.history import FileHistory
from rich.console import Console

from zeroclaw.channels.chat_prompt import HISTORY_FILE, chat_history


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_history_file_is_its_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / HISTORY_FILE
    old = os.umask(0)  # the most permissive umask: the mode must not come from it
    try:
        history = chat_history(path, Console(record=True))
    finally:
        os.umask(old)
    assert isinstance(history, FileHistory)
    assert _mode(path) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o666, 0o777, 0o604])
def test_a_history_file_readable_by_others_is_made_its_owners_only(
    tmp_path: Path, mode: int
) -> None:
    path = tmp_path / HISTORY_FILE
    path.write_text("\n# 2026-01-01 00:00:00\n+export API_KEY=sk-secret\n")
    path.chmod(mode)

    history = chat_history(path, Console(record=True))

    assert isinstance(history, FileHistory)
    assert _mode(path) == 0o600
    # what was kept is still there
    assert list(history.load_history_strings()) == ["export API_KEY=sk-secret"]


def test_a_directory_in_the_way_costs_the_history_not_the_chat(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    path.mkdir()
    console = Console(record=True, width=200)

    history = chat_history(path, console)

    assert not isinstance(history, FileHistory)
    assert "the chat history is not kept: cannot write" in console.export_text()
