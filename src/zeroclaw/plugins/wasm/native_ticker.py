"""The epoch ticker on a native thread (native/epoch_ticker.c), where it was built.

Why: a Python ticker thread needs the GIL a thousand times a second. It takes it when the
event loop's thread lets it go, which is at every plugin call (the call gives the GIL up
so that the ticker can stop a looping guest): measured in agent turns with ten WAT hook
plugins, those hand-overs cost ~0.1 ms a turn, and the ticker ~0.2 ms a turn in all
(~13% of a turn of a process with plugins loaded, plugins disabled or not). A native
thread needs no GIL, so a call on the event loop's thread can keep it too (conversion.py
`call_at(keep_gil=True)`): nothing else can run Python meanwhile, and the native ticker
still stops the guest at its deadline.

`scripts/install` builds `native/libzeroclaw_ticker.so` with the system's C compiler (`cc`);
`load()` is None where it was not built (another platform, no compiler, an install from
a wheel): engine.py then ticks from a Python thread, as before. The library sees no
Python object: it gets the engine's address and wasmtime's own increment function.
"""

from __future__ import annotations

import ctypes
import os
import weakref
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Final

LIBRARY: Final = Path(__file__).parent / "native" / "libzeroclaw_ticker.so"


class _Library:
    """The library's functions: the quick ones keep the GIL (PYFUNCTYPE), `stop` (which
    waits for the thread) gives it up."""

    def __init__(self, dll: ctypes.CDLL) -> None:
        i64, ptr = ctypes.c_int64, ctypes.c_void_p
        self.start: Callable[[int, int, int, int], int | None] = ctypes.PYFUNCTYPE(
            ptr, ptr, ptr, i64, i64
        )(("zc_ticker_start", dll))
        self.hold: Callable[[int, int], None] = ctypes.PYFUNCTYPE(None, ptr, i64)(
            ("zc_ticker_hold", dll)
        )
        self.ticks: Callable[[int], int] = ctypes.PYFUNCTYPE(i64, ptr)(("zc_ticker_ticks", dll))
        self.parked: Callable[[int], int] = ctypes.PYFUNCTYPE(ctypes.c_int, ptr)(
            ("zc_ticker_parked", dll)
        )
        self.behind: Callable[[int], int] = ctypes.PYFUNCTYPE(i64, ptr)(("zc_ticker_behind", dll))
        self.arm: Callable[[int, int, int, int], None] = ctypes.PYFUNCTYPE(
            None, ptr, ptr, ptr, i64
        )(("zc_ticker_arm", dll))
        self.stop: Callable[[int], None] = ctypes.CFUNCTYPE(None, ptr)(("zc_ticker_stop", dll))
        self.arm_address = ctypes.cast(dll.zc_ticker_arm, ctypes.c_void_p).value


@cache
def load() -> _Library | None:
    """The built library, or None (not built here, or not loadable)."""
    if os.environ.get("ZEROCLAW_PYTHON_TICKER") or not LIBRARY.is_file():
        return None
    try:
        return _Library(ctypes.CDLL(str(LIBRARY)))
    except (OSError, AttributeError):
        return None


def wasmtime_address(name: str) -> int | None:
    """The address of one of wasmtime's C functions, for the library to call:
    `wasmtime_engine_increment_epoch` (the thread), `wasmtime_context_set_epoch_deadline`
    (`arm`)."""
    try:
        from wasmtime import _ffi

        return ctypes.cast(getattr(_ffi.dll, name), ctypes.c_void_p).value
    except (ImportError, AttributeError):  # pragma: no cover - another wasmtime-py
        return None


def arm_address() -> int | None:
    """The address of the library's `zc_ticker_arm`, for native code that arms a store
    itself (native_calls.py); None where the library is not built."""
    library = load()
    return None if library is None else library.arm_address


class NativeEpochTicker:
    """`EpochTicker`'s interface (engine.py) on a native thread. Stopped by `stop`, or
    when it is garbage collected (the finalizer holds the engine until the thread is
    gone), or at exit; in a forked child it is not running (its thread is the parent's)
    until it starts again."""

    gil_free: Final = True

    def __init__(self, engine: Any, tick_ms: float, library: _Library) -> None:
        if tick_ms <= 0:
            raise ValueError("tick_ms must be positive")
        self.engine = engine
        self.tick_ms = tick_ms
        self._library = library
        self._handle = 0  # the running thread's; 0 when stopped
        self._stopped_at = 0  # the count the next run goes on from
        self._finalizer: weakref.finalize[Any, Any] | None = None
        _TICKERS.add(self)

    @property
    def running(self) -> bool:
        return self._handle != 0

    @property
    def ticks(self) -> int:
        handle = self._handle
        return self._library.ticks(handle) if handle else self._stopped_at

    @property
    def parked(self) -> bool:
        handle = self._handle
        return bool(handle and self._library.parked(handle))

    def start(self) -> None:
        if self._handle:
            return
        increment = wasmtime_address("wasmtime_engine_increment_epoch")
        address = ctypes.cast(self.engine.ptr(), ctypes.c_void_p).value
        interval_ns = round(self.tick_ms * 1e6)
        handle = self._library.start(address or 0, increment or 0, interval_ns, self._stopped_at)
        if not (increment and address and handle):
            raise OSError("the native epoch ticker did not start")
        self._finalizer = weakref.finalize(self, _stop, self._library, handle, self.engine)
        self._handle = handle

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the thread (it ends within a tick: `timeout` is the Python ticker's)."""
        handle, self._handle = self._handle, 0
        if handle and self._finalizer is not None:
            self._stopped_at = self._library.ticks(handle)
            self._finalizer()

    def behind(self, now: float | None = None) -> int:
        """Ticks due by the clock (now) but not yet counted; 0 when stopped or parked."""
        handle = self._handle
        return self._library.behind(handle) if handle else 0

    def hold(self, ticks: int) -> None:
        """Keep ticking until the epoch has moved `ticks` past where it is now."""
        handle = self._handle
        if handle:
            self._library.hold(handle, ticks)

    def arm(self, context: int, ticks: int) -> bool:
        """A store's deadline for a call, in one C call: `ticks` past the epoch now plus the
        ticks `behind`, set on the store's context (at that address), then `hold` of it.
        False when the ticker is stopped or wasmtime's setter was not found: nothing done."""
        handle = self._handle
        if not handle or not _SET_DEADLINE:
            return False
        self._library.arm(handle, _SET_DEADLINE, context, ticks)
        return True

    def _forget(self) -> None:
        """In a forked child: the thread, its lock and its memory are the parent's."""
        if self._finalizer is not None:
            self._finalizer.detach()
        self._handle = 0

    def __enter__(self) -> NativeEpochTicker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _stop(library: _Library, handle: int, engine: Any) -> None:
    """Stop a native thread; `engine` is held until then (the thread increments it)."""
    library.stop(handle)


_TICKERS: weakref.WeakSet[NativeEpochTicker] = weakref.WeakSet()
_SET_DEADLINE: Final = wasmtime_address("wasmtime_context_set_epoch_deadline") or 0


def _forget_in_child() -> None:
    for ticker in list(_TICKERS):
        ticker._forget()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_in_child)
