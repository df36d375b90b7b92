"""The console's two stateful parts on their own: logins (cookie -> login, expiry, logout,
the CSRF comparison) and the recorder (latency, errors, guest log lines, tool calls, the
counters the live stream compares), fed real observer events and real log records."""

from __future__ import annotations

import logging

import pytest

from zeroclaw.gateway.auth import Caller
from zeroclaw.gateway.console.logins import ConsoleLogins
from zeroclaw.gateway.console.recorder import LATENCY_WINDOW, ConsoleRecorder
from zeroclaw.messages import Usage
from zeroclaw.observability import (
    HookSkipped,
    PluginCall,
    PluginReload,
    PluginTrap,
    TurnComplete,
)
from zeroclaw.plugins.host.log import plugin_logger


def test_a_login_is_found_by_its_cookie_until_it_is_closed() -> None:
    logins = ConsoleLogins(ttl_s=60)
    cookie, login = logins.open(Caller("abc"))

    assert logins.find(cookie) is login
    assert logins.find("another-cookie") is None
    assert logins.find(None) is None
    assert login.csrf_matches(login.csrf)
    assert not login.csrf_matches(login.csrf[:-1] + "x")
    assert not login.csrf_matches(None)
    assert not login.csrf_matches("")
    logins.close(cookie)
    assert logins.find(cookie) is None


def test_an_expired_login_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("zeroclaw.gateway.console.logins.time.monotonic", lambda: now[0])
    logins = ConsoleLogins(ttl_s=60)
    cookie, _ = logins.open(Caller("abc"))
    now[0] += 59
    assert logins.find(cookie) is not None
    now[0] += 2
    assert logins.find(cookie) is None
    assert len(logins) == 0


def test_each_login_has_its_own_cookie_and_csrf_token() -> None:
    logins = ConsoleLogins(ttl_s=60)
    first_cookie, first = logins.open(Caller("abc"))
    second_cookie, second = logins.open(Caller("abc"))
    assert first_cookie != second_cookie
    assert first.csrf != second.csrf
    assert not first.csrf_matches(second.csrf)


def test_latency_is_over_the_last_calls_of_each_plugin() -> None:
    recorder = ConsoleRecorder()
    for millis in range(1, 301):  # 300 calls: the window keeps the last 256
        recorder.record(PluginCall("p", "before-tool-call", float(millis), "ok"))
    recorder.record(PluginCall("q", "handles", 5.0, "ok"))

    latency = recorder.latency("p")
    assert latency is not None
    assert latency.calls == 300
    assert latency.max_ms == 300.0
    assert latency.p50_ms == float(300 - LATENCY_WINDOW + 1 + LATENCY_WINDOW // 2)
    assert latency.p95_ms > latency.p50_ms
    assert recorder.latency("q") is not None
    assert recorder.latency("nobody") is None


def test_errors_are_newest_first_and_move_the_plugins_counter() -> None:
    recorder = ConsoleRecorder()
    before = recorder.versions()
    recorder.record(PluginTrap("p", "before-tool-call", "wasm trap: unreachable"))
    recorder.record(HookSkipped("p", "plugin:p", "before_tool_call", "timed out"))
    recorder.record(HookSkipped("native-guard", "native", "before_tool_call", "boom"))

    errors = recorder.errors("p")
    assert [e.text for e in errors] == [
        "before_tool_call skipped (fail_open): timed out",
        "before-tool-call: wasm trap: unreachable",
    ]
    assert recorder.errors("native-guard") == ()
    assert recorder.versions().plugins == before.plugins + 2


def test_reloads_and_turns_move_their_counters() -> None:
    recorder = ConsoleRecorder()
    recorder.record(PluginReload(2, True, 1))
    recorder.record(TurnComplete("s", "t", "answer", 1, 0, Usage(), 1.0))
    versions = recorder.versions()
    assert (versions.reloads, versions.turns) == (1, 1)


def test_guest_log_lines_are_heard_while_attached() -> None:
    recorder = ConsoleRecorder()
    logger = plugin_logger("p")
    recorder.attach()
    try:
        logger.warning("%s", "<b>one</b>", extra={"plugin": "p"})
        logger.error("%s", "two", extra={"plugin": "p"})
    finally:
        recorder.detach()
    logger.warning("%s", "after", extra={"plugin": "p"})

    lines = recorder.log_lines("p")
    assert [(line.level, line.text) for line in lines] == [
        ("error", "two"),
        ("warning", "<b>one</b>"),
    ]
    assert logging.getLogger("zeroclaw.plugin").handlers.count(recorder) == 0
