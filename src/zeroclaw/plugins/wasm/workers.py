"""The worker threads of one plugin, and how a call is handed to them and back.

A plugin that does not run inline (inline.py) is called on threads of its own, as many as
its concurrency limit, so the event loop never waits for wasm and a slow plugin queues only
its own calls. The hand-off is on the path of every such call, so it is as short as it can
be: the caller puts (loop, future, function, arguments) on one `SimpleQueue` and awaits the
future; a thread takes it, runs it and sets the result with `loop.call_soon_threadsafe`.
`loop.run_in_executor` does the same with more around it (a concurrent future and its
condition lock, a work item, the asyncio future chained to the concurrent one both ways):
measured side by side on the project's 2-core machine under load, a no-op round trip took
233 us through a one-thread `ThreadPoolExecutor` and 143 us through this queue.

A call whose caller was cancelled before a thread took it is dropped without running (as
`run_in_executor` drops a pending call); one that started runs to its end (its deadline
ends it) and its result is dropped. `close` lets the threads finish what is queued, then
they exit; a call handed over after that runs on the caller's thread, where the closed
plugin's `PluginCalls.call` refuses it at once without running any wasm.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Item = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class PluginWorkers:
    """`count` daemon threads (started on first use) that run one plugin's calls."""

    def __init__(self, name: str, count: int) -> None:
        self.name = name
        self.count = count
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._started = False
        self._closed = False
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on one of the threads; its result or exception, here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:  # against `close`: nothing is queued behind the threads' exit
            if not self._closed:
                if not self._started:
                    self._start()
                self._queue.put((loop, future, fn, args))
                queued = True
            else:
                queued = False
        if not queued:
            # Closed: the plugin was unloaded, and its `call` refuses at once, here.
            return fn(*args)
        return await future

    def _start(self) -> None:
        for index in range(self.count):
            threading.Thread(
                target=self._serve, name=f"plugin-{self.name}-{index}", daemon=True
            ).start()
        self._started = True

    def _serve(self) -> None:
        while (item := self._queue.get()) is not None:
            loop, future, fn, args = item
            if future.cancelled():
                continue
            try:
                value = fn(*args)
            except BaseException as error:  # the caller's to handle, as run_in_executor does
                _settle(loop, future, _set_exception, error)
            else:
                _settle(loop, future, _set_result, value)
            del item, future, args  # nothing of a finished call stays alive while waiting

    def close(self) -> None:
        """The threads finish the calls already queued, then exit."""
        with self._lock:
            self._closed = True
            if self._started:
                for _ in range(self.count):
                    self._queue.put(None)


def _settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    setter: Callable[[asyncio.Future[Any], Any], None],
    value: Any,
) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
        loop.call_soon_threadsafe(setter, future, value)


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.cancelled():
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(error)
