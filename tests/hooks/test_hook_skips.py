"""A fail_open handler that fails is skipped, and the skip is counted where an operator
looks: the handler's stats (`hooks list`), the `zeroclaw_hook_skips` metric, and the
handler's own counts when it keeps them (a plugin's, for `plugins info`/`status`)."""

from __future__ import annotations

import dataclasses

from zeroclaw.hooks import Event, HookRunner, OutboundMessage, hook
from zeroclaw.observability import HookSkipped
from zeroclaw.observability.events import ObserverEvent
from zeroclaw.observability.prometheus import PrometheusObserver

SENDING = Event.ON_MESSAGE_SENDING


class Recorder:
    def __init__(self) -> None:
        self.events: list[ObserverEvent] = []

    def record(self, event: ObserverEvent) -> None:
        self.events.append(event)


def _message() -> OutboundMessage:
    return OutboundMessage("cli", "s1", "user", "hello")


@hook(SENDING, name="flaky-guard", failure_policy="fail_open")
def flaky(message: OutboundMessage) -> OutboundMessage:
    raise RuntimeError("guard is down")


@hook(SENDING, name="strict-guard", failure_policy="fail_closed")
def strict(message: OutboundMessage) -> OutboundMessage:
    raise RuntimeError("guard is down")


@hook(SENDING, name="shouter", priority=-1)
def shout(message: OutboundMessage) -> OutboundMessage:
    return dataclasses.replace(message, content=message.content.upper())


async def test_a_fail_open_failure_is_counted_as_a_skip_and_recorded() -> None:
    runner = HookRunner()
    recorder = Recorder()
    runner.observe_with(recorder)
    runner.register(flaky, shout)

    for _ in range(3):
        result = await runner.run(SENDING, _message())
        assert result.payload.content == "HELLO"  # the chain went on without the guard

    stats = {r.spec.name: r.stats for r in runner.handlers(SENDING)}
    assert (stats["flaky-guard"].failures, stats["flaky-guard"].skips) == (3, 3)
    assert stats["shouter"].skips == 0
    skipped = [e for e in recorder.events if isinstance(e, HookSkipped)]
    assert [(e.handler, e.event) for e in skipped] == [("flaky-guard", SENDING.value)] * 3
    assert "guard is down" in skipped[0].cause


async def test_a_fail_closed_failure_cancels_and_is_no_skip() -> None:
    runner = HookRunner()
    recorder = Recorder()
    runner.observe_with(recorder)
    runner.register(strict)

    result = await runner.run(SENDING, _message())

    assert result.cancelled
    assert runner.handlers(SENDING)[0].stats.skips == 0
    assert recorder.events == []


async def test_views_taken_from_the_runner_record_their_skips_too() -> None:
    base = HookRunner()
    recorder = Recorder()
    base.observe_with(recorder)

    await base.layered([flaky]).run(SENDING, _message())

    assert [type(e) for e in recorder.events] == [HookSkipped]


async def test_skips_are_a_prometheus_metric_by_handler_and_event() -> None:
    runner = HookRunner()
    metrics = PrometheusObserver()
    runner.observe_with(metrics)
    runner.register(flaky)

    await runner.run(SENDING, _message())
    await runner.run(SENDING, _message())

    value = metrics.registry.get_sample_value(
        "zeroclaw_hook_skips_total", {"handler": "flaky-guard", "event": SENDING.value}
    )
    assert value == 2
