"""A plugin's worker threads: the hand-off of a call and back, concurrency, cancellation,
close."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from zeroclaw.plugins.wasm.workers import PluginWorkers


def thread_name() -> str:
    return threading.current_thread().name


def boom() -> None:
    raise LookupError("from the worker")


async def test_a_call_runs_on_a_worker_thread_and_its_result_comes_back() -> None:
    workers = PluginWorkers("demo", 2)
    try:
        assert (await workers.run(thread_name)).startswith("plugin-demo-")
        assert await workers.run(divmod, 7, 2) == (3, 1)
        with pytest.raises(LookupError, match="from the worker"):
            await workers.run(boom)
    finally:
        workers.close()


async def test_as_many_calls_run_at_once_as_there_are_threads() -> None:
    workers = PluginWorkers("pair", 2)
    both = threading.Barrier(2, timeout=5)  # broken (raises) unless two calls meet
    try:
        await asyncio.gather(workers.run(both.wait), workers.run(both.wait))
    finally:
        workers.close()


async def test_a_call_cancelled_before_a_thread_takes_it_never_runs() -> None:
    workers = PluginWorkers("one", 1)
    release = threading.Event()
    ran: list[str] = []
    try:
        first = asyncio.ensure_future(workers.run(release.wait, 5))
        await asyncio.sleep(0.05)  # the only thread is now busy with the first call
        second = asyncio.ensure_future(workers.run(ran.append, "second"))
        await asyncio.sleep(0)
        second.cancel()
        release.set()
        assert await first is True
        with pytest.raises(asyncio.CancelledError):
            await second
        assert await workers.run(ran.append, "third") is None
        assert ran == ["third"]
    finally:
        workers.close()


async def test_close_lets_queued_calls_finish_then_the_threads_exit() -> None:
    workers = PluginWorkers("closing", 1)
    release = threading.Event()
    running = asyncio.ensure_future(workers.run(release.wait, 5))
    queued = asyncio.ensure_future(workers.run(thread_name))
    await asyncio.sleep(0.05)
    workers.close()
    release.set()

    assert await running is True
    assert (await queued).startswith("plugin-closing-")
    # After close, a call runs on the caller's thread (a closed plugin refuses it there).
    assert await workers.run(thread_name) == threading.current_thread().name
    deadline = time.monotonic() + 5
    while any(t.name.startswith("plugin-closing-") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the worker thread did not exit"
        await asyncio.sleep(0.01)


async def test_calls_one_after_another_keep_one_warm_thread() -> None:
    workers = PluginWorkers("warm", 4)
    try:
        names = {await workers.run(thread_name) for _ in range(20)}
        assert names == {"plugin-warm-0"}
        # Overlapping calls start more threads, up to the count.
        started = threading.Barrier(3, timeout=5)
        await asyncio.gather(*(workers.run(started.wait) for _ in range(3)))
        assert (
            len({t.name for t in threading.enumerate() if t.name.startswith("plugin-warm-")}) == 3
        )
    finally:
        workers.close()


async def test_a_call_whose_caller_settled_the_future_itself_ends_quietly() -> None:
    workers = PluginWorkers("settled", 1)
    release = threading.Event()
    errors: list[dict[str, object]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
    try:
        future = workers.submit(release.wait, 5)
        await asyncio.sleep(0.05)  # the thread runs it
        future.set_result(False)  # the caller stopped waiting (a hook chain past a timeout)
        release.set()
        assert (await workers.run(thread_name)).startswith("plugin-settled-")  # free again
        assert future.result() is False  # the call's own result (True) went unused
        assert errors == []  # and setting it raised nothing on the loop
    finally:
        workers.close()
