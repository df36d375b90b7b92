"""A token bucket per plugin for its log lines, so a plugin logging in a loop cannot fill
the disk: what goes over is dropped and counted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

LOG_LINES_PER_SECOND = 20.0
LOG_BURST = 100


class LogLimiter:
    """A token bucket: `rate` lines a second on average, `burst` at once."""

    def __init__(
        self,
        rate: float = LOG_LINES_PER_SECOND,
        burst: int = LOG_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._dropped_since_last = 0
        self.dropped = 0
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """None when the line must be dropped; otherwise how many lines were dropped since
        the previous line that got through."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                self._dropped_since_last += 1
                self.dropped += 1
                return None
            self._tokens -= 1
            dropped, self._dropped_since_last = self._dropped_since_last, 0
            return dropped
