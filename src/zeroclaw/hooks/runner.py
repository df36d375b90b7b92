"""HookRunner: the registered handlers and what it means to call them.

Order. For every event, handlers run in one deterministic order: priority (higher
first), then handler name, then registration order. Native and plugin handlers share it.
The sorted table is rebuilt on (un)registration, never per dispatch, and swapped in one
assignment, so a dispatch in flight keeps the table it started with.

Modifying events: `await runner.run(event, payload)`. Handlers run one after another,
each seeing the previous one's payload. `Continue(p)` passes `p` on; `Cancel(reason)`
stops the chain at once. Each call has the handler's timeout. A handler that raises,
times out or returns anything but `Continue(<payload of the same type>)` or `Cancel`
has failed: fail_open skips it (logged, counted, payload unchanged), fail_closed stops
the chain as a Cancel whose reason names the handler and the cause. A failure is logged
as one WARNING line (handler, event, the error's type, message and hint, what followed);
its traceback only at DEBUG.

Void events: `runner.emit(event, payload)`. One background task per handler, so
handlers run concurrently and the caller never waits for any; each call has the
handler's timeout, and a failure is logged and counted, never raised. `await
runner.drain()` waits for the calls still running (shutdown, tests). A handler that
offers `observe_now` (handler.py: a plugin called inline) is called in place instead,
as `handle_now` is on a modifying event: a call that ends without waiting needs no task
(a task, its first run and its end cost more than a small guest's whole call); only the
awaitable it may hand back (a call that must wait) runs as a task, under the timeout.

Timeouts cost nothing on a call that does not wait. A handler's timeout can only fire
while the loop runs, and the loop runs only when the handler suspends; so each call first
runs up to its first suspension, and only a call that does suspend arms its timer (by the
deadline counted from the call's start). A handler that returns at once (a native
function, a plugin called on the loop's thread) never creates one. A handler may also
offer `handle_now` (handler.py): a plain function whose outcome comes without a coroutine
at all when the call does not wait, and an awaitable, taken as above, when it does.

What a dispatch pays per handler is kept to what its semantics need: the handler table
of each event is sorted when handlers are (un)registered, one clock read starts each call
(its deadline), a second one ends it only when the dispatch is explained, and the
counters are plain integers on the handler's entry.

Explain: with `run(..., explain=True)`, `runner.explain(...)` or debug logging on, a
modifying dispatch records each handler's outcome, duration and field changes: a tuple of
facts per handler while the chain runs (explain.StepFacts), from which the Explanation
builds its HandlerSteps and field diffs only when they are read (a tool call's provenance
reads a summary that builds neither).

One hop for a run of blocking handlers. A handler that offers `blocking_calls` (a plugin
called on worker threads, see handler.py) would cost a hop to a worker thread and back per
call, more than a small guest's whole call. So consecutive such handlers sharing the same
threads run in one hop: one thread calls them one after another, each given the payload
the one before passed on (the rule of the modifying loop below, `_passed_on`), until one
stops the chain; the loop then takes their outcomes in order, counting, logging and
explaining each exactly as if it had called it, and goes on with the handlers after them.
Each handler keeps its own timeout, counted from its own start on the thread (the first
one's from the hop, as its wait for a thread is part of its call): a timer on the loop
watches the handler running, and when one overruns, the loop stops waiting, counts it
as timed out, tells the thread to start no handler after it, and goes on with the rest of
the chain in a new hop. A blocked thread cannot be interrupted: the handler's own limit
(a plugin's epoch deadline) ends it, as it ends a call whose awaiting task stopped
waiting. When the awaiting task is cancelled mid-chain, the handler running finishes on
its thread (its result unused) and no handler after it starts; the cancellation goes up
through the dispatch as always.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable
from dataclasses import dataclass
from inspect import isawaitable
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar, cast

from zeroclaw.errors import error_line
from zeroclaw.hooks.events import (
    EVENT_SPECS,
    Event,
    HookKind,
    ModifyingPayload,
    Payload,
    VoidPayload,
)
from zeroclaw.hooks.explain import Explanation, StepFacts
from zeroclaw.hooks.handler import (
    BlockingCalls,
    Cancel,
    Continue,
    HandlerSpec,
    HookHandler,
)
from zeroclaw.observability import HookSkipped, NoopObserver, Observer

if TYPE_CHECKING:
    from zeroclaw.hooks.settings import HooksSettings

DEFAULT_TIMEOUT_S: Final = 5.0
DEFAULT_MAX_PENDING: Final = 1000
DEFAULT_DRAIN_TIMEOUT_S: Final = 5.0
# Time a cancelled void call gets to unwind at the end of `drain`.
_CANCEL_GRACE_S: Final = 1.0

_LOG = logging.getLogger("zeroclaw.hooks")

P = TypeVar("P", bound=ModifyingPayload)
T = TypeVar("T")
_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class HandlerStats:
    """Counters of one registered handler (since it was registered).

    `failures` counts exceptions and wrong return values, `timeouts` counts calls cut
    by the timeout (not included in `failures`), `cancels` counts Cancel returned, `skips`
    counts modifying calls that failed either way and were skipped (fail_open): calls in
    which what the handler guards did not happen.
    """

    calls: int = 0
    failures: int = 0
    timeouts: int = 0
    cancels: int = 0
    skips: int = 0


@dataclass(frozen=True, slots=True)
class RegisteredHandler:
    handler: HookHandler
    timeout_s: float
    stats: HandlerStats

    @property
    def spec(self) -> HandlerSpec:
        return self.handler.spec


@dataclass(frozen=True, slots=True)
class DispatchResult(Generic[P]):
    """The end of a modifying dispatch.

    `payload` is the final payload; when cancelled, the one the cancelling handler
    received. `explanation` is set when the dispatch was run with `explain=True`.
    """

    payload: P
    cancelled: bool = False
    reason: str | None = None
    cancelled_by: str | None = None
    explanation: Explanation | None = None


@dataclass(frozen=True, slots=True)
class _Failure:
    outcome: Literal["error", "timeout"]
    cause: str
    error: Exception | None = None


_Verdict = Continue[ModifyingPayload] | Cancel | _Failure


@dataclass(slots=True, eq=False)
class _Entry:
    """A registered handler with what the runner resolved for it and its counters."""

    handler: HookHandler
    spec: HandlerSpec
    seq: int
    timeout_s: float
    # `handle_now` if the handler offers it, else `handle` (resolved once: handler.py)
    call: Callable[[Event, ModifyingPayload], object]
    blocking: BlockingCalls | None = None
    # `observe_now` if the handler offers it (void events called in place: handler.py)
    observe_now: Callable[[Event, VoidPayload], Awaitable[None] | None] | None = None
    calls: int = 0
    failures: int = 0
    timeouts: int = 0
    cancels: int = 0
    skips: int = 0

    def sort_key(self) -> tuple[int, str, int]:
        return (-self.spec.priority, self.spec.name, self.seq)

    def stats(self) -> HandlerStats:
        return HandlerStats(self.calls, self.failures, self.timeouts, self.cancels, self.skips)

    def failure(self, error: Exception, waiting: _Waiting | None) -> _Failure:
        """Count a call that raised: `waiting` is the call's rest under its timer, if it
        suspended (else no timer was armed, and no timeout can have fired)."""
        # A TimeoutError raised by the handler's own code is an error, not our timeout.
        if isinstance(error, TimeoutError) and waiting is not None and waiting.expired():
            self.timeouts += 1
            return _Failure("timeout", f"timed out after {self.timeout_s:g}s")
        self.failures += 1
        return _Failure("error", f"raised {error_line(error)}", error)

    def judged(self, outcome: object, payload: P) -> Continue[P] | Cancel | _Failure:
        """A call's return value as the runner takes it (`_judged`), counted."""
        if type(outcome) is Continue and type(outcome.payload) is type(payload):
            return outcome  # the common answer, without a further call
        return self.tally(_judged(outcome, payload))

    def tally(self, verdict: _V) -> _V:
        """Count the outcome of a call (its `calls` counted already)."""
        if isinstance(verdict, Cancel):
            self.cancels += 1
        elif isinstance(verdict, _Failure):
            if verdict.outcome == "timeout":
                self.timeouts += 1
            else:
                self.failures += 1
        return verdict


