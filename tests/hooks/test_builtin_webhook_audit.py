"""webhook_audit against a real HTTP server on 127.0.0.1: events arrive, failures are
retried a bounded number of times, and a slow server never holds up a turn."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging

import pytest
from audit_server import AuditServer, audit_server
from pydantic import ValidationError

from loop_gaps import LoopGaps
from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.hooks import AfterToolCall, Event, HeartbeatTick
from zeroclaw.hooks.builtin import HookSetupError, WebhookAudit
from zeroclaw.hooks.settings import WebhookAuditSettings
from zeroclaw.messages import ToolResult
from zeroclaw.observability import REDACTED, Redactor


def enable(config: Config, server: AuditServer, **settings: object) -> None:
    config.tools.http_request.allowed_hosts = ["127.0.0.1"]
    values: dict[str, object] = {"enabled": True, "url": server.url, "backoff_ms": 10}
    config.hooks.webhook_audit = WebhookAuditSettings.model_validate(values | settings)


def webhook_of(runtime: AgentRuntime) -> WebhookAudit:
    handlers = [
        r.handler for r in runtime.live_hooks().handlers() if isinstance(r.handler, WebhookAudit)
    ]
    assert len(handlers) == 1
    return handlers[0]


async def test_selected_events_of_a_real_session_arrive_redacted(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "Plain7Looking9Value")
    with audit_server() as server:
        enable(
            config,
            server,
            events=["on_session_start", "on_after_tool_call", "on_session_end"],
            include_content=True,
        )
        async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
            agent = runtime.agent
            await agent.start_session("s1", channel="test", user_id="alice")
            command = {"command": "echo Plain7Looking9Value password=hunter22"}
            await agent.turn("s1", "/tool shell " + json.dumps(command), user_id="alice")
            agent.end_session("s1", channel="test", user_id="alice")
            # Leaving the runtime drains the void hooks: every POST has been answered.
        webhook = webhook_of(runtime)

    assert sorted(server.events()) == ["on_after_tool_call", "on_session_end", "on_session_start"]
    assert (webhook.delivered, webhook.failed) == (3, 0)
    start = next(r.body for r in server.received if r.body["event"] == "on_session_start")
    assert start["payload"] == {"session_id": "s1", "channel": "test", "user_id": "alice"}
    tool = next(r for r in server.received if r.body["event"] == "on_after_tool_call")
    assert tool.path == "/audit"
    assert tool.headers["Content-Type"] == "application/json"
    assert tool.body["payload"]["tool"] == "shell"
    assert b"Plain7Looking9Value" not in tool.raw
    assert b"hunter22" not in tool.raw


async def test_a_failing_server_is_retried_a_bounded_number_of_times(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    with audit_server() as server:
        server.statuses = [500] * 10
        enable(config, server, events=["on_session_start"], attempts=3)
        async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
            await runtime.agent.start_session("s1", channel="test")
            assert await runtime.hooks.drain(10) == 0
            webhook = webhook_of(runtime)
            stats = runtime.live_hooks().handlers(Event.ON_SESSION_START)[0].stats

    assert len(server.received) == 3
    assert (webhook.delivered, webhook.failed, webhook.retries) == (0, 1, 2)
    # Counted by the hook, never raised: the runner saw a call that went fine.
    assert (stats.calls, stats.failures) == (1, 0)
    assert "not delivered" in caplog.text
    assert "HTTP 500" in caplog.text


async def test_a_recovering_server_gets_the_event_once(config: Config) -> None:
    with audit_server() as server:
        server.statuses = [503, 429]
        enable(config, server, events=["on_session_start"], attempts=3)
        async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
            await runtime.agent.start_session("s1", channel="test")
        webhook = webhook_of(runtime)

    assert len(server.received) == 3
    assert (webhook.delivered, webhook.failed, webhook.retries) == (1, 0, 2)


async def test_a_client_error_is_not_retried(config: Config) -> None:
    with audit_server() as server:
        server.statuses = [400]
        enable(config, server, events=["on_session_start"], attempts=5)
        async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
            await runtime.agent.start_session("s1", channel="test")
        webhook = webhook_of(runtime)

    assert len(server.received) == 1
    assert webhook.failed == 1


async def test_an_unreachable_server_fails_without_raising(config: Config) -> None:
    with audit_server() as server:
        enable(config, server, events=["on_heartbeat_tick"], attempts=2, timeout_s=2)
    # The server is gone: connections are refused.
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        runtime.hooks.emit(Event.ON_HEARTBEAT_TICK, HeartbeatTick(1, 0.0))
        assert await runtime.hooks.drain(10) == 0
        webhook = webhook_of(runtime)
    assert (webhook.delivered, webhook.failed, webhook.retries) == (0, 1, 1)


async def test_a_slow_server_does_not_block_the_turn(config: Config) -> None:
    with audit_server(held=True) as server:
        enable(config, server, events=["on_session_start", "on_session_end"], timeout_s=20)
        async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
            agent = runtime.agent
            await agent.start_session("s1", channel="test")
            result = await agent.turn("s1", "hello")
            agent.end_session("s1", channel="test")
            # The server has not answered anything yet, and the turn is done.
            assert result.reply
            assert await asyncio.to_thread(server.arrived.wait, 10)
            webhook = webhook_of(runtime)
            assert webhook.delivered == 0
            assert runtime.hooks.pending >= 1
            server.hold.set()
            assert await runtime.hooks.drain(10) == 0
    assert webhook.delivered == 2


async def test_requests_are_signed_with_the_shared_secret(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIT_SECRET", "s3cret-shared")
    with audit_server() as server:
        enable(config, server, events=["on_session_start"], secret_env="AUDIT_SECRET")
        async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
            await runtime.agent.start_session("s1", channel="test")

    received = server.received[0]
    expected = hmac.new(b"s3cret-shared", received.raw, hashlib.sha256).hexdigest()
    assert received.headers["X-ZeroClaw-Signature"] == f"sha256={expected}"


async def test_a_megabyte_payload_is_redacted_whole_without_holding_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 1 MB tool output is redacted off the event loop: the loop's thread keeps running
    a 1 ms ticker on the CPU it needs (redacting it on the loop took ~0.45 s of it), and
    the receiver gets the whole output redacted, secrets at its end included."""
    monkeypatch.setenv("AUDIT_TEST_KEY", "Plain7Looking9Value")
    line = "2026-01-07 10:31:02 GET /api/items?id=42 200 token=hunter22 elapsed=12ms\n"
    output = line * (1_000_000 // len(line)) + "last Plain7Looking9Value sk-abcdefghijklmnop"
    payload = AfterToolCall("s1", "shell", {"api_key": "k-123456"}, ToolResult.ok(output), 1.0)
    redactor = Redactor(["AUDIT_TEST_KEY"])
    with audit_server() as server:
        webhook = WebhookAudit(
            server.url,
            [Event.ON_AFTER_TOOL_CALL],
            redactor,
            attempts=1,
            backoff_s=0.01,
            timeout_s=20,
            secret="shared",
        )
        gaps = LoopGaps()
        await gaps.watch(webhook.observe(Event.ON_AFTER_TOOL_CALL, payload))

    assert webhook.delivered == 1
    received = server.received[0]
    assert received.body["event"] == "on_after_tool_call"
    expected = webhook.body(Event.ON_AFTER_TOOL_CALL, payload, received.body["at"])
    assert received.body == expected
    result = received.body["payload"]["result"]
    assert result["output"] == redactor.text(output)
    assert result["output"].endswith(f"last {REDACTED} {REDACTED}")
    assert received.body["payload"]["arguments"] == {"api_key": REDACTED}
    for secret in (b"hunter22", b"Plain7Looking9Value", b"sk-abcdefghijklmnop", b"k-123456"):
        assert secret not in received.raw
    signature = hmac.new(b"shared", received.raw, hashlib.sha256).hexdigest()
    assert received.headers["X-ZeroClaw-Signature"] == f"sha256={signature}"
    # The ticker ran all along; on the loop, one gap would be the whole redaction.
    assert len(gaps.cpu) > 20
    assert max(gaps.cpu) < 0.15, f"the loop's thread spent {max(gaps.cpu):.3f} s in one gap"


def test_a_url_outside_the_allowed_hosts_is_refused_at_start_up(config: Config) -> None:
    config.hooks.webhook_audit = WebhookAuditSettings(
        enabled=True, url="https://audit.example.com/in"
    )
    config.tools.http_request.allowed_hosts = ["api.github.com"]
    with pytest.raises(HookSetupError) as caught:
        AgentRuntime.from_config(config, approver=AllowApprover())
    assert caught.value.key == "hooks.webhook_audit.url"
    assert "audit.example.com" in caught.value.message
    assert caught.value.hint is not None
    assert "tools.http_request.allowed_hosts" in caught.value.hint


def test_a_missing_secret_is_refused_at_start_up(config: Config) -> None:
    config.tools.http_request.allowed_hosts = ["127.0.0.1"]
    config.hooks.webhook_audit = WebhookAuditSettings(
        enabled=True, url="http://127.0.0.1:9/x", secret_env="NOT_SET_ANYWHERE"
    )
    with pytest.raises(HookSetupError) as caught:
        AgentRuntime.from_config(config, approver=AllowApprover())
    assert caught.value.key == "hooks.webhook_audit.secret_env"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"events": ["before_tool_call"]}, "'before_tool_call' is not a void hook event"),
        ({"events": ["on_llm_output"]}, "on_llm_output carry conversation content"),
        ({"enabled": True}, "enabled but has no url"),
    ],
)
def test_settings_are_checked(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WebhookAuditSettings.model_validate(settings)


def test_disabled_by_default(config: Config, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    runtime = AgentRuntime.from_config(config, approver=AllowApprover())
    try:
        names = [r.spec.name for r in runtime.live_hooks().handlers()]
    finally:
        runtime.close()
    assert "webhook_audit" not in names
    assert "boot_script" not in names
    assert "session_memory" in names


def test_no_events_is_refused_at_start_up(config: Config) -> None:
    config.tools.http_request.allowed_hosts = ["127.0.0.1"]
    config.hooks.webhook_audit = WebhookAuditSettings(
        enabled=True, url="http://127.0.0.1:9/x", events=[]
    )
    with pytest.raises(HookSetupError) as caught:
        AgentRuntime.from_config(config, approver=AllowApprover())
    assert caught.value.key == "hooks.webhook_audit.events"
