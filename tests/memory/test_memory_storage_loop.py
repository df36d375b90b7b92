"""StorageLoop.run: the work runs on the storage thread, its result or error comes back
to the caller's loop, and a caller that is cancelled leaves the work to finish."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from zeroclaw.memory.storage_loop import StorageLoop


@pytest.fixture
def storage() -> Iterator[StorageLoop]:
    loop = StorageLoop(name="test-storage")
    yield loop
    loop.stop()


async def test_the_work_runs_on_the_storage_thread(storage: StorageLoop) -> None:
    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    assert await storage.run(where()) == "test-storage"
    # Many at once, each its own answer.
    answers = await asyncio.gather(
        *(storage.run(asyncio.sleep(0.001, result=n)) for n in range(50))
    )
    assert answers == list(range(50))


async def test_an_error_of_the_work_is_raised_to_the_caller(storage: StorageLoop) -> None:
    async def fails() -> None:
        raise KeyError("no such row")

    with pytest.raises(KeyError, match="no such row"):
        await storage.run(fails())


async def test_a_cancelled_caller_leaves_the_work_to_finish(storage: StorageLoop) -> None:
    started, finished = threading.Event(), threading.Event()

    async def transaction() -> str:
        started.set()
        await asyncio.sleep(0.2)
        finished.set()
        return "committed"

    caller = asyncio.ensure_future(storage.run(transaction()))
    await asyncio.to_thread(started.wait, 5)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert not finished.is_set()
    assert await asyncio.to_thread(finished.wait, 5)


async def test_work_cancelled_on_the_storage_loop_cancels_the_caller(
    storage: StorageLoop,
) -> None:
    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await storage.run(cancelled())


async def test_a_stopped_loop_refuses_work() -> None:
    storage = StorageLoop()
    storage.stop()

    async def work() -> None:
        raise AssertionError("never runs")

    with pytest.raises(RuntimeError, match="stopped"):
        await storage.run(work())
