"""The circuit breaker of one plugin: a plugin that keeps failing is quarantined for a while.

    closed ──(failure_threshold failures in a row)──> open (quarantined)
    open ──(cooldown_s passed)──> half_open: one probe call is let through
    half_open ──probe succeeds──> closed        half_open ──probe fails──> open, cool-down x2

While open, calls are refused at once with `PluginQuarantined` (no wasm runs). Each trip
doubles the next cool-down, up to `max_cooldown_s`; a successful probe resets it. Only
failures that are the plugin's fault count (`PluginCallError.plugin_fault`): traps,
timeouts, memory overruns and unusable results, not calls refused because the plugin was
busy. Failures in a row, not a rate: a plugin failing every other call stays in service, and
its failures are still counted and reported.

This module does not import wasmtime.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    failure_threshold: int = 5
    cooldown_s: float = 30.0
    max_cooldown_s: float = 600.0

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if not 0 < self.cooldown_s <= self.max_cooldown_s:
            raise ValueError("need 0 < cooldown_s <= max_cooldown_s")


@dataclass(frozen=True, slots=True)
class BreakerStatus:
    """A consistent view of a breaker at one moment."""

    state: BreakerState
    consecutive_failures: int
    trips: int
    cooldown_s: float
    retry_in_s: float | None  # open: seconds until the probe may run
    last_failure: str | None

    @property
    def quarantined(self) -> bool:
        return self.state is not BreakerState.CLOSED


class CircuitBreaker:
    """Thread-safe: calls run on worker threads. `clock` is monotonic seconds."""

    def __init__(
        self,
        settings: BreakerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or BreakerSettings()
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._trips = 0
        self._cooldown = self.settings.cooldown_s
        self._opened_at = 0.0
        self._probing = False
        self._last_failure: str | None = None

    def admit(self) -> bool:
        """Whether a call may run now. In half-open state only one probe runs at a time;
        whoever is admitted must then report `success`, `failure` or `abandon`."""
        # Closed is the common case, on every call: read without the lock (one attribute
        # read; a call admitted just before the breaker opens is what the lock allows too).
        if self._state is BreakerState.CLOSED:
            return True
        with self._lock:
            return self._admit_locked()

    def _admit_locked(self) -> bool:
        if self._state is BreakerState.CLOSED:  # closed since the read above
            return True
        if self._state is BreakerState.OPEN:
            if self._clock() - self._opened_at < self._cooldown:
                return False
            self._state = BreakerState.HALF_OPEN
        if self._probing:
            return False
        self._probing = True
        return True

    def success(self) -> None:
        if self._state is BreakerState.CLOSED and not self._failures and not self._probing:
            return  # nothing to reset: the common case, without the lock
        with self._lock:
            self._failures = 0
            self._probing = False
            if self._state is not BreakerState.CLOSED:
                self._state = BreakerState.CLOSED
                self._cooldown = self.settings.cooldown_s

    def failure(self, cause: str) -> bool:
        """Count a failure that is the plugin's fault; True when it opened the breaker."""
        with self._lock:
            self._failures += 1
            self._last_failure = cause
            if self._state is BreakerState.HALF_OPEN:
                self._probing = False
                self._cooldown = min(self._cooldown * 2, self.settings.max_cooldown_s)
                return self._open()
            if (
                self._state is BreakerState.CLOSED
                and self._failures >= self.settings.failure_threshold
            ):
                return self._open()
            return False

    def abandon(self) -> None:
        """An admitted call ended without telling anything about the plugin (it waited for a
        slot in vain): a probe slot it held is freed."""
        with self._lock:
            self._probing = False

    def _open(self) -> bool:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._trips += 1
        return True

    def status(self) -> BreakerStatus:
        with self._lock:
            retry_in = None
            if self._state is BreakerState.OPEN:
                retry_in = max(0.0, self._cooldown - (self._clock() - self._opened_at))
            return BreakerStatus(
                state=self._state,
                consecutive_failures=self._failures,
                trips=self._trips,
                cooldown_s=self._cooldown,
                retry_in_s=retry_in,
                last_failure=self._last_failure,
            )
