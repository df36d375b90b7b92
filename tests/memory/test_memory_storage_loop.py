"""StorageLoop.run: the work runs on the storage thread, its result or error comes back
to the caller's loop, and a caller that is cancelled leaves the work to finish. The
hand-offs each way are posted through a `_Mailbox`: in order, one wake-up a batch."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from zeroclaw.memory.storage_loop import StorageLoop, _Mailbox


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


async def test_calls_posted_from_another_thread_run_in_order_one_wake_up_a_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    wake_ups: list[object] = []
    wake = loop.call_soon_threadsafe

    def counted(callback: Any, *args: Any) -> Any:
        # Only the mailbox's own wake-ups: asyncio.to_thread's future also completes
        # through call_soon_threadsafe.
        if getattr(callback, "__self__", None) is mailbox:
            wake_ups.append(callback)
        return wake(callback, *args)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counted)
    mailbox = _Mailbox(loop)
    seen: list[int] = []

    def post(numbers: range) -> None:
        for n in numbers:
            mailbox.post(functools.partial(seen.append, n))

    # The loop is busy (blocked here) while another thread posts: one wake-up for all.
    poster = threading.Thread(target=post, args=(range(100),))
    poster.start()
    poster.join()
    await asyncio.sleep(0)
    assert seen == list(range(100))
    assert len(wake_ups) == 1
    # Once drained, the next post wakes the loop again.
    await asyncio.to_thread(post, range(100, 103))
    await asyncio.sleep(0)
    assert seen == list(range(103))
    # At least one more wake-up, at most one per post (the loop may drain between posts).
    assert 2 <= len(wake_ups) <= 4


async def test_a_posted_call_that_fails_does_not_stop_the_others() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        mailbox = _Mailbox(loop)
        seen: list[str] = []

        def fails() -> None:
            raise KeyError("boom")

        def post() -> None:
            mailbox.post(lambda: seen.append("before"))
            mailbox.post(fails)
            mailbox.post(lambda: seen.append("after"))

        await asyncio.to_thread(post)
        await asyncio.sleep(0)
        assert seen == ["before", "after"]
        [context] = reported
        assert isinstance(context["exception"], KeyError)
    finally:
        loop.set_exception_handler(None)


_REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="none")


async def test_the_work_sees_its_caller_s_context(storage: StorageLoop) -> None:
    # Hand-offs are batched, but each work runs in its own caller's context (a request's
    # trace or log ids), never in the one of the caller whose post woke the loop.
    async def seen() -> str:
        await asyncio.sleep(0)
        return _REQUEST.get()

    async def caller(name: str) -> str:
        _REQUEST.set(name)
        return await storage.run(seen())

    names = [f"request-{n}" for n in range(40)]
    assert await asyncio.gather(*(caller(name) for name in names)) == names
