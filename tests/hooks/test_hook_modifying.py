"""Modifying dispatch: Continue chains, Cancel, timeouts, exceptions, wrong payloads."""

import asyncio
import dataclasses
import logging
import time

import pytest

from zeroclaw.hooks import (
    Cancel,
    Continue,
    DispatchResult,
    Event,
    HandlerSpec,
    HookOutcome,
    HookRunner,
    ModelResolve,
    ModifyingPayload,
    OutboundMessage,
    SessionStart,
    ToolCallRequest,
    VoidPayload,
    hook,
)

SENDING = Event.ON_MESSAGE_SENDING


def outbound(content: str = "") -> OutboundMessage:
    return OutboundMessage("cli", "s1", "user", content)


def appender(name: str, suffix: str, priority: int = 0) -> object:
    @hook(SENDING, name=name, priority=priority)
    def append(message: OutboundMessage) -> OutboundMessage:
        return dataclasses.replace(message, content=message.content + suffix)

    return append


async def test_each_handler_sees_the_previous_result() -> None:
    seen: list[str] = []

    @hook(SENDING, name="b", priority=5)
    async def second(message: OutboundMessage) -> Continue[OutboundMessage]:
        seen.append(message.content)
        return Continue(dataclasses.replace(message, content=message.content + "2"))

    @hook(SENDING, name="a", priority=10)
    def first(message: OutboundMessage) -> OutboundMessage:
        seen.append(message.content)
        return dataclasses.replace(message, content=message.content + "1")

    @hook(SENDING, name="c", priority=0)
    def third(message: OutboundMessage) -> None:
        seen.append(message.content)

    runner = HookRunner()
    runner.register(third, second, first)
    result = await runner.run(SENDING, outbound(">"))

    assert seen == [">", ">1", ">12"]
    assert result == DispatchResult(outbound(">12"))
    assert not result.cancelled


async def test_no_handlers_returns_the_payload_itself() -> None:
    payload = outbound("x")
    result = await HookRunner().run(SENDING, payload)
    assert result.payload is payload
    assert not result.cancelled


async def test_cancel_keeps_the_payload_the_canceller_received() -> None:
    @hook(SENDING, name="guard", priority=-1)
    def guard(message: OutboundMessage) -> Cancel:
        return Cancel("secret in reply")

    runner = HookRunner()
    runner.register(appender("enrich", "+"), guard, appender("late", "!", priority=-5))  # type: ignore[arg-type]
    result = await runner.run(SENDING, outbound("hi"))

    assert result.cancelled
    assert result.cancelled_by == "guard"
    assert result.reason == "secret in reply"
    assert result.payload.content == "hi+"


async def test_handlers_only_see_their_events() -> None:
    runner = HookRunner()
    runner.register(appender("a", "x"))  # type: ignore[arg-type]
    resolved = await runner.run(Event.BEFORE_MODEL_RESOLVE, ModelResolve("s", "openai", "m"))
    assert resolved.payload == ModelResolve("s", "openai", "m")


# -- failures ------------------------------------------------------------------------------


def sleeper(name: str, policy: str, *, priority: int = 0) -> object:
    @hook(SENDING, name=name, priority=priority, timeout_s=0.02, failure_policy=policy)  # type: ignore[arg-type]
    async def slow(message: OutboundMessage) -> None:
        await asyncio.sleep(10)

    return slow


def raiser(name: str, policy: str, *, priority: int = 0) -> object:
    @hook(SENDING, name=name, priority=priority, failure_policy=policy)  # type: ignore[arg-type]
    def boom(message: OutboundMessage) -> None:
        raise RuntimeError("kaput")

    return boom


async def test_timeout_fail_open_skips_logs_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    runner = HookRunner()
    runner.register(
        appender("first", "1", priority=2),  # type: ignore[arg-type]
        sleeper("slow", "fail_open", priority=1),  # type: ignore[arg-type]
        appender("last", "3"),  # type: ignore[arg-type]
    )
    with caplog.at_level(logging.WARNING, logger="zeroclaw.hooks"):
        result = await runner.run(SENDING, outbound())

    assert result.payload.content == "13"
    assert not result.cancelled
    slow = runner.handlers(SENDING)[1]
    assert slow.spec.name == "slow"
    assert (slow.stats.calls, slow.stats.timeouts, slow.stats.failures) == (1, 1, 0)
    assert "'slow'" in caplog.text
    assert "timed out after 0.02s" in caplog.text
    assert "fail_open" in caplog.text


