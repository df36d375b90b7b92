"""The one wasmtime Engine of the process, its epoch ticker, and component loading.

Every plugin shares one `Engine`: compiled code, the epoch counter and the compile cache
belong to it. What the engine is configured with is `EngineSettings`, a small frozen
dataclass, because the settings are also part of the compile cache's key (a component
serialized under one configuration does not load under another).

Time limits use epoch interruption: the engine's `EpochTicker` increments its epoch every
`tick_ms` (one daemon thread of the process ticks every engine's ticker); a store given a
deadline of N ticks traps with `interrupt` once the epoch has moved N times.
`epoch_deadline(timeout_ms, tick_ms)` turns a time limit into ticks, rounding up and adding
one tick, because the first tick can come at any moment of the current interval: a call is
never stopped before its timeout, and at most about one tick plus the thread's wake-up
latency after it.

Tick length, measured on the project's 2-core machine (a guest looping past a 50 ms
deadline, 20 runs): with 1 ms ticks the call stopped 0.5-1.3 ms past its deadline (median
0.9 ms) and the ticker used 2% of one core; with 5 ms ticks, 3.7-5.0 ms past it (median
4.9 ms) and 0.5% of a core. A CPU-bound pure-Python loop on the main thread ran within
noise (+-2%) of no ticker either way. The default is 1 ms: hook timeouts are often tens of
milliseconds, where 5 ms of overrun is a large share. The ticker follows the monotonic clock
and catches up after a late wake-up, so timer slack does not stretch a deadline (with
naive `wait(tick)` sleeps, 1 ms ticks overran by 4-12 ms).

The ticker needs the GIL to run, and a busy thread can keep it from the ticker for a while
(the interpreter hands the GIL over every 5 ms at most, and a thread that calls into C often
can take it back first): measured while a loop of inline plugin calls ran, the ticker fell
up to 45 ticks behind the clock and its catch-up burst then stopped 44 of 100,000 calls of a
guest that runs in microseconds. So a deadline is armed from the clock, not from the epoch
count: `EpochTicker.behind()` tells how many ticks are due but not yet counted, and
`PluginEngine.deadline_now` adds them, so a catch-up never eats a call's time. The ticker
itself increments the epoch without letting go of the GIL (an atomic add in wasmtime): one
hand-over less per tick.

The ticker ticks only while a deadline is pending. Arming one (`PluginEngine.set_deadline`,
or `PluginEngine.arm` on a store's context, which a call does once its arguments are
lowered, right before the guest runs: conversion.py `call_at`) tells the ticker the tick
count by which the epoch has passed it (`EpochTicker.hold`, after the store took the
deadline: the epoch it counts from is the one of that moment); once
every deadline told is passed, each call has ended or been interrupted, and the ticker
parks until the next arming wakes it. So a process with plugins loaded and no call for
longer than the plugins' time limit spends no CPU on ticks: it spent ~4% of a core, a
thousand wake-ups a second, each taking the GIL. A parked ticker counts from its wake-up,
not from when it parked, so no catch-up cuts a deadline armed while it was parked short;
such a call starts at most the thread's wake-up latency before its first tick. A store
given ticks any other way (`store.set_epoch_deadline(deadline(...))`) is stopped only while
something else keeps the ticker awake. Telling is a `deque.append`, without a lock: a lock
another thread held when the process forked would stay held in the child.

Where `scripts/install` built it, the ticker is a native thread instead
(native_ticker.py): the same semantics, with no GIL taken, so calls on the event loop's
thread keep the GIL while the guest runs (`PluginEngine.gil_free`), and it arms a store
in one C call (`zc_ticker_arm`: the owed ticks, the store's deadline, the hold). The
Python ticker above is the fallback.

Fuel is off unless some plugin's limits set `fuel`: it slows guests by ~40%.

This module imports wasmtime; import it only when plugins are enabled.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Final

import wasmtime

from zeroclaw.plugins.wasm import native_ticker
from zeroclaw.plugins.wasm.compile_cache import CompileCache, LoadedComponent, compile_component
from zeroclaw.plugins.wasm.engine_settings import EngineSettings
from zeroclaw.plugins.wasm.native_ticker import NativeEpochTicker

DEFAULT_TICK_MS = 1.0

# `wasmtime_engine_increment_epoch` as a function that keeps the GIL (PYFUNCTYPE): the call
# is one atomic add, and releasing the GIL for it would invite a hand-over per tick.
_increment_epoch: Callable[[ctypes.c_void_p], None] | None
# `wasmtime_context_set_epoch_deadline` the same way, on a store context's address: one
# store write before every call, not worth a hand-over of the GIL either.
set_epoch_deadline: Callable[[int, int], None] | None
try:
    from wasmtime import _ffi

    _increment_epoch = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(
        ("wasmtime_engine_increment_epoch", _ffi.dll)
    )
    set_epoch_deadline = ctypes.PYFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64)(
        ("wasmtime_context_set_epoch_deadline", _ffi.dll)
    )
except (ImportError, AttributeError):  # pragma: no cover - another wasmtime-py
    _increment_epoch = None
    set_epoch_deadline = None


def create_engine(settings: EngineSettings) -> wasmtime.Engine:
    config = wasmtime.Config()
    config.epoch_interruption = settings.epoch_interruption
    config.consume_fuel = settings.consume_fuel
    config.cranelift_opt_level = settings.cranelift_opt_level
    return wasmtime.Engine(config)


def epoch_deadline(timeout_ms: float, tick_ms: float = DEFAULT_TICK_MS) -> int:
    """Ticks to give `store.set_epoch_deadline` so a call runs at least `timeout_ms`."""
    if timeout_ms <= 0 or tick_ms <= 0:
        raise ValueError("timeout_ms and tick_ms must be positive")
    return math.ceil(timeout_ms / tick_ms) + 1


class EpochTicker:
    """Increments an engine's epoch every `tick_ms` while started.

    The GIL is released while wasm runs, so the ticker keeps time while a guest loops. Every
    started ticker of the process is ticked by one thread (`_TickThread`): a thread per
    engine (a registry, a benchmark or a test process holds several) would compete with
    the event loop's thread for the GIL a thousand times a second each (measured: with ten
    tickers, an inline hook call cost ~2x its CPU time with one).
    """

    gil_free: Final = False  # it needs the GIL to tick: a call must give it up

    def __init__(self, engine: wasmtime.Engine, tick_ms: float = DEFAULT_TICK_MS) -> None:
        if tick_ms <= 0:
            raise ValueError("tick_ms must be positive")
        self.engine = engine
        self.tick_ms = tick_ms
        self.ticks = 0
        self._interval = tick_ms / 1000
        # The clock time and tick count the current run counts from; None when stopped.
        self._origin: float | None = None
        self._origin_ticks = 0
        self._increment = self._incrementer()
        # Tick counts by which the epoch has passed deadlines being armed (`hold`), taken in
        # by the ticking thread into `_needed`; `parked`: that thread stopped ticking, having
        # reached `_needed`.
        self._held: deque[int] = deque()
        self._needed = 0
        self.parked = False

    @property
    def running(self) -> bool:
        return self._origin is not None and _TICK_THREAD.ticks(self)

    def start(self) -> None:
        if self.running:
            return
        _TICK_THREAD.remove(self, 0)  # one whose thread is gone (a forked child) starts over
        self._origin_ticks = self.ticks
        self._origin = time.monotonic()
        self.parked = False
        _TICK_THREAD.add(self)

    def stop(self, timeout: float = 1.0) -> None:
        self._origin = None
        _TICK_THREAD.remove(self, timeout)

    def behind(self, now: float | None = None) -> int:
        """Ticks the clock says are due (at `now`, default: now) but the thread has not
        counted yet (it woke late: the GIL, a busy CPU); 0 when it is not running."""
        origin = self._origin  # None once stopped
        if origin is None or self.parked:  # a parked ticker counts from its wake-up
            return 0
        if now is None:
            now = time.monotonic()
        owed = self._origin_ticks + int((now - origin) / self._interval) - self.ticks
        return owed if owed > 0 else 0

    def hold(self, ticks: int) -> None:
        """Keep ticking until the epoch has moved `ticks` past where it is now (a deadline
        just armed); wake the ticking thread if it parked this ticker."""
        # +1: the epoch can be one ahead of `self.ticks` (incremented, not yet counted).
        self._held.append(self.ticks + ticks + 1)
        if self.parked:  # read after the append: the thread takes the held in after parking
            _TICK_THREAD.wake()

    def _take_held(self) -> int:
        """`_needed`, raised to every tick count held since the last time."""
        held, needed = self._held, self._needed
        while held:  # other threads only append: what is there stays there
            needed = max(needed, held.popleft())
        self._needed = needed
        return needed

    def _park_or_wake(self, now: float) -> None:
        """Park once every deadline held is passed; on waking, count from `now`."""
        if not self.parked:
            if self.ticks < self._take_held():
                return
            self.parked = True
            # A `hold` that read `parked` before this line appended before it: take it in.
        if self._take_held() > self.ticks:
            self._origin_ticks, self._origin = self.ticks, now
            self.parked = False

    def _catch_up(self, now: float) -> None:
        # Ticks follow the clock, not the sleeps: a wait that overslept (timer slack, GIL)
        # is caught up at once, so N ticks always mean at least N intervals and hardly more.
        origin = self._origin
        if origin is None or self.parked:
            return
        due = self._origin_ticks + int((now - origin) / self._interval)
        while self.ticks < due:
            self._increment()
            self.ticks += 1

    def _next_tick(self) -> float:
        """The monotonic time of the next tick (infinity when stopped)."""
        origin = self._origin
        if origin is None or self.parked:
            return math.inf
        return origin + (self.ticks - self._origin_ticks + 1) * self._interval

    def _incrementer(self) -> Callable[[], None]:
        if _increment_epoch is None:  # pragma: no cover - another wasmtime-py
            return self.engine.increment_epoch
        engine = ctypes.cast(self.engine.ptr(), ctypes.c_void_p)
        return partial(_increment_epoch, engine)

    def __enter__(self) -> EpochTicker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _TickThread:
    """The one daemon thread that ticks every started `EpochTicker`, running while there is
    one: it sleeps until the earliest next tick, then lets each ticker catch up with the
    clock."""

    def __init__(self) -> None:
        self._tickers: tuple[EpochTicker, ...] = ()
        self._reset()

    def _reset(self) -> None:
        """New locks and no thread. Also run in a forked child: the fork may have happened
        while the parent's thread held the lock, which would then stay held forever in the
        child; and that thread does not exist there."""
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._changed = threading.Event()

    def ticks(self, ticker: EpochTicker) -> bool:
        """Whether `ticker` is being ticked (by a thread that is alive: not one that stayed
        in the parent of a forked process)."""
        thread = self._thread
        return ticker in self._tickers and thread is not None and thread.is_alive()

    def add(self, ticker: EpochTicker) -> None:
        with self._lock:
            self._tickers = (*self._tickers, ticker)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="zeroclaw-epoch-ticker", daemon=True
                )
                self._thread.start()
        self._changed.set()

    def remove(self, ticker: EpochTicker, timeout: float) -> None:
        """Stop ticking `ticker`; when it was the last, wait up to `timeout` for the thread
        to end."""
        with self._lock:
            self._tickers = tuple(t for t in self._tickers if t is not ticker)
            ending = self._thread if not self._tickers else None
            if ending is not None:
                self._thread = None
        self._changed.set()
        if ending is not None and ending is not threading.current_thread():
            ending.join(timeout)

    def wake(self) -> None:
        """A parked ticker has a deadline to keep again."""
        self._changed.set()

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                if self._thread is not me:  # the last ticker stopped (a new thread may run)
                    return
                tickers = self._tickers
            now = time.monotonic()
            for ticker in tickers:
                ticker._park_or_wake(now)
                ticker._catch_up(now)
            next_tick = min((ticker._next_tick() for ticker in tickers), default=math.inf)
            delay = min(next_tick - time.monotonic(), 1.0)
            if delay > 0 and self._changed.wait(delay):
                self._changed.clear()


_TICK_THREAD: Final = _TickThread()
if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_TICK_THREAD._reset)


def _ticker(
    engine: wasmtime.Engine, tick_ms: float, native: bool | None
) -> EpochTicker | NativeEpochTicker:
    library = native_ticker.load() if native is not False else None
    if library is not None:
        return NativeEpochTicker(engine, tick_ms, library)
    if native:
        raise RuntimeError(
            f"the native epoch ticker is not built ({native_ticker.LIBRARY}): run scripts/install"
        )
    return EpochTicker(engine, tick_ms)


class PluginEngine:
    """The shared Engine with its ticker and (optional) on-disk compile cache.

    `cache_dir` is normally DATA_DIR/plugin-cache; None compiles every time.
    `native_ticker`: tick from the native thread (True: it must be built), from a Python
    thread (False), or from the native one where it was built (None).
    """

    def __init__(
        self,
        settings: EngineSettings | None = None,
        *,
        cache_dir: Path | None = None,
        tick_ms: float = DEFAULT_TICK_MS,
        native_ticker: bool | None = None,
    ) -> None:
        self.settings = settings or EngineSettings()
        self.engine = create_engine(self.settings)
        self.ticker: EpochTicker | NativeEpochTicker = _ticker(self.engine, tick_ms, native_ticker)
        # The native ticker arms a store in one C call (`set_deadline`).
        self._native_arm = self.ticker.arm if isinstance(self.ticker, NativeEpochTicker) else None
        self.cache = (
            CompileCache(cache_dir, self.engine, self.settings) if cache_dir is not None else None
        )

    def start(self) -> None:
        self.ticker.start()

    def close(self) -> None:
        self.ticker.stop()

    @property
    def gil_free(self) -> bool:
        """Whether the ticker runs without the GIL: a call may keep it while the guest runs."""
        return self.ticker.gil_free

    def deadline(self, timeout_ms: float) -> int:
        return epoch_deadline(timeout_ms, self.ticker.tick_ms)

    def deadline_now(self, ticks: int, now: float | None = None) -> int:
        """`ticks` (a `deadline(...)`) from now (or from `now`, a monotonic time just read)
        by the clock: plus the ticks the ticker owes, which its catch-up will add to the
        epoch at once (see the module docstring)."""
        return ticks + self.ticker.behind(now)

    def set_deadline(self, store: wasmtime.Store, ticks: int) -> None:
        """Give `store` a deadline `ticks` (a `deadline(...)`) from now, and keep the ticker
        ticking until the epoch has passed it (before instantiating; a call's store is
        armed on its context: `arm`)."""
        ticks = self.deadline_now(ticks)
        store.set_epoch_deadline(ticks)
        # After the store took it: its deadline counts from the epoch of that moment.
        self.ticker.hold(ticks)

    def arm(self, context: int, ticks: int) -> None:
        """`set_deadline` on a store's context (its address), where wasmtime-py has the
        setter (`set_epoch_deadline`): the native ticker does it all in one C call; else one
        C call that keeps the GIL, and the ticker told."""
        native_arm = self._native_arm
        if native_arm is not None and native_arm(context, ticks):
            return
        assert set_epoch_deadline is not None  # callers check (instance.py)
        ticks = self.deadline_now(ticks)
        set_epoch_deadline(context, ticks)
        self.ticker.hold(ticks)

    def load_component(self, path: Path) -> LoadedComponent:
        """Compile a component (`.wasm`, or `.wat` text), through the cache when there is one."""
        if self.cache is not None:
            return self.cache.load(path)
        component = compile_component(self.engine, path.read_bytes(), source_name=path)
        return LoadedComponent(component, hit=False, key=None)

    def __enter__(self) -> PluginEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
