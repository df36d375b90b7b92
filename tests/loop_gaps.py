"""How long the event loop went without running a 1 ms ticker: a test that work does not
hold the loop asserts on the loop thread's CPU time, not on the wall clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class LoopGaps:
    """How long the event loop went without running a 1 ms ticker, while `watch` runs: by
    the wall clock, and by the loop thread's CPU time. The bound is asserted on CPU time:
    a guest holding the loop spins on its thread's CPU, while a loaded machine stretches
    only the wall clock (a descheduled process), which made a wall-clock bound flaky."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    async def watch(self, work: Awaitable[T]) -> T:
        stop = asyncio.Event()

        async def ticker() -> None:
            last, last_cpu = time.monotonic(), time.thread_time()
            while not stop.is_set():
                await asyncio.sleep(0.001)
                now, now_cpu = time.monotonic(), time.thread_time()
                self.wall.append(now - last)
                self.cpu.append(now_cpu - last_cpu)
                last, last_cpu = now, now_cpu

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        try:
            return await work
        finally:
            stop.set()
            await ticking
