"""Native handlers from plain functions.

    @hook(Event.BEFORE_TOOL_CALL, priority=10, failure_policy="fail_closed")
    def no_rm(call: ToolCallRequest) -> Cancel | None:
        if call.tool == "shell" and "rm " in call.arguments.get("command", ""):
            return Cancel("rm is not allowed")
        return None

    runner.register(no_rm)

The function takes the payload (its type names the event) and may be sync or async. For
a modifying event it returns `Continue(...)`, `Cancel(...)`, a payload (shorthand for
`Continue(payload)`) or None (unchanged); for a void event its result is ignored.
A sync function runs on the event loop, where no timeout can interrupt it: make anything
that blocks async (or hand it to `asyncio.to_thread`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from zeroclaw.hooks.events import Event, ModifyingPayload, VoidPayload
from zeroclaw.hooks.handler import (
    DEFAULT_FAILURE_POLICY,
    Cancel,
    Continue,
    FailurePolicy,
    HandlerSpec,
    HookOutcome,
)

# Any: each function takes one payload type of its own; the runner checks what it returns.
HookFunction = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class FunctionHandler:
    spec: HandlerSpec
    fn: HookFunction

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        outcome = self.handle_now(event, payload)
        if isinstance(outcome, Continue | Cancel):
            return outcome
        return await outcome

    def handle_now(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload] | Awaitable[HookOutcome[ModifyingPayload]]:
        """`handle` without a coroutine when the function is sync (handler.py)."""
        result = self.fn(payload)
        if (
            result is not None
            and not isinstance(result, Continue | Cancel)
            and inspect.isawaitable(result)
        ):
            return _awaited(result, payload)
        return _outcome(result, payload)

    async def observe(self, event: Event, payload: VoidPayload) -> None:
        result = self.fn(payload)
        if inspect.isawaitable(result):
            await result


def _outcome(value: Any, payload: ModifyingPayload) -> HookOutcome[ModifyingPayload]:
    """What a function's result means: None is unchanged, a payload is Continue(payload)."""
    if value is None:
        return Continue(payload)
    if isinstance(value, Continue | Cancel):
        return value
    return Continue(value)


async def _awaited(
    result: Awaitable[object], payload: ModifyingPayload
) -> HookOutcome[ModifyingPayload]:
    return _outcome(await result, payload)


def hook(
    *events: Event | str,
    name: str | None = None,
    priority: int = 0,
    timeout_s: float | None = None,
    failure_policy: FailurePolicy = DEFAULT_FAILURE_POLICY,
) -> Callable[[HookFunction], FunctionHandler]:
    """Make a native handler of a function; `name` defaults to the function's name."""

    def build(fn: HookFunction) -> FunctionHandler:
        handler_name = name if name is not None else str(getattr(fn, "__name__", ""))
        spec = HandlerSpec(
            name=handler_name,
            events=frozenset(Event.parse(event) for event in events),
            priority=priority,
            timeout_s=timeout_s,
            failure_policy=failure_policy,
        )
        return FunctionHandler(spec, fn)

    return build
