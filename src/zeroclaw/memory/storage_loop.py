"""The event loop the database lives on: one thread of its own, one asyncio loop.

An async engine's connections belong to the loop that opened them (asyncpg's do; an
aiosqlite connection answers on its loop). The runtime is built before any loop runs,
the gateway serves on uvicorn's loop, the CLI runs one `asyncio.run` per command, and
plugins call the host from worker threads: no caller's loop is the one loop every
storage call could use. So the engine lives on a loop of its own, in a thread of its
own, and every call is handed to it:

- `run(work)`: for async callers. The caller's loop awaits the result and goes on
  serving everyone else meanwhile; nothing of the storage work runs on it. The work is
  shielded: a caller that is cancelled (a client gone) does not cut a transaction in
  half; it finishes, or fails, on its own, and is committed or rolled back whole.
- `run_at_start(work)` and `stop(last)`: opening and closing the database, which may
  wait wherever they are called (nothing is being served yet, or any more).
- `run_blocking(work)`: the documented bridge for synchronous callers on threads that
  run no event loop (a plugin's host call on its worker thread, the doctor, start-up and
  shutdown). Called on a thread whose loop is running, it refuses: it would stall that
  loop, which must `await run(...)` instead.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _Mailbox:
    """Calls posted to one loop from other threads, the loop woken once per batch.

    `call_soon_threadsafe` writes to the loop's self-pipe on every call (a system call
    here, a wake-up of the loop's `select` there). Under load the loop is usually busy
    and already has a batch pending: a post then only appends. The flag is cleared before
    the batch is taken, so a post that saw it set is in that batch. Each call runs in the
    context of its post, as `call_soon_threadsafe` would run it (the work's task, made
    there, keeps its caller's context variables)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._calls: collections.deque[tuple[contextvars.Context, Callable[[], object]]] = (
            collections.deque()
        )
        self._woken = False

    def post(self, call: Callable[[], object]) -> None:
        """Run `call` on the loop soon (RuntimeError if the loop is closed)."""
        self._calls.append((contextvars.copy_context(), call))
        if not self._woken:
            self._woken = True
            try:
                self._loop.call_soon_threadsafe(self._drain)
            except BaseException:
                self._woken = False
                raise

    def _drain(self) -> None:
        self._woken = False
        calls = self._calls
        while calls:
            context, call = calls.popleft()
            try:
                context.run(call)
            except Exception as error:  # one call's failure is not the others'
                self._loop.call_exception_handler(
                    {"message": "a call posted to the loop failed", "exception": error}
                )


class StorageLoop:
    def __init__(self, name: str = "zeroclaw-storage") -> None:
        self._loop = asyncio.new_event_loop()
        self._inbox = _Mailbox(self._loop)
        # The callers' loops, each with the mailbox the storage loop answers to.
        self._outboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Mailbox] = (
            weakref.WeakKeyDictionary()
        )
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name=name, daemon=True)
        self._thread.start()
        ready.wait()

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
        self._loop.run_forever()

    def owns_current_thread(self) -> bool:
        return threading.current_thread() is self._thread

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the storage loop and await its result from the caller's loop.

        One hand-off each way, and no more: the work becomes a task of the storage loop
        (posted to it: `_Mailbox`), whose end settles a future of the caller's loop the
        same way. `run_coroutine_threadsafe`, `wrap_future` and `shield` did the same through
        a `concurrent.futures.Future` (its lock, its callbacks) and two chained asyncio
        futures; on the gateway that bookkeeping cost more than a turn's SQLite
        statements (docs/benchmarks.md). The caller's future stands alone, so cancelling
        the caller leaves the task running to its end (the shield of the module
        docstring)."""
        if self.owns_current_thread():
            return await work
        if self._loop.is_closed():
            work.close()
            raise RuntimeError("the storage loop is stopped")
        caller = asyncio.get_running_loop()
        future: asyncio.Future[T] = caller.create_future()
        outbox = self._outboxes.get(caller)
        if outbox is None:
            outbox = self._outboxes[caller] = _Mailbox(caller)

        def settle(task: asyncio.Task[T]) -> None:
            if not caller.is_closed():  # a caller's loop that ended waits for nothing
                with contextlib.suppress(RuntimeError):  # (closed meanwhile)
                    outbox.post(lambda: _copy_outcome(task, future))

        def start() -> None:
            self._loop.create_task(work).add_done_callback(settle)

        self._inbox.post(start)
        return await future

    def run_blocking(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the storage loop and wait for it, from a thread without a loop."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            work.close()
            raise RuntimeError(
                "a blocking storage call on a thread whose event loop is running would stall "
                "it: await the store's coroutine instead"
            )
        return self._submit(work).result()

    def run_at_start(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` (opening the database) and wait for it, from any thread: start-up
        work, done before anything is served, so it may wait even on a running loop."""
        return self._submit(work).result()

    def submit(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start `work` on the storage loop; cancelling the future cancels the work (what
        `run` shields against: a caller that must undo what it started uses this)."""
        return self._submit(work)

    def _submit(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._loop.is_closed():
            work.close()
            raise RuntimeError("the storage loop is stopped")
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    def stop(self, last: Coroutine[Any, Any, object] | None = None) -> None:
        """Run `last` (closing the engine), then stop the loop and its thread. Shutdown
        work: it may wait a moment on a thread whose loop runs (nothing is served then)."""
        if self._loop.is_closed():
            if last is not None:
                last.close()
            return
        if last is not None and not self.owns_current_thread():
            with contextlib.suppress(Exception):
                self._submit(last).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


def _copy_outcome(task: asyncio.Task[T], future: asyncio.Future[T]) -> None:
    """On the caller's loop: the storage task's outcome, unless the caller is gone."""
    if task.cancelled():
        future.cancel()
        return
    error = task.exception()  # read even when nobody waits: no "never retrieved" warning
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(task.result())
