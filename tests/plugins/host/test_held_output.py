"""HeldOutput: the log and console lines of an inline-first attempt wait until the attempt
is kept (written, in order, through the usual path) or abandoned (never written)."""

from __future__ import annotations

import logging
import threading

import pytest

from zeroclaw.plugins.host.held_output import MAX_HELD_CHARS, MAX_HELD_WRITES, HeldOutput


def test_lines_are_written_at_once_unless_held() -> None:
    held = HeldOutput("p")
    written: list[tuple[str, str]] = []

    assert not held.defer(lambda level, text: written.append((level, text)), "info", "now")


def test_a_kept_attempt_writes_its_lines_in_order_and_a_dropped_one_none() -> None:
    held = HeldOutput("p")
    written: list[tuple[str, str]] = []

    def write(level: str, text: str) -> None:
        written.append((level, text))

    held.hold()
    assert held.defer(write, "info", "one")
    assert held.defer(write, "warn", "two")
    assert written == []
    held.release()
    assert written == [("info", "one"), ("warn", "two")]

    held.hold()
    held.defer(write, "info", "abandoned")
    held.drop()
    held.release()  # nothing held any more
    assert written == [("info", "one"), ("warn", "two")]
    assert not held.defer(write, "info", "after")  # no longer holding


def test_holding_is_per_thread() -> None:
    held = HeldOutput("p")
    held.hold()
    other: list[bool] = []
    thread = threading.Thread(target=lambda: other.append(held.defer(print, "info", "x")))
    thread.start()
    thread.join()
    assert other == [False]  # another thread's call writes its lines itself
    held.drop()


def test_what_is_held_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    held = HeldOutput("p")
    written: list[str] = []
    held.hold()
    for _ in range(MAX_HELD_WRITES + 5):
        held.defer(lambda level, text: written.append(text), "info", "x" * (MAX_HELD_CHARS + 10))
    with caplog.at_level(logging.WARNING, logger="zeroclaw.plugin.p"):
        held.release()
    assert len(written) == MAX_HELD_WRITES
    assert all(len(text) == MAX_HELD_CHARS for text in written)
    assert "wrote 5 more lines in one call than the host keeps" in caplog.text