class HookRunner:
    def __init__(
        self,
        *,
        default_timeout_s: float = DEFAULT_TIMEOUT_S,
        max_pending: int = DEFAULT_MAX_PENDING,
        drain_timeout_s: float = DEFAULT_DRAIN_TIMEOUT_S,
    ) -> None:
        self._default_timeout_s = default_timeout_s
        self._max_pending = max_pending
        self._drain_timeout_s = drain_timeout_s
        self._observer: Observer = NoopObserver()
        self._entries: tuple[_Entry, ...] = ()
        self._table: dict[Event, tuple[_Entry, ...]] = {}
        self._seq = itertools.count()
        # Registration may come from a reload thread; dispatch never takes this lock.
        self._lock = threading.Lock()
        self._pending: set[asyncio.Task[None]] = set()
        self._dropped = 0
        # A layered view (see `layered`): the runner whose handlers it shows live, its own
        # fixed handlers, and the base entries its table was last built from.
        self._base: HookRunner | None = None
        self._layer: tuple[_Entry, ...] = ()
        self._built_from: tuple[_Entry, ...] | None = None

    @classmethod
    def from_settings(cls, settings: HooksSettings) -> HookRunner:
        return cls(
            default_timeout_s=settings.timeout_ms / 1000,
            max_pending=settings.max_pending_void,
            drain_timeout_s=settings.drain_timeout_ms / 1000,
        )

    # -- registration ----------------------------------------------------------------------

    def register(self, *handlers: HookHandler) -> None:
        self.replace(add=handlers)

    def unregister(self, *handlers: HookHandler) -> None:
        self.replace(remove=handlers)

    def replace(
        self, *, remove: Iterable[HookHandler] = (), add: Iterable[HookHandler] = ()
    ) -> None:
        """Remove some handlers and add others in one step: no dispatch sees a table
        between the two."""
        if self._base is not None:
            raise TypeError("a layered hook runner is fixed: register on its base runner")
        with self._lock:
            removing = {id(handler) for handler in remove}
            registered = {id(entry.handler) for entry in self._entries}
            if not_registered := removing - registered:
                raise ValueError(f"{len(not_registered)} hook handler(s) are not registered")
            kept = [entry for entry in self._entries if id(entry.handler) not in removing]
            present = {id(entry.handler) for entry in kept}
            for handler in add:
                if id(handler) in present:
                    raise ValueError(f"hook handler {handler.spec.name!r} is already registered")
                present.add(id(handler))
                kept.append(self._entry(handler))
            self._entries = tuple(kept)
            self._table = _sorted_table(kept)

    def layered(self, handlers: Iterable[HookHandler]) -> HookRunner:
        """A runner that dispatches this runner's handlers (live: ones registered later
        too) together with `handlers` (fixed), in one order.

        A plugin snapshot's handlers join the native ones this way: each snapshot gets its
        own view, and a turn that took a view keeps it, so a reload never mixes two
        snapshots within one turn. The view's void calls are drained with this runner's.
        """
        view = HookRunner(
            default_timeout_s=self._default_timeout_s,
            max_pending=self._max_pending,
            drain_timeout_s=self._drain_timeout_s,
        )
        view._base = self
        view._pending = self._pending
        view._observer = self._observer
        with self._lock:
            view._layer = tuple(self._entry(handler) for handler in handlers)
        return view

    def _dispatch_table(self) -> dict[Event, tuple[_Entry, ...]]:
        base = self._base
        if base is not None and self._built_from is not base._entries:
            # The base's entries tuple is replaced, never mutated: identity tells a change.
            current = base._entries
            self._entries = (*current, *self._layer)
            self._table = _sorted_table(self._entries)
            self._built_from = current
        return self._table

    def _entry(self, handler: HookHandler) -> _Entry:
        spec = handler.spec
        timeout_s = self._default_timeout_s if spec.timeout_s is None else spec.timeout_s
        blocking: BlockingCalls | None = getattr(handler, "blocking_calls", None)
        call = getattr(handler, "handle_now", None) or handler.handle
        observe_now = getattr(handler, "observe_now", None)
        return _Entry(handler, spec, next(self._seq), timeout_s, call, blocking, observe_now)

    def handlers(self, event: Event | None = None) -> tuple[RegisteredHandler, ...]:
        """Registered handlers in dispatch order (of one event, or all), with counters."""
        table = self._dispatch_table()
        entries = (
            table.get(event, ())
            if event is not None
            else sorted(self._entries, key=_Entry.sort_key)
        )
        return tuple(RegisteredHandler(e.handler, e.timeout_s, e.stats()) for e in entries)

    def has_handlers(self, event: Event) -> bool:
        return event in self._dispatch_table()

    # -- modifying dispatch ----------------------------------------------------------------

    async def run(self, event: Event, payload: P, *, explain: bool = False) -> DispatchResult[P]:
        """Run the handlers of a modifying event in order; see the module docstring."""
        _check_payload(event, payload, HookKind.MODIFYING)
        entries = self._dispatch_table().get(event, ())
        if not entries and not explain:
            return DispatchResult(payload)
        recording = explain or _LOG.isEnabledFor(logging.DEBUG)
        facts: list[StepFacts] = []
        current = payload
        stopped_by: str | None = None
        reason: str | None = None

        index, count = 0, len(entries)
        ran: Iterable[tuple[_Entry, _Verdict, float]]
        while index < count and stopped_by is None:
            entry = entries[index]
            if entry.blocking is None:
                started = time.monotonic()
                called: Any = _call(entry, event, current, started)
                if type(called) is _Waiting:
                    called = await called.verdict(entry, current)
                if type(called) is Continue:
                    # The common step: it went on. Its record (when recording: the tool
                    # gate's dispatches always are) is `_facts`' of a Continue, made here.
                    index += 1
                    if recording:
                        ms = (time.monotonic() - started) * 1000
                        facts.append((entry.spec, "continue", None, ms, current, called.payload))
                    current = called.payload
                    continue
                ended = time.monotonic() if recording else started
                ran = ((entry, called, ended - started),)
            else:  # it and the blocking handlers after it, in one hop (module docstring)
                ran = await _call_on_thread(_blocking_run(entries, index), event, current)
            for entry, outcome, duration_s in ran:
                index += 1
                before = current
                if isinstance(outcome, Continue):
                    current = outcome.payload  # type: ignore[assignment]  # no cast() call
                elif isinstance(outcome, Cancel):
                    stopped_by, reason = entry.spec.name, outcome.reason
                elif entry.spec.failure_policy == "fail_closed":
                    stopped_by, reason = entry.spec.name, _fail_closed(entry, event, outcome)
                else:
                    _log_failure(entry, event, outcome, "skipped (fail_open)")
                    self._skipped(entry, event, outcome)
                if recording:
                    facts.append(_facts(entry.spec, outcome, duration_s * 1000, before, current))
                if stopped_by is not None:
                    break

        explanation = None
        if recording:
            explanation = _explanation(event, facts, stopped_by, reason)
            if _LOG.isEnabledFor(logging.DEBUG):
                _LOG.debug("%s", explanation.render())
        return DispatchResult(
            current,
            cancelled=stopped_by is not None,
            reason=reason,
            cancelled_by=stopped_by,
            explanation=explanation if explain else None,
        )

    def observe_with(self, observer: Observer) -> None:
        """Record `HookSkipped` on `observer` from now on (views taken later too). Set after
        construction: the observer's ObserverBridge needs this runner first."""
        self._observer = observer

    def _skipped(self, entry: _Entry, event: Event, failure: _Failure) -> None:
        """Count a fail_open skip where operators look: the handler's stats, the
        `zeroclaw_hook_skips` metric, and the handler itself if it keeps counts of its own
        (a plugin's, shown by `plugins info` and `plugins status`)."""
        entry.skips += 1
        self._observer.record(
            HookSkipped(entry.spec.name, entry.spec.source, event.value, failure.cause)
        )
        count_skip = getattr(entry.handler, "skipped", None)
        if callable(count_skip):
            count_skip(event)

    async def explain(self, event: Event, payload: P) -> Explanation:
        """Run a modifying dispatch (handlers really run) and tell what happened."""
        result = await self.run(event, payload, explain=True)
        assert result.explanation is not None
        return result.explanation

    # -- void dispatch ---------------------------------------------------------------------

    def emit(self, event: Event, payload: VoidPayload) -> None:
        """Call the handlers of a void event without waiting for any: in place those that
        offer `observe_now` and end at once, the others in the background."""
        _check_payload(event, payload, HookKind.VOID)
        entries = self._dispatch_table().get(event)
        if not entries:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._dropped += len(entries)
            _LOG.warning("hook event %s emitted outside an event loop: dropped", event.value)
            return
        index = 0
        while index < len(entries):
            entry = entries[index]
            # A run of blocking handlers is one task and one hop (module docstring).
            run = _blocking_run(entries, index) if entry.blocking is not None else (entry,)
            index += len(run)
            rest: tuple[Awaitable[None], float] | None = None
            if entry.blocking is None and entry.observe_now is not None:
                rest = self._observe_now(entry, event, payload)
                if rest is None:
                    continue
            if len(self._pending) >= self._max_pending:
                self._dropped += len(run)
                _LOG.warning(
                    "hook %s on %s dropped: %d void-hook calls already running "
                    "(hooks.max_pending_void)",
                    ", ".join(repr(e.spec.name) for e in run),
                    event.value,
                    len(self._pending),
                )
                if rest is not None and type(rest[0]) is CoroutineType:
                    rest[0].close()  # never started: nothing to wait for
                continue
            call = (
                self._observe_on_thread(run, event, payload)
                if entry.blocking is not None
                else self._observe(entry, event, payload)
                if rest is None
                else self._observe_rest(entry, event, *rest)
            )
            task = loop.create_task(call, name=f"hook:{event.value}:{entry.spec.name}")
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    def _observe_now(
        self, entry: _Entry, event: Event, payload: VoidPayload
    ) -> tuple[Awaitable[None], float] | None:
        """A void call in place (`observe_now`): None when it ended (a failure logged and
        counted), else the awaitable of the call's rest and when the call started, for a
        task (`_observe_rest`)."""
        assert entry.observe_now is not None
        entry.calls += 1
        started = time.monotonic()
        try:
            rest = entry.observe_now(event, payload)
        except Exception as error:
            _log_failure(entry, event, entry.failure(error, None), "isolated (void event)")
            return None
        if rest is None or not isawaitable(rest):
            if _LOG.isEnabledFor(logging.DEBUG):
                _LOG.debug(
                    "hook %r observed %s in %.3f ms",
                    entry.spec.name,
                    event.value,
                    (time.monotonic() - started) * 1000,
                )
            return None
        return rest, started

    async def _observe_rest(
        self, entry: _Entry, event: Event, rest: Awaitable[None], started: float
    ) -> None:
        """The rest of a void call begun in place, under the timeout counted from its start."""
        waiting = _Waiting(rest, _NOT_STARTED, started + entry.timeout_s)
        try:
            await waiting.result()
        except Exception as error:
            _log_failure(entry, event, entry.failure(error, waiting), "isolated (void event)")
            return
        _log_observed(entry, event, started)

    async def _observe(self, entry: _Entry, event: Event, payload: VoidPayload) -> None:
        entry.calls += 1
        started = time.monotonic()
        waiting: _Waiting | None = None
        try:
            step = _first_step(entry.handler.observe(event, payload), started + entry.timeout_s)
            if type(step) is _Waiting:
                waiting = step
                await waiting.result()
        except Exception as error:
            _log_failure(entry, event, entry.failure(error, waiting), "isolated (void event)")
            return
        _log_observed(entry, event, started)

    async def _observe_on_thread(
        self, run: tuple[_Entry, ...], event: Event, payload: VoidPayload
    ) -> None:
        """The handlers of `run` one after another in one hop to one of their threads; after
        one that overran its timeout, the rest in a new hop."""
        for entry in run:
            entry.calls += 1
        while run:
            hop = _Hop(run)
            threads = cast(BlockingCalls, run[0].blocking).threads
            await hop.wait(threads.submit(_observe_all, hop, event, payload))
            taken = hop.taken()
            for entry, failure, duration_s in taken:
                if not isinstance(failure, _Failure):
                    _LOG.debug(
                        "hook %r observed %s in %.3f ms",
                        entry.spec.name,
                        event.value,
                        duration_s * 1000,
                    )
                else:
                    entry.tally(failure)
                    _log_failure(entry, event, failure, "isolated (void event)")
            run = run[len(taken) :]

    async def drain(self, timeout_s: float | None = None) -> int:
        """Wait for running void-hook calls; cancel those still running after
        `timeout_s` (default: `[hooks] drain_timeout_ms`). Returns how many were cancelled."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self._drain_timeout_s if timeout_s is None else timeout_s)
        # Loop: a handler may itself emit, adding calls while we wait.
        while self._pending and (remaining := deadline - loop.time()) > 0:
            await asyncio.wait(set(self._pending), timeout=remaining)
        leftover = set(self._pending)
        for task in leftover:
            task.cancel()
        if leftover:
            await asyncio.wait(leftover, timeout=_CANCEL_GRACE_S)
        return len(leftover)

    @property
    def pending(self) -> int:
        """Void-hook calls running now."""
        return len(self._pending)

    @property
    def dropped(self) -> int:
        """Void-hook calls never started: over `max_pending`, or emitted without a loop."""
        return self._dropped


# Where a caller gets the runner to dispatch on: a fixed runner, or the layered view of
# the live plugin snapshot (asked once per turn, or once per void event).
HookSource = Callable[[], HookRunner]


def hook_source(hooks: HookRunner | HookSource | None) -> HookSource:
    """A source for `hooks`: a runner stands for itself; None for an empty runner."""
    if hooks is None:
        hooks = HookRunner()
    if isinstance(hooks, HookRunner):
        runner = hooks
        return lambda: runner
    return hooks


# -- the pieces the loops above use --------------------------------------------------------


def _judged(outcome: object, payload: P) -> Continue[P] | Cancel | _Failure:
    """A handler's return value as the runner takes it: a Continue with a payload of the
    same type, a Cancel with a reason, or a failure."""
    if isinstance(outcome, Continue) and type(outcome.payload) is type(payload):
        return cast(Continue[P], outcome)
    if isinstance(outcome, Cancel) and isinstance(outcome.reason, str):
        return outcome
    return _Failure(
        "error",
        f"returned {_describe(outcome)}, expected Continue({type(payload).__name__}) or "
        "Cancel(reason)",
    )


def _passed_on(entry: _Entry, verdict: _Verdict, current: P) -> P | None:
    """What one step of a modifying chain hands the next handler: the payload a Continue
    carries, the same payload after a skipped failure (fail_open), or None when the chain
    stops (a Cancel, a fail_closed failure). `HookRunner.run` spells the same rule out."""
    if isinstance(verdict, Continue):
        return cast(P, verdict.payload)
    if isinstance(verdict, Cancel) or entry.spec.failure_policy == "fail_closed":
        return None
    return current


def _blocking_run(entries: tuple[_Entry, ...], start: int) -> tuple[_Entry, ...]:
    """The handlers from `start` on that offer blocking calls on the same threads."""
    threads = cast(BlockingCalls, entries[start].blocking).threads
    end = start + 1
    while end < len(entries) and (b := entries[end].blocking) is not None and b.threads is threads:
        end += 1
    return entries[start:end]


async def _call_on_thread(
    run: tuple[_Entry, ...], event: Event, payload: P
) -> list[tuple[_Entry, _Verdict, float]]:
    """Call the handlers of `run` in one hop to one of their threads (module docstring):
    the steps taken, each with its counted verdict and duration in seconds, in order. The
    handlers after a step that stopped the chain are not among them, nor are those after
    one that timed out (the caller goes on with those)."""
    hop = _Hop(run)
    threads = cast(BlockingCalls, run[0].blocking).threads
    await hop.wait(threads.submit(_chain, hop, event, payload))
    taken = cast(list[tuple[_Entry, _Verdict, float]], hop.taken())
    for entry, verdict, _ in taken:
        entry.calls += 1
        entry.tally(verdict)
    return taken


def _observe_all(hop: _Hop, event: Event, payload: VoidPayload) -> None:
    """On a worker thread: the void handlers of `hop`, one after another, until the loop
    stops waiting (a failure is recorded, never raised)."""
    if not hop.begin():
        return
    for entry in hop.run:
        observe = cast(BlockingCalls, entry.blocking).observe
        started = time.perf_counter()
        failure: _Failure | None = None
        try:
            observe(event, payload)
        except Exception as error:
            failure = _Failure("error", f"raised {error_line(error)}", error)
        if not hop.ended(failure, time.perf_counter() - started):
            return


def _chain(hop: _Hop, event: Event, payload: ModifyingPayload) -> None:
    """On a worker thread: the handlers of `hop`, each given what the one before passed
    on, until one stops the chain or the loop stopped waiting."""
    if not hop.begin():
        return
    current = payload
    for entry in hop.run:
        handle = cast(BlockingCalls, entry.blocking).handle
        started = time.perf_counter()
        verdict: _Verdict
        try:
            verdict = _judged(handle(event, current), current)
        except Exception as error:
            verdict = _Failure("error", f"raised {error_line(error)}", error)
        passed_on = _passed_on(entry, verdict, current)
        if not hop.ended(verdict, time.perf_counter() - started, last=passed_on is None):
            return
        current = cast(ModifyingPayload, passed_on)


class _Hop:
    """One run of blocking handlers handed to a thread: what the thread did so far, and
    the loop's watch over each handler's timeout. The thread appends each step's verdict;
    the loop reads them once the thread is done, or once it stopped waiting (a handler
    overran its timeout, or the awaiting task was cancelled), after which the thread
    starts no further handler. One lock orders the two."""

    __slots__ = (
        "_abandoned",
        "_done",
        "_finished",
        "_future",
        "_lock",
        "_overrun",
        "_since",
        "_timer",
        "run",
    )

    def __init__(self, run: tuple[_Entry, ...]) -> None:
        self.run = run
        self._lock = threading.Lock()
        self._done: list[tuple[_Verdict | None, float]] = []  # None: a void call that ended
        self._since = time.monotonic()  # when the handler running now started (or the hop)
        self._abandoned = False
        self._finished = False  # the thread ran its last step: its result is on its way
        self._overrun: tuple[_Entry, float] | None = None
        self._future: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    # -- on the thread

    def begin(self) -> bool:
        """Whether the loop still waits for the first handler (whose time counts from the
        hop: its wait for a thread is part of its call)."""
        with self._lock:
            return not self._abandoned

    def ended(self, verdict: _Verdict | None, duration_s: float, *, last: bool = False) -> bool:
        """Record a step (`last`: it stopped the chain); whether to start the next one."""
        with self._lock:
            if self._abandoned:
                return False
            self._done.append((verdict, duration_s))
            self._since = time.monotonic()
            self._finished = last or len(self._done) == len(self.run)
            return not self._finished

    # -- on the loop

    async def wait(self, future: asyncio.Future[None]) -> None:
        """Until the thread is done, or a handler overran its timeout."""
        self._future = future
        self._watch()
        try:
            await future
        finally:
            if self._timer is not None:
                self._timer.cancel()
            with self._lock:
                self._abandoned = True

    def _watch(self) -> None:
        future = self._future
        assert future is not None
        if future.done():
            return
        with self._lock:
            if self._finished:
                return
            step = len(self._done)
            entry = self.run[step]
            running_s = time.monotonic() - self._since
            if running_s >= entry.timeout_s:
                self._abandoned = True
                self._overrun = (entry, running_s)
        if self._overrun is not None:
            future.set_result(None)
            return
        # Look again when the handler running now would be late, or sooner if a shorter
        # timeout after it could end first (a handler after it starts no sooner than now).
        wait_s = entry.timeout_s - running_s
        for later in self.run[step + 1 :]:
            wait_s = min(wait_s, later.timeout_s)
        self._timer = asyncio.get_running_loop().call_later(wait_s, self._watch)

    def taken(self) -> list[tuple[_Entry, _Verdict | None, float]]:
        """The steps the loop takes: those done, then the one that overran, if one did."""
        with self._lock:
            done = list(zip(self.run, self._done, strict=False))
        taken = [(entry, verdict, duration_s) for entry, (verdict, duration_s) in done]
        if self._overrun is not None:
            entry, running_s = self._overrun
            taken.append(
                (entry, _Failure("timeout", f"timed out after {entry.timeout_s:g}s"), running_s)
            )
        return taken


def _call(
    entry: _Entry, event: Event, payload: P, started: float
) -> Continue[P] | Cancel | _Failure | _Waiting:
    """One handler's call on a modifying event, started at `started` (`time.monotonic()`,
    the clock of asyncio's loops), up to its first suspension: its counted verdict if it
    ended there, else the call waiting (`_Waiting.verdict` takes the rest)."""
    entry.calls += 1
    try:
        outcome = _first_step(entry.call(event, payload), started + entry.timeout_s)
    except Exception as error:
        return entry.failure(error, None)
    if type(outcome) is _Waiting:
        return outcome
    return entry.judged(outcome, payload)


def _first_step(call: object, deadline: float) -> Any:
    """What a handler's call returned, run up to its first suspension if it is a coroutine:
    its value if it ended (or if it was a value already: an outcome from `handle_now`),
    else a `_Waiting` for the rest, whose timer fires at `deadline`."""
    if type(call) is CoroutineType:
        try:
            step = call.send(None)
        except StopIteration as done:
            return done.value
        return _Waiting(call, step, deadline)
    if type(call) is Continue or type(call) is Cancel or not isawaitable(call):
        return call
    return _Waiting(call, _NOT_STARTED, deadline)


_NOT_STARTED: Any = object()  # an awaitable that is not a coroutine: nothing ran of it yet


class _Waiting:
    """The rest of a handler's call that suspended (or an awaitable that is no coroutine),
    under its timeout: the timer is armed only now (see the module docstring), for the
    deadline counted from the call's start."""

    __slots__ = ("_call", "_deadline", "_step", "_timeout")

    def __init__(self, call: Awaitable[Any], step: Any, deadline: float) -> None:
        self._call = call
        self._step = step
        self._deadline = deadline
        self._timeout: asyncio.Timeout | None = None

    async def result(self) -> Any:
        self._timeout = asyncio.timeout_at(self._deadline)
        async with self._timeout:
            if self._step is _NOT_STARTED:
                return await self._call
            return await _Resumed(cast(Coroutine[Any, Any, Any], self._call), self._step)

    async def verdict(self, entry: _Entry, payload: P) -> Continue[P] | Cancel | _Failure:
        """The counted verdict of a modifying call (its `calls` counted already)."""
        try:
            outcome = await self.result()
        except Exception as error:
            return entry.failure(error, self)
        return entry.judged(outcome, payload)

    def expired(self) -> bool:
        return self._timeout is not None and self._timeout.expired()


