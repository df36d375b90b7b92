"""A plugin's log message stays on one line for every reader of the log, not only for those
that split on \\n: C1 controls (NEL, CSI) and the Unicode line and paragraph separators are
escaped too."""

from __future__ import annotations

import pytest

from zeroclaw.plugins.host.log import clean_message


@pytest.mark.parametrize("char", ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_no_line_break_survives(char: str) -> None:
    cleaned = clean_message(f"ok{char}FORGED zeroclaw: all good")
    assert len(cleaned.splitlines()) == 1


@pytest.mark.parametrize("char", ["\x1b", "\x9b", "\x80", "\x9f"])
def test_no_terminal_control_survives(char: str) -> None:
    cleaned = clean_message(f"ok{char}[2J")
    assert char not in cleaned


def test_ordinary_text_is_kept() -> None:
    assert clean_message("café \t naïve 日本") == "café \t naïve 日本"
