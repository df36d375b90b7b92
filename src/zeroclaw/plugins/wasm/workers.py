"""The worker threads of one plugin, and how a call is handed to them and back.

A plugin whose calls do not run inline (inline.py; and an inline-first call that overran
its inline deadline) is called on threads of its own, at most as
many as its concurrency limit, so the event loop never waits for wasm and a slow plugin
queues only its own calls. The hand-off is on the path of every such call, so it is as
short as it can be: the caller gives (loop, future, function, arguments) to an idle thread
through that thread's own `SimpleQueue` and awaits the future; the thread runs it and sets
the result with `loop.call_soon_threadsafe`. The idle thread chosen is the one that went
idle last, so sequential calls keep one warm thread; a new thread starts only when calls
overlap, and when all `count` are busy the call waits in a backlog the next thread to
finish takes from.

Measured side by side on the project's 2-core machine under load (a WAT hook through the
HookRunner, 1000 ms limit): 192 us per dispatch through `loop.run_in_executor` (its
concurrent future, condition lock, work item and chained asyncio future), 151 us through
one queue shared by four threads (a put wakes the thread idle longest), 79 us through one
warm thread.

The same threads, one pool per plugin generation, run its hook chains (adapters/hooks.py,
hooks/runner.py): several plugins' calls one after another in one hop, each call still
taking its own plugin's slot, warm instance and deadline, so no store is ever used by two
threads at once (an instance belongs to one call at a time, whatever thread makes it).

A call whose caller was cancelled before a thread took it is dropped without running (as
`run_in_executor` drops a pending call); one that started runs to its end (its deadline
ends it) and its result is dropped, as is the result of a call whose caller settled the
future itself (a hook chain that stopped waiting for a handler past its timeout). `close`
lets the threads finish what was handed over, then they exit; a call handed over after
that runs on the caller's thread, where the closed plugin's `PluginCalls.call` refuses it
at once without running any wasm.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")

_WAIT: Any = object()  # a thread went idle: its next call comes through its inbox

_Item = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class PluginWorkers:
    """Up to `count` daemon threads that run one plugin's calls, started as calls overlap."""

    def __init__(self, name: str, count: int) -> None:
        self.name = name
        self.count = count
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[_Item | None]] = []  # inboxes, last idle last
        self._backlog: collections.deque[_Item] = collections.deque()
        self._threads = 0
        self._closed = False

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on one of the threads; its result or exception, here."""
        return await self.submit(fn, *args)

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Hand `fn(*args)` to one of the threads and return at once: the future (of the
        running loop) gets its result or exception. Cancelling the future before a thread
        took the call drops it; setting the future's result first (a caller that stopped
        waiting) leaves the call's own outcome unused."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        item: _Item = (loop, future, fn, args)
        inbox: queue.SimpleQueue[_Item | None] | None = None
        with self._lock:
            if self._closed:
                closed = True
            else:
                closed = False
                if self._idle:
                    inbox = self._idle.pop()  # the thread idle for the shortest time
                elif self._threads < self.count:
                    inbox = self._spawn()
                else:
                    self._backlog.append(item)  # the next thread to finish takes it
        if closed:
            # The plugin was unloaded: its `call` refuses at once, here, running no wasm.
            try:
                future.set_result(fn(*args))
            except Exception as error:
                future.set_exception(error)
            return future
        if inbox is not None:
            inbox.put(item)
        return future

    def _spawn(self) -> queue.SimpleQueue[_Item | None]:
        inbox: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        threading.Thread(
            target=self._serve,
            args=(inbox,),
            name=f"plugin-{self.name}-{self._threads}",
            daemon=True,
        ).start()
        self._threads += 1
        return inbox

    def _serve(self, inbox: queue.SimpleQueue[_Item | None]) -> None:
        item = inbox.get()
        while item is not None:
            settle = _call(item)
            # Idle (or the next call taken) before the result is handed back: the caller's
            # next call, which may follow at once, finds this thread, not a new one.
            with self._lock:
                if self._backlog:
                    following: _Item | None = self._backlog.popleft()
                elif self._closed:
                    following = None
                else:
                    self._idle.append(inbox)
                    following = _WAIT
            settle()
            del item, settle  # nothing of a finished call stays alive while waiting
            item = inbox.get() if following is _WAIT else following
        with self._lock:
            self._threads -= 1

    def close(self) -> None:
        """The threads finish the calls already handed over, then exit."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for inbox in idle:
            inbox.put(None)


def _call(item: _Item) -> Callable[[], None]:
    """Run the call of `item` (unless its caller gave up); what hands its outcome back."""
    loop, future, fn, args = item
    if future.cancelled():
        return _nothing
    try:
        value = fn(*args)
    except BaseException as error:  # the caller's to handle, as run_in_executor does
        return partial(_settle, loop, future, _set_exception, error)
    return partial(_settle, loop, future, _set_result, value)


def _nothing() -> None:
    return None


def _settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    setter: Callable[[asyncio.Future[Any], Any], None],
    value: Any,
) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
        loop.call_soon_threadsafe(setter, future, value)


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():  # cancelled, or settled by a caller that stopped waiting
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