class _Resumed(Generic[T]):
    """The rest of a coroutine that already ran up to its first suspension (which yielded
    `step`): awaiting this hands `step` to the task and goes on from there."""

    __slots__ = ("_call", "_step")

    def __init__(self, call: Coroutine[Any, Any, T], step: Any) -> None:
        self._call = call
        self._step = step

    def __await__(self) -> Generator[Any, Any, T]:
        call, step = self._call, self._step
        while True:
            try:
                sent = yield step
            except GeneratorExit:
                call.close()
                raise
            except BaseException as error:  # cancellation included: the call handles it
                try:
                    step = call.throw(error)
                except StopIteration as done:
                    return cast(T, done.value)
            else:
                try:
                    step = call.send(sent)
                except StopIteration as done:
                    return cast(T, done.value)


_PAYLOAD_TYPES: dict[HookKind, dict[Event, type[Payload]]] = {
    kind: {event: spec.payload_type for event, spec in EVENT_SPECS.items() if spec.kind is kind}
    for kind in HookKind
}
_DISPATCH = {HookKind.MODIFYING: "run()", HookKind.VOID: "emit()"}


def _check_payload(event: Event, payload: object, kind: HookKind) -> None:
    # A mismatch here is a bug at the call site, so it raises instead of being skipped.
    if type(payload) is _PAYLOAD_TYPES[kind].get(event):
        return
    if event.kind is not kind:
        raise TypeError(
            f"{event.value} is a {event.kind.value} event: dispatch it with {_DISPATCH[event.kind]}"
        )
    raise TypeError(
        f"{event.value} takes a payload of type {event.payload_type.__name__}, "
        f"got {type(payload).__name__}"
    )


