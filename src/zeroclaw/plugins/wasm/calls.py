"""Calling into one loaded plugin: limits, slots, warm instances, failures, the breaker.

`PluginCalls.call` is the one path every call into a plugin takes (hook, tool or provider
function), in this order:

1. the circuit breaker admits the call, or it is refused with `PluginQuarantined`;
2. a call slot is taken (`limits.max_concurrency` per plugin); when all are taken the call
   waits up to `limits.timeout_ms`, then fails with `PluginBusy`;
3. a warm instance is taken from the pool (or instantiated in a fresh store, with its
   deadline set first);
4. the store gets its deadline (and fuel), the arguments go in through the function's
   cached codec (`conversion.py`), the guest runs, the result comes out and `interpret`
   turns it into what the caller needs;
5. on success the instance goes back to the pool; on any failure its store is dropped and
   the failure is classified (`traps.classify`, with what the guest reported about it
   through zeroclaw:host/console: its uncaught exception, or the field of a bad result),
   counted, reported to the observer (`PluginCall`, and `PluginTrap` for traps, timeouts
   and memory overruns) and raised.

`call_async` runs the same call on the plugin's own worker threads (as many as its
concurrency limit, workers.py), so the event loop never waits for wasm and a slow plugin
queues only its own calls. wasmtime releases the GIL while the guest runs. A plugin whose calls are
known to end soon (`inline.py`: a short time limit, host imports that end by the call's
deadline) is called on the loop's own thread instead, within the loop budget that module
documents, when one of its slots is free at once; the thread hop costs more than such a
call. A plugin that may be run again (inline.py's "inline first") tries each call inline
with a short deadline first, on a warm idle instance, and only a call that this deadline
interrupts runs again on the worker threads, with what is left of its own time limit; the
abandoned attempt counts nothing but `inline_overruns`. `call_inline` is the inline call
(or attempt) alone, without a coroutine: a caller tries it first and awaits `call_async`,
handing it what `call_inline` answered, only when that is a `NotInline` (the hook adapter
does).

What a call costs besides the guest is kept to one clock read at each end (the deadline,
the slot's wait, the duration and the loop budget all count from the call's start), two
uncontended lock acquisitions (the slot), and one C call to arm the store's epoch deadline
(its address kept by the warm instance); no `PluginCall` event is built when no observer
records it (`observability.observes`: observability off, or only the audit log and the
hooks' bridge).

Self-description at load (`describe`) runs in a fresh store that is dropped afterwards:
a candidate plugin that is never published leaves nothing running, and nothing from load
time carries over into serving.

This module imports wasmtime; import it only when plugins are enabled.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

from zeroclaw.observability import Error, NoopObserver, Observer, PluginCall, observes
from zeroclaw.observability import PluginQuarantined as PluginQuarantinedEvent
from zeroclaw.observability import PluginTrap as PluginTrapEvent
from zeroclaw.plugins.errors import (
    GuestErrorReport,
    PluginBadResult,
    PluginBusy,
    PluginCallError,
    PluginHostError,
    PluginMemoryExceeded,
    PluginQuarantined,
    PluginTimeout,
    PluginTrap,
)
from zeroclaw.plugins.wasm.breaker import BreakerSettings, BreakerStatus, CircuitBreaker
from zeroclaw.plugins.wasm.conversion import FunctionCodec
from zeroclaw.plugins.wasm.inline import (
    LOOP_BUDGET,
    OVERRUN_BACKOFF_CALLS,
    OVERRUN_BACKOFF_MAX_CALLS,
    InlineMode,
)
from zeroclaw.plugins.wasm.instance import InstanceFactory, InstancePool, WarmInstance
from zeroclaw.plugins.wasm.traps import CallLimits, classify, is_interrupt
from zeroclaw.plugins.wasm.workers import PluginWorkers

T = TypeVar("T")


class NotInline:
    """What `call_inline` returns when the call must go to `call_async` instead: not run
    inline (`NOT_INLINE`), or an inline-first attempt that its inline deadline interrupted
    (`started`: when the call began; its own time limit counts from then)."""

    __slots__ = ("started",)

    def __init__(self, started: float | None = None) -> None:
        self.started = started


NOT_INLINE: Final = NotInline()


class _Abandoned(Exception):
    """An inline-first attempt that did not run to its end: no warm idle instance (nothing
    ran), or interrupted by its inline deadline (`overran`). Never leaves this module."""

    def __init__(self, overran: bool) -> None:
        self.overran = overran


_LOG = logging.getLogger("zeroclaw.plugins")

DEFAULT_RECYCLE_AFTER_CALLS = 1000


@dataclass(frozen=True, slots=True)
class RuntimeSettings:
    """How every plugin's calls are run (not configurable per plugin)."""

    recycle_after_calls: int = DEFAULT_RECYCLE_AFTER_CALLS
    breaker: BreakerSettings = field(default_factory=BreakerSettings)