async def test_timeout_fail_closed_cancels_naming_handler_and_cause() -> None:
    runner = HookRunner()
    last = appender("last", "3")
    runner.register(sleeper("guard", "fail_closed", priority=1), last)  # type: ignore[arg-type]
    result = await runner.run(SENDING, outbound())

    assert result.cancelled
    assert result.cancelled_by == "guard"
    assert result.reason is not None
    assert "'guard'" in result.reason
    assert "timed out" in result.reason
    assert runner.handlers(SENDING)[1].stats.calls == 0


async def test_exception_fail_open_is_skipped_with_one_line_and_a_traceback_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = HookRunner()
    runner.register(raiser("boom", "fail_open", priority=1), appender("after", "!"))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="zeroclaw.hooks"):
        result = await runner.run(SENDING, outbound("x"))

    assert result.payload.content == "x!"
    assert runner.handlers(SENDING)[0].stats.failures == 1
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING
    assert "'boom'" in warning.getMessage()
    assert "RuntimeError: kaput" in warning.getMessage()
    assert "\n" not in warning.getMessage()
    assert warning.exc_info is None

    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="zeroclaw.hooks"):
        await runner.run(SENDING, outbound("x"))
    [traced] = [record for record in caplog.records if record.exc_info]
    assert traced.levelno == logging.DEBUG


async def test_exception_fail_closed_cancels() -> None:
    runner = HookRunner()
    runner.register(raiser("boom", "fail_closed"))  # type: ignore[arg-type]
    result = await runner.run(SENDING, outbound("x"))

    assert result.cancelled
    assert result.cancelled_by == "boom"
    assert result.reason is not None
    assert "RuntimeError: kaput" in result.reason
    stats = runner.handlers(SENDING)[0].stats
    assert (stats.failures, stats.cancels) == (1, 0)


async def test_a_handlers_own_timeout_error_is_a_failure_not_a_timeout() -> None:
    @hook(SENDING, name="http", timeout_s=5)
    def upstream(message: OutboundMessage) -> None:
        raise TimeoutError("upstream too slow")

    runner = HookRunner()
    runner.register(upstream)
    await runner.run(SENDING, outbound())
    stats = runner.handlers(SENDING)[0].stats
    assert (stats.failures, stats.timeouts) == (1, 0)


class Returns:
    """A handler returning a fixed value, whatever it is."""

    def __init__(self, value: object, policy: str = "fail_open") -> None:
        self.value = value
        self.spec = HandlerSpec("odd", frozenset({SENDING}), failure_policy=policy)  # type: ignore[arg-type]

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        return self.value  # type: ignore[return-value]

    async def observe(self, event: Event, payload: VoidPayload) -> None:
        raise AssertionError("not a void handler")


@pytest.mark.parametrize(
    "value",
    [
        Continue(ToolCallRequest("s", "shell", {})),
        Continue("text"),
        "text",
        None,
        Cancel(reason=42),  # type: ignore[arg-type]
    ],
)
async def test_wrong_return_is_a_failure(value: object, caplog: pytest.LogCaptureFixture) -> None:
    runner = HookRunner()
    runner.register(Returns(value))
    with caplog.at_level(logging.WARNING, logger="zeroclaw.hooks"):
        result = await runner.run(SENDING, outbound("kept"))

    assert result.payload == outbound("kept")
    assert not result.cancelled
    assert runner.handlers(SENDING)[0].stats.failures == 1
    assert "expected Continue(OutboundMessage) or Cancel(reason)" in caplog.text


async def test_wrong_payload_type_fails_closed_for_a_guard() -> None:
    runner = HookRunner()
    runner.register(Returns(Continue(ToolCallRequest("s", "t", {})), "fail_closed"))
    result = await runner.run(SENDING, outbound())
    assert result.cancelled
    assert result.reason is not None
    assert "Continue(ToolCallRequest)" in result.reason


