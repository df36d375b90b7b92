"""Per-caller rate limit in one process: a token bucket of `per_minute` requests refilled
continuously.

A caller may burst up to `per_minute` requests, then gets one more every 60/per_minute
seconds. A refused request is told how long until the next one would pass (Retry-After).
Buckets that have refilled completely carry no information and are dropped, so the table
does not grow with callers that came once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

Clock = Callable[[], float]


class CallerLimiter(Protocol):
    """A rate limit per caller: this process's buckets (below), or the table the replicas
    share on PostgreSQL (memory/fleet/rate_limits.py), the same limit either way."""

    async def take(self, key: str) -> float | None:
        """Take one request for `key`: None if allowed, else the seconds to wait."""
        ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Clock = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self._capacity > 0

    async def take(self, key: str) -> float | None:
        return self.acquire(key)

    def acquire(self, key: str) -> float | None:
        """Take one request for `key`: None if allowed, else the seconds to wait."""
        if not self.enabled:
            return None
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._capacity, now)
        else:
            elapsed = now - bucket.updated
            bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            self._forget_full(now)
            return None
        return (1.0 - bucket.tokens) / self._rate

    def _forget_full(self, now: float) -> None:
        if len(self._buckets) < 1024:
            return
        full_after = self._capacity / self._rate
        self._buckets = {
            key: bucket
            for key, bucket in self._buckets.items()
            if now - bucket.updated < full_after
        }


def retry_after_header(seconds: float) -> str:
    """Retry-After takes whole seconds; round up so a client that obeys it gets through."""
    return str(max(1, math.ceil(seconds)))