class CallDeadline:
    """The monotonic time by which the call running on the current thread must end: what
    host functions (http) give the guest as their own deadline."""

    def __init__(self) -> None:
        self._local = threading.local()

    def set(self, at: float) -> None:
        self._local.at = at

    def __call__(self) -> float:
        at: float | None = getattr(self._local, "at", None)
        return time.monotonic() if at is None else at


class GuestReports(Protocol):
    """What the guest reported about its current call (host/console.py's GuestConsole)."""

    def begin(self) -> None: ...

    def error(self) -> GuestErrorReport | None: ...

    def bad_result(self) -> str | None: ...


class AttemptOutput(Protocol):
    """Where the guest's log and console lines wait during an inline-first attempt
    (host/held_output.py's HeldOutput)."""

    def hold(self) -> None: ...

    def release(self) -> None: ...

    def drop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CallStats:
    """Counters of one plugin since it was loaded."""

    calls: int = 0
    ok: int = 0
    failures: int = 0  # the plugin's fault: traps, timeouts, memory, bad results
    timeouts: int = 0
    traps: int = 0
    memory: int = 0
    bad_results: int = 0
    host_errors: int = 0
    busy: int = 0
    quarantined: int = 0
    ignored_changes: int = 0
    skipped: int = 0  # failed hook calls the runner skipped (fail_open)
    inline_overruns: int = 0  # inline-first attempts abandoned at their inline deadline
    instances_created: int = 0
    instances_recycled: int = 0
    instances_discarded: int = 0
    peak_concurrency: int = 0


class _Slots:
    """The plugin's call slots and counters under one lock (one acquisition per step of a
    call: they are on every call's path)."""

    def __init__(self, capacity: int) -> None:
        self.lock = threading.Lock()
        self._freed = threading.Condition(self.lock)
        self.capacity = capacity
        self.values: dict[str, int] = dict.fromkeys(CallStats.__dataclass_fields__, 0)
        self.running = 0
        # On every call's path, so kept apart from `values` (attributes, not dict items).
        self.ok = 0
        self.peak = 0
        self._waiting = 0  # calls waiting for a slot: only then is a freed slot notified

    def counts(self) -> dict[str, int]:
        """`values` with the counters kept apart (under the lock)."""
        with self.lock:
            values = dict(self.values)
            values["ok"] += self.ok
            values["peak_concurrency"] = self.peak
        return values

    def add(self, **amounts: int) -> None:
        with self.lock:
            for name, amount in amounts.items():
                self.values[name] += amount

    def take_now(self) -> bool:
        """Count a call and take a slot if one is free; False (nothing counted) if not."""
        with self.lock:
            running = self.running + 1
            if running > self.capacity:
                return False
            self.values["calls"] += 1
            self.running = running
            self.peak = max(self.peak, running)
            return True

    def take(self, timeout_s: float) -> bool:
        """Count a call and take a slot for it, waiting up to `timeout_s`; False if none
        came free."""
        with self.lock:
            self.values["calls"] += 1
            if self.running >= self.capacity:
                self._waiting += 1
                try:
                    if not self._freed.wait_for(
                        lambda: self.running < self.capacity, max(0.0, timeout_s)
                    ):
                        return False
                finally:
                    self._waiting -= 1
            self.running += 1
            self.peak = max(self.peak, self.running)
            return True

    def give_back(self, **amounts: int) -> None:
        with self.lock:
            self.running -= 1
            for name, amount in amounts.items():
                self.values[name] += amount
            if self._waiting:
                self._freed.notify()

    def give_back_ok(self) -> None:
        """`give_back(ok=1)`, on every successful call's path: no keyword dict."""
        with self.lock:
            self.running -= 1
            self.ok += 1
            if self._waiting:
                self._freed.notify()


