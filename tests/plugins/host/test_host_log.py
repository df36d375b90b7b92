"""zeroclaw:host/log: levels, the plugin's logger, cut lines, and the rate limit."""

from __future__ import annotations

import logging

import pytest
from host_helpers import make_context

from zeroclaw.plugins.host.log import MAX_MESSAGE_CHARS, clean_message, write_log
from zeroclaw.plugins.host.log_limiter import LOG_BURST, LogLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plugin_records(caplog: pytest.LogCaptureFixture, plugin: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == f"zeroclaw.plugin.{plugin}"]


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("trace", logging.DEBUG),
        ("debug", logging.DEBUG),
        ("info", logging.INFO),
        ("warn", logging.WARNING),
        ("error", logging.ERROR),
    ],
)
def test_levels_map_to_python_logging_under_the_plugins_logger(
    caplog: pytest.LogCaptureFixture, level: str, expected: int
) -> None:
    caplog.set_level(logging.DEBUG)

    write_log(make_context("greeter", ["log"]), LogLimiter(), level, "hello")

    (record,) = plugin_records(caplog, "greeter")
    assert (record.levelno, record.getMessage()) == (expected, "hello")
    assert record.plugin == "greeter"  # type: ignore[attr-defined]


def test_a_long_line_is_cut_and_control_characters_are_escaped() -> None:
    assert clean_message("a\nfake: line\r\x1b[31m") == "a\\nfake: line\\r\\x1b[31m"
    cut = clean_message("x" * 10_000)
    assert len(cut) == MAX_MESSAGE_CHARS
    assert cut.endswith("[cut]")
    assert clean_message("tab\tkept") == "tab\tkept"


def test_a_flood_is_dropped_counted_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock()
    limiter = LogLimiter(rate=10, burst=LOG_BURST, clock=clock)
    context = make_context("noisy", ["log"])

    for n in range(LOG_BURST * 5):
        write_log(context, limiter, "info", f"line {n}")

    assert len(plugin_records(caplog, "noisy")) == LOG_BURST
    assert limiter.dropped == LOG_BURST * 4

    clock.now += 1.0  # ten more tokens
    write_log(context, limiter, "error", "after the flood")
    report, line = plugin_records(caplog, "noisy")[-2:]
    assert f"{LOG_BURST * 4} log lines of plugin noisy dropped" in report.getMessage()
    assert line.getMessage() == "after the flood"


def test_lines_below_the_loggers_level_cost_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    limiter = LogLimiter(rate=0.001, burst=1, clock=Clock())
    context = make_context("quiet", ["log"])

    for _ in range(1000):
        write_log(context, limiter, "debug", "filtered")
    write_log(context, limiter, "info", "still gets through")

    assert [r.getMessage() for r in plugin_records(caplog, "quiet")] == ["still gets through"]


def test_without_the_grant_nothing_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    write_log(make_context("mute", ["kv"]), LogLimiter(), "error", "should not appear")

    assert plugin_records(caplog, "mute") == []


def test_an_unknown_level_is_logged_as_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    write_log(make_context("odd", ["log"]), LogLimiter(), "fatal", "x")

    assert plugin_records(caplog, "odd")[0].levelno == logging.INFO