def _sorted_table(entries: Iterable[_Entry]) -> dict[Event, tuple[_Entry, ...]]:
    table: dict[Event, list[_Entry]] = {}
    for entry in sorted(entries, key=_Entry.sort_key):
        for event in entry.spec.events:
            table.setdefault(event, []).append(entry)
    return {event: tuple(ordered) for event, ordered in table.items()}


def _facts(
    spec: HandlerSpec,
    outcome: Continue[ModifyingPayload] | Cancel | _Failure,
    duration_ms: float,
    before: ModifyingPayload,
    after: ModifyingPayload,
) -> StepFacts:
    if isinstance(outcome, Continue):
        return (spec, "continue", None, duration_ms, before, after)
    if isinstance(outcome, Cancel):
        return (spec, "cancel", outcome.reason, duration_ms, before, after)
    return (spec, outcome.outcome, outcome.cause, duration_ms, before, after)


def _explanation(
    event: Event, facts: list[StepFacts], stopped_by: str | None, reason: str | None
) -> Explanation:
    if stopped_by is None:
        stop = "no handlers" if not facts else "every handler ran to the end of the chain"
    elif facts[-1][1] == "cancel":
        stop = f"cancelled by {stopped_by}: {reason}"
    else:
        stop = f"stopped: {reason}"
    return Explanation.of_facts(event, tuple(facts), stop, stopped_by)


