"""The one interface every hook handler implements: native Python, built-in hooks and
WASM plugin adapters alike.

A handler is a `HandlerSpec` (who it is, which events, where it sorts, how long it may
take, what its failure means) and two coroutines, one per kind of event:

- `handle(event, payload)` for modifying events returns `Continue(payload)` (unchanged or
  a changed copy) or `Cancel(reason)`;
- `observe(event, payload)` for void events returns nothing.

The runner only calls the method that matches the kind of an event the handler declared.

A handler whose modifying calls usually end without waiting (a sync function, a plugin
called inline) may also offer `handle_now(event, payload)`: a plain function returning
the outcome when the call did not wait, or an awaitable of it when it must (the runner
then awaits that under the handler's timeout, as a `handle` that suspended). The runner
calls it instead of `handle`, which saves creating and running a coroutine per call;
`handle` must mean the same. On a void event, `observe_now(event, payload)` is the same
offer: it returns None when the call ended, or an awaitable of the call's rest, which
the runner then awaits in a task under the handler's timeout; `observe` must mean the
same. The runner calls it in place, inside `emit`, so it must not block: offer it only
for calls bounded as a plugin's inline call is (wasm/inline.py).

A handler whose every call would block a thread, and so hops to a worker thread and back
(a WASM plugin whose calls run on worker threads), may also offer its calls as plain blocking
functions: a `blocking_calls` attribute holding `BlockingCalls` (None, or no such
attribute, when it does not). The runner then runs each run of consecutive handlers that
share the same `threads` in one hop to one of those threads, each handler's output handed
to the next there, instead of one hop per handler (runner.py).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, Protocol, TypeAlias, TypeVar

from zeroclaw.hooks.events import Event, ModifyingPayload, VoidPayload

FailurePolicy = Literal["fail_open", "fail_closed"]

# A handler that raises or times out is skipped unless it says otherwise. A broken
# enricher or logger must not take every turn down with it; a guard opts into
# fail_closed explicitly, because failing closed has the same power as cancelling (and
# the plugin runtime grants that power, like Cancel, only to plugins allowed to cancel).
DEFAULT_FAILURE_POLICY: Final[FailurePolicy] = "fail_open"

NATIVE: Final = "native"
_PLUGIN_SOURCE = re.compile(r"plugin:[a-z0-9][a-z0-9_-]*")

P_co = TypeVar("P_co", covariant=True)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Continue(Generic[P_co]):
    """Go on with `payload` (the one received, or a changed copy of the same type)."""

    payload: P_co


@dataclass(frozen=True, slots=True)
class Cancel:
    """Stop the chain; the call site acts on `reason` (see docs/hooks.md)."""

    reason: str


HookOutcome: TypeAlias = Continue[P_co] | Cancel


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    """What the runner needs to know about a handler, checked once when it is built.

    `source` is "native" or "plugin:<name>". `timeout_s` None takes the runner's default
    (`[hooks] timeout_ms`). `failure_policy` applies to modifying events only: a void
    handler that fails is always logged, counted and skipped.

    `call_timeout_ms` is the limit a handler enforces on each call itself (a plugin's
    `limits.timeout_ms`, enforced by the plugin runtime); `timeout_s` is then only the
    runner's outer bound, set past it so the handler's own typed error comes first. What
    a user reads as "the timeout" is `call_timeout_ms` when set.
    """

    name: str
    events: frozenset[Event]
    priority: int = 0
    source: str = NATIVE
    timeout_s: float | None = None
    failure_policy: FailurePolicy = DEFAULT_FAILURE_POLICY
    call_timeout_ms: int | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a hook handler needs a non-empty name")
        if not self.events:
            raise ValueError(f"hook handler {self.name!r} handles no events")
        if not all(isinstance(event, Event) for event in self.events):
            raise TypeError(f"hook handler {self.name!r}: events must be Event members")
        if self.source != NATIVE and not _PLUGIN_SOURCE.fullmatch(self.source):
            raise ValueError(
                f"hook handler {self.name!r}: source must be 'native' or 'plugin:<name>', "
                f"got {self.source!r}"
            )
        if self.timeout_s is not None and not (
            self.timeout_s > 0 and math.isfinite(self.timeout_s)
        ):
            raise ValueError(
                f"hook handler {self.name!r}: timeout_s must be a positive number of seconds"
            )
        if self.failure_policy not in ("fail_open", "fail_closed"):
            raise ValueError(
                f"hook handler {self.name!r}: failure_policy must be 'fail_open' or "
                f"'fail_closed', got {self.failure_policy!r}"
            )


class HookHandler(Protocol):
    @property
    def spec(self) -> HandlerSpec: ...

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]: ...

    async def observe(self, event: Event, payload: VoidPayload) -> None: ...


class HookThreads(Protocol):
    """Worker threads blocking handler calls run on (a plugin runtime's)."""

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Hand `fn(*args)` to a thread and return at once; the future (of the running
        loop) gets its result or exception. A future cancelled before a thread took the
        call drops it."""
        ...


@dataclass(frozen=True, slots=True)
class BlockingCalls:
    """A handler's `handle` and `observe` as functions that block the thread they run on,
    and the threads they are meant to run on. Called only on one of `threads`, never on
    the event loop's; they enforce the call's time limit themselves (a plugin's epoch
    deadline), since nothing can interrupt a blocked thread from outside."""

    threads: HookThreads
    handle: Callable[[Event, ModifyingPayload], HookOutcome[ModifyingPayload]]
    observe: Callable[[Event, VoidPayload], None]