_FAILURE_COUNTERS: tuple[tuple[type[PluginCallError], str], ...] = (
    (PluginTimeout, "timeouts"),  # fuel included
    (PluginMemoryExceeded, "memory"),
    (PluginTrap, "traps"),
    (PluginBadResult, "bad_results"),
    (PluginHostError, "host_errors"),
)


class PluginCalls:
    """Every call into one loaded plugin goes through here (see the module docstring)."""

    def __init__(
        self,
        name: str,
        factory: InstanceFactory,
        codecs: dict[str, FunctionCodec],
        *,
        interface: str,
        max_concurrency: int,
        settings: RuntimeSettings,
        deadline: CallDeadline,
        observer: Observer | None = None,
        breaker: CircuitBreaker | None = None,
        reports: GuestReports | None = None,
        held: AttemptOutput | None = None,
        inline: InlineMode = InlineMode.WORKERS,
        inline_slice_ms: int = 0,
    ) -> None:
        self.name = name
        self.reports = reports
        self.held = held
        self.factory = factory
        self.codecs = codecs
        self.interface = interface
        self.limits = CallLimits(
            factory.limits.timeout_ms, factory.limits.memory_mb, factory.limits.fuel
        )
        self.timeout_s = factory.limits.timeout_ms / 1000
        self.max_concurrency = max_concurrency
        self.breaker = breaker or CircuitBreaker(settings.breaker)
        self.pool = InstancePool(
            factory, max_idle=max_concurrency, recycle_after_calls=settings.recycle_after_calls
        )
        self.deadline = deadline
        self.observer: Observer = observer or NoopObserver()
        # Nobody records PluginCall (observability off, or only the audit log and the
        # hooks' bridge, which skip it): a successful call builds no event.
        self._observed = observes(self.observer, PluginCall)
        self._slots = _Slots(max_concurrency)
        # Where calls run (inline.py); the loop budget's slice, and what it may hold before
        # a call yields first (half of it before an inline-first attempt, which then gets
        # the rest as its deadline).
        self.inline = inline if inline_slice_ms > 0 else InlineMode.WORKERS
        self.inline_slice_s = inline_slice_ms / 1000
        self._yield_at_s = self.inline_slice_s / (2 if inline is InlineMode.FIRST else 1)
        # An inline call keeps the GIL while its guest runs where the ticker needs none
        # (native_ticker.py); worker threads always give it up (the loop goes on meanwhile).
        self._inline_keeps_gil = factory.engine.gil_free
        # Inline-first backoff, per function: calls left to send to the worker threads, and
        # overruns in a row (each holds only functions with a count above 0, so the common
        # call checks an empty dict).
        self._skip: dict[str, int] = {}
        self._overruns: dict[str, int] = {}
        self._workers = PluginWorkers(name, max_concurrency)
        self._closed = False

    # -- calling -------------------------------------------------------------------------------

    async def call_async(
        self,
        function: str,
        args: Sequence[Any],
        interpret: Callable[[Any], T],
        tried: NotInline | None = None,
    ) -> T:
        """`call` on the plugin's worker threads (the wait for a thread counts as the wait
        for a slot), or on this thread when the plugin runs inline and a slot is free.
        `tried`: what `call_inline` answered the caller for this call, if it tried; after an
        abandoned inline-first attempt the call goes to the worker threads at once, its
        time limit counted from the attempt's start."""
        if self.inline is not InlineMode.WORKERS and (tried is None or tried.started is None):
            value = self.call_inline(function, args, interpret) if tried is None else tried
            if not isinstance(value, NotInline):
                return value
            if value.started is None and LOOP_BUDGET.must_yield(self._yield_at_s):
                # Not inline because the loop's slice is spent: let the loop run, then again.
                await asyncio.sleep(0)
                LOOP_BUDGET.yielded()
                value = self.call_inline(function, args, interpret)
                if not isinstance(value, NotInline):
                    return value
            tried = value
        since = None if tried is None else tried.started
        # After an abandoned attempt, the wait for a slot counts from the call's start too.
        queued = time.monotonic() if since is None else since
        return await self._workers.run(self.call, function, args, interpret, queued, since)

    def call_inline(
        self,
        function: str,
        args: Sequence[Any],
        interpret: Callable[[Any], T],
    ) -> T | NotInline:
        """`call` on this thread (the event loop's) if the plugin runs inline, the loop
        budget is not spent and one of its slots is free at once; else `NOT_INLINE`, and
        nothing happened (the caller awaits `call_async`, which yields to the loop first
        when the budget is spent). An async caller that tries this first saves a coroutine
        per inline call. An inline-first plugin's attempt also needs a warm idle instance
        and no backoff; one its inline deadline interrupted answers `NotInline(started)`,
        to hand to `call_async`."""
        inline = self.inline
        if inline is InlineMode.WORKERS:
            return NOT_INLINE
        held = LOOP_BUDGET.held()
        if held >= self._yield_at_s:
            return NOT_INLINE
        if inline is InlineMode.INLINE:
            if not self._slots.take_now():
                return NOT_INLINE
            started = time.monotonic()
            return self._timed(function, args, interpret, started, started, inline=True)
        if self._skip and self._skipped(function):
            return NOT_INLINE
        if not self._slots.take_now():
            return NOT_INLINE
        started = time.monotonic()
        try:
            value = self._timed(
                function,
                args,
                interpret,
                started,
                started,
                inline=True,
                budget_s=self.inline_slice_s - held,
            )
        except _Abandoned as abandoned:
            if not abandoned.overran:
                return NOT_INLINE
            self._overran(function)
            return NotInline(started)
        if self._overruns:
            self._overruns.pop(function, None)
        return value

    def _skipped(self, function: str) -> bool:
        """Whether this call of `function` goes to the worker threads, backing off after an
        overrun (inline.py); counts it."""
        left = self._skip.get(function)
        if not left:
            return False
        if left == 1:
            del self._skip[function]
        else:
            self._skip[function] = left - 1
        return True

    def _overran(self, function: str) -> None:
        """An inline-first attempt of `function` overran: its next calls go to the worker
        threads, twice as many per overrun in a row (inline.py)."""
        overruns = self._overruns.get(function, 0) + 1
        self._overruns[function] = overruns
        self._skip[function] = min(
            OVERRUN_BACKOFF_CALLS * 2 ** (overruns - 1), OVERRUN_BACKOFF_MAX_CALLS
        )

    def call(
        self,
        function: str,
        args: Sequence[Any],
        interpret: Callable[[Any], T],
        queued: float | None = None,
        since: float | None = None,
    ) -> T:
        """Call `function` of the plugin's interface with `args` (Python values, see
        conversion.py) and return `interpret(result)`. Blocks; raises a PluginCallError.
        `since`: the call began earlier, as an abandoned inline-first attempt; its time
        limit counts from then."""
        started = time.monotonic()
        return self._timed(
            function, args, interpret, started, queued or started, inline=False, since=since
        )

    def _timed(
        self,
        function: str,
        args: Sequence[Any],
        interpret: Callable[[Any], T],
        started: float,
        queued: float,
        *,
        inline: bool,
        budget_s: float | None = None,
        since: float | None = None,
    ) -> T:
        """The call from `started` on: the breaker, a slot (`inline`: already taken, and
        the call counted in the loop budget), the call in its slot, its duration recorded.
        One clock read at each end: the call's deadline, the slot's wait and the duration
        all count from `started` (`since`, when an abandoned inline-first attempt began it;
        `budget_s`: this is such an attempt, with that deadline)."""
        ended = 0.0
        try:
            if self._closed:
                self._refused(inline)
                raise PluginQuarantined(
                    self.name, function, "it was unloaded (a newer set of plugins replaced it)"
                )
            if not self.breaker.admit():
                self._refused(inline, quarantined=1)
                raise self._breaker_open(function)
            if not inline and not self._slots.take(self.timeout_s - (started - queued)):
                self.breaker.abandon()
                self._slots.add(busy=1)
                raise self._busy(function)
            try:
                value = self._in_slot(
                    function,
                    args,
                    interpret,
                    started,
                    budget_s,
                    since,
                    keep_gil=inline and self._inline_keeps_gil,
                )
            except _Abandoned as abandoned:
                # Not a call after all: the worker threads make it (and count it).
                self._slots.give_back(calls=-1, inline_overruns=int(abandoned.overran))
                raise
            except BaseException:
                self._slots.give_back()
                raise
            self._slots.give_back_ok()
            ended = time.monotonic()
        except PluginCallError as error:
            self._report(function, error, since or started)
            raise
        finally:
            if inline:
                LOOP_BUDGET.spent((ended or time.monotonic()) - started)
        if self._observed:
            duration_ms = (ended - (since or started)) * 1000
            self.observer.record(PluginCall(self.name, function, duration_ms, "ok"))
        return value

    def _breaker_open(self, function: str) -> PluginQuarantined:
        status = self.breaker.status()
        wait = "" if status.retry_in_s is None else f"; next try in {status.retry_in_s:.0f}s"
        return PluginQuarantined(
            self.name,
            function,
            f"its circuit breaker is open after {status.consecutive_failures} failures "
            f"in a row (last: {status.last_failure}){wait}",
            hint=f"see `zeroclaw plugins info {self.name}` and the plugin's log",
        )

    def _busy(self, function: str) -> PluginBusy:
        return PluginBusy(
            self.name,
            function,
            f"all {self.max_concurrency} call slots stayed taken for {self.timeout_s * 1000:g} ms",
            hint=f"raise plugins.overrides.{self.name}.limits.max_concurrency (at most "
            "plugins.limits.max_concurrency), or make the plugin faster",
        )

    def _refused(self, slot_taken: bool, **counts: int) -> None:
        if slot_taken:
            self._slots.give_back(**counts)
        else:
            self._slots.add(calls=1, **counts)

    def _in_slot(
        self,
        function: str,
        args: Sequence[Any],
        interpret: Callable[[Any], T],
        started: float,
        budget_s: float | None = None,
        since: float | None = None,
        *,
        keep_gil: bool = False,
    ) -> T:
        instance: WarmInstance | None = None
        # An inline-first attempt: its lines wait until it is kept (module docstring).
        held = self.held if budget_s is not None else None
        if self.reports is not None:
            self.reports.begin()
        try:
            if budget_s is None:
                instance = self.pool.acquire()
                ticks = self._deadline(since)
            else:
                instance = self.pool.take_idle()
                if instance is None:  # instantiating here would hold the loop
                    self.breaker.abandon()
                    raise _Abandoned(overran=False)
                ticks = self.factory.ticks(budget_s)
                self.deadline.set(started + budget_s)
                if held is not None:
                    held.hold()
            instance.calls += 1
            result = instance.call(
                self.codecs[function], self.interface, function, args, ticks, keep_gil=keep_gil
            )
            if held is not None:
                held.release()
                held = None
            value = interpret(result)
        except _Abandoned:
            raise
        except Exception as exc:
            if instance is not None:
                self.pool.discard(instance)
            if budget_s is not None and is_interrupt(exc):
                # The inline deadline, not the plugin's own: the call runs again elsewhere.
                if held is not None:
                    held.drop()
                self.breaker.abandon()
                raise _Abandoned(overran=True) from None
            if held is not None:
                held.release()
            error = classify(
                exc,
                plugin=self.name,
                function=function,
                limits=self.limits,
                guest=self.reports.error() if self.reports is not None else None,
                bad_result=self.reports.bad_result() if self.reports is not None else None,
            )
            if not error.plugin_fault:
                self.breaker.abandon()
            elif self.breaker.failure(error.cause):
                self._quarantined(error)
            raise error from exc
        self.pool.release(instance)
        self.breaker.success()
        return value

    def _deadline(self, since: float | None) -> int:
        """The epoch ticks of a call on a worker thread (the store is armed with them when
        the guest starts: `WarmInstance.call`), and the host functions' deadline, from now."""
        now = time.monotonic()
        if since is not None:
            # Begun as an inline-first attempt: what is left of its time limit (the whole
            # call ends by it), but at least one tick, so the guest is seen to time out.
            left = max(self.timeout_s - (now - since), 0.0)
            self.deadline.set(now + left)
            return self.factory.ticks(left)
        self.deadline.set(now + self.timeout_s)
        return self.factory.deadline_ticks

    def _report(self, function: str, error: PluginCallError, started: float) -> None:
        counter = next((name for cls, name in _FAILURE_COUNTERS if isinstance(error, cls)), None)
        if counter is not None:
            self._slots.add(**{counter: 1})
        if error.plugin_fault:
            self._slots.add(failures=1)
        if self._observed:
            duration_ms = (time.monotonic() - started) * 1000
            self.observer.record(PluginCall(self.name, function, duration_ms, error.outcome))
        if error.outcome in ("trap", "timeout"):
            self.observer.record(PluginTrapEvent(self.name, function, error.cause))
        # The caller reports the failure (the HookRunner logs it with its consequence, the
        # observer's log backend logs PluginTrap); the cause chain is kept for debugging.
        _LOG.debug("%s", error.message, exc_info=error.__cause__)

    def _quarantined(self, error: PluginCallError) -> None:
        status = self.breaker.status()
        message = (
            f"plugin {self.name!r} quarantined for {status.cooldown_s:g}s after "
            f"{status.consecutive_failures} failures in a row (last: {error.message})"
        )
        _LOG.warning("%s", message)
        self.observer.record(Error("plugin", message, "PluginQuarantined"))
        self.observer.record(PluginQuarantinedEvent(self.name, message, status.cooldown_s))

    def ignored_change(self) -> None:
        self._slots.add(ignored_changes=1)

    def skipped(self) -> None:
        """A failed hook call of this plugin was skipped by the hook runner (fail_open)."""
        self._slots.add(skipped=1)

    # -- state ---------------------------------------------------------------------------------

    def stats(self) -> CallStats:
        counters = self.pool.counters
        values = self._slots.counts()
        values.update(
            instances_created=counters.created,
            instances_recycled=counters.recycled,
            instances_discarded=counters.discarded,
        )
        return CallStats(**values)

    def breaker_status(self) -> BreakerStatus:
        return self.breaker.status()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no call is running (each ends by its deadline); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._slots.running > 0:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        """Refuse new calls, drop idle instances; calls already running finish."""
        self._closed = True
        self.pool.clear()
        self._workers.close()