def _log_observed(entry: _Entry, event: Event, started: float) -> None:
    _LOG.debug(
        "hook %r observed %s in %.3f ms",
        entry.spec.name,
        event.value,
        (time.monotonic() - started) * 1000,
    )


def _fail_closed(entry: _Entry, event: Event, failure: _Failure) -> str:
    """A fail_closed handler failed: logged, and the reason the chain is cancelled."""
    _log_failure(entry, event, failure, "the chain is cancelled (fail_closed)")
    return f"hook {entry.spec.name!r} failed ({failure.cause}) and is fail_closed"


def _log_failure(entry: _Entry, event: Event, failure: _Failure, consequence: str) -> None:
    """One line: the handler, the event, the typed error with its hint, what followed.
    The traceback says nothing an operator can act on: it is logged at debug only."""
    _LOG.warning(
        "hook %r (%s) failed on %s: %s; %s",
        entry.spec.name,
        entry.spec.source,
        event.value,
        failure.cause,
        consequence,
    )
    if failure.error is not None and _LOG.isEnabledFor(logging.DEBUG):
        _LOG.debug(
            "hook %r failed on %s, traceback:",
            entry.spec.name,
            event.value,
            exc_info=failure.error,
        )


def _describe(value: object) -> str:
    if isinstance(value, Continue):
        return f"Continue({type(value.payload).__name__})"
    return type(value).__name__