async def test_function_returning_a_wrong_type_is_a_failure() -> None:
    @hook(SENDING, name="sloppy")
    def sloppy(message: OutboundMessage) -> str:
        return "not a payload"

    runner = HookRunner()
    runner.register(sloppy)
    result = await runner.run(SENDING, outbound("a"))
    assert result.payload == outbound("a")
    assert runner.handlers(SENDING)[0].stats.failures == 1


async def test_caller_cancellation_is_not_swallowed() -> None:
    started = asyncio.Event()

    @hook(SENDING, name="slow", timeout_s=60)
    async def slow(message: OutboundMessage) -> None:
        started.set()
        await asyncio.sleep(60)

    runner = HookRunner()
    runner.register(slow)
    task = asyncio.create_task(runner.run(SENDING, outbound()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stats = runner.handlers(SENDING)[0].stats
    assert (stats.failures, stats.timeouts) == (0, 0)


async def test_the_timeout_counts_from_the_call_start_when_it_suspends_late() -> None:
    # Time spent before the first suspension counts: the timer is armed at the suspension,
    # by the deadline counted from the start of the call.
    @hook(SENDING, name="late", timeout_s=0.05)
    async def late(message: OutboundMessage) -> None:
        time.sleep(0.04)  # noqa: ASYNC251 - holds the loop, as a call on its thread does
        await asyncio.sleep(0.03)  # ends past 0.05 s from the start, inside 0.05 s from here

    runner = HookRunner()
    runner.register(late)
    await runner.run(SENDING, outbound())
    stats = runner.handlers(SENDING)[0].stats
    assert (stats.calls, stats.timeouts, stats.failures) == (1, 1, 0)


async def test_a_handler_that_suspends_many_times_gets_every_value_sent_back() -> None:
    @hook(SENDING, name="chatty", timeout_s=5)
    async def chatty(message: OutboundMessage) -> OutboundMessage:
        parts = []
        for index in range(5):
            await asyncio.sleep(0)
            future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(future.set_result, str(index))
            parts.append(await future)
        return dataclasses.replace(message, content="".join(parts))

    runner = HookRunner()
    runner.register(chatty)
    result = await runner.run(SENDING, outbound())
    assert result.payload.content == "01234"


async def test_an_exception_thrown_in_after_suspending_reaches_the_handler() -> None:
    seen: list[str] = []

    @hook(SENDING, name="guarded", timeout_s=0.02)
    async def guarded(message: OutboundMessage) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.append("cancelled")  # the runner's timeout cancels the handler itself
            raise

    runner = HookRunner()
    runner.register(guarded)
    await runner.run(SENDING, outbound())
    assert seen == ["cancelled"]
    assert runner.handlers(SENDING)[0].stats.timeouts == 1


async def test_misuse_raises_type_errors() -> None:
    runner = HookRunner()
    with pytest.raises(
        TypeError, match="takes a payload of type OutboundMessage, got ModelResolve"
    ):
        await runner.run(SENDING, ModelResolve("s", "p", "m"))
    with pytest.raises(TypeError, match="void event: dispatch it with emit"):
        await runner.run(Event.ON_SESSION_START, SessionStart("s", "cli", None))  # type: ignore[type-var]
    with pytest.raises(TypeError, match="modifying event: dispatch it with run"):
        runner.emit(SENDING, outbound())  # type: ignore[arg-type]


# -- handlers that offer handle_now (handler.py) --------------------------------------------


class NowHandler:
    """A handler offering `handle_now`: `now` gives its result; `handle` says if called."""

    def __init__(
        self,
        now: object,
        *,
        timeout_s: float | None = None,
        failure_policy: str = "fail_open",
    ) -> None:
        self.spec = HandlerSpec(
            "now",
            frozenset({SENDING}),
            timeout_s=timeout_s,
            failure_policy=failure_policy,  # type: ignore[arg-type]
        )
        self._now = now
        self.handled = 0

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        self.handled += 1
        raise AssertionError("the runner calls handle_now when a handler offers it")

    def handle_now(self, event: Event, payload: ModifyingPayload) -> object:
        assert callable(self._now)
        return self._now(payload)

    async def observe(self, event: Event, payload: VoidPayload) -> None:
        return None


async def test_handle_now_is_called_instead_of_handle_and_its_outcome_taken() -> None:
    handler = NowHandler(lambda m: Continue(dataclasses.replace(m, content="now")))
    runner = HookRunner()
    runner.register(handler, appender("after", "!", priority=-1))
    result = await runner.run(SENDING, outbound("x"), explain=True)
    assert result.payload.content == "now!"
    assert handler.handled == 0
    assert result.explanation is not None
    assert result.explanation.steps[0].changes == {"content": ("x", "now")}
    assert runner.handlers(SENDING)[0].stats.calls == 1


async def test_an_awaitable_from_handle_now_is_awaited_under_the_timeout() -> None:
    async def later(message: OutboundMessage) -> Continue[OutboundMessage]:
        await asyncio.sleep(0.01)
        return Continue(dataclasses.replace(message, content="later"))

    async def too_late(message: OutboundMessage) -> Cancel:
        await asyncio.sleep(10)
        return Cancel("never reached")

    runner = HookRunner()
    runner.register(NowHandler(later, timeout_s=1))
    assert (await runner.run(SENDING, outbound())).payload.content == "later"

    slow = HookRunner()
    slow.register(NowHandler(too_late, timeout_s=0.02, failure_policy="fail_closed"))
    started = time.monotonic()
    result = await slow.run(SENDING, outbound())
    assert time.monotonic() - started < 5
    assert result.cancelled
    assert result.reason == "hook 'now' failed (timed out after 0.02s) and is fail_closed"
    stats = slow.handlers(SENDING)[0].stats
    assert (stats.calls, stats.timeouts, stats.failures) == (1, 1, 0)


async def test_a_future_from_handle_now_is_awaited_too() -> None:
    def pending(message: OutboundMessage) -> asyncio.Future[Continue[OutboundMessage]]:
        future: asyncio.Future[Continue[OutboundMessage]] = asyncio.Future()
        changed = Continue(dataclasses.replace(message, content="resolved"))
        asyncio.get_running_loop().call_later(0.01, future.set_result, changed)
        return future

    runner = HookRunner()
    runner.register(NowHandler(pending, timeout_s=1))
    assert (await runner.run(SENDING, outbound())).payload.content == "resolved"


@pytest.mark.parametrize(
    ("raised", "cause"),
    [
        (RuntimeError("boom"), "raised RuntimeError: boom"),
        # Raised by the handler itself, before any timer: an error, not the runner's timeout.
        (TimeoutError("its own"), "raised TimeoutError: its own"),
    ],
)
async def test_handle_now_raising_is_a_failure(raised: Exception, cause: str) -> None:
    def fails(message: OutboundMessage) -> None:
        raise raised

    runner = HookRunner()
    runner.register(NowHandler(fails, failure_policy="fail_closed"))
    result = await runner.run(SENDING, outbound())
    assert result.cancelled
    assert result.reason == f"hook 'now' failed ({cause}) and is fail_closed"
    stats = runner.handlers(SENDING)[0].stats
    assert (stats.calls, stats.failures, stats.timeouts) == (1, 1, 0)


async def test_handle_now_returning_a_wrong_value_is_skipped_fail_open() -> None:
    runner = HookRunner()
    runner.register(NowHandler(lambda m: 42), appender("after", "!", priority=-1))
    result = await runner.run(SENDING, outbound("x"))
    assert result.payload.content == "x!"
    stats = runner.handlers(SENDING)[0].stats
    assert (stats.calls, stats.failures, stats.skips) == (1, 1, 1)


async def test_a_sync_function_handler_runs_without_a_coroutine() -> None:
    # FunctionHandler offers handle_now: a sync function's outcome needs no coroutine, and
    # its handle (for callers other than the runner) means the same.
    handler = appender("plain", "+")
    payload = outbound("x")
    now = handler.handle_now(SENDING, payload)  # type: ignore[attr-defined]
    assert now == Continue(outbound("x+"))
    assert await handler.handle(SENDING, payload) == now  # type: ignore[attr-defined]
