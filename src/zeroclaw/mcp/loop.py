"""`McpLoop`: the one thread whose event loop holds every MCP client connection.

Why a thread of its own: the SDK's connections are anyio task groups, entered and left in
one task and alive as long as the runtime, while callers come from everywhere: the
`asyncio.run` of a CLI command, the gateway's loop, a test's loop, or no loop at all
(`zeroclaw tools list` builds a runtime synchronously). Those loops come and go; this one
stays. A caller waits for a call with its own deadline (`run`), so neither a wedged
server nor a wedged loop can hold a turn past the call's timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class McpLoop:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="zeroclaw-mcp", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start `coro` on the MCP loop; its future, to wait on from any thread."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def run(self, coro: Coroutine[Any, Any, T], limit_s: float) -> T:
        """Run `coro` on the MCP loop and await it from the caller's loop; after `limit_s`
        seconds it is cancelled there and TimeoutError is raised here."""
        future = asyncio.wrap_future(self.submit(coro))
        return await asyncio.wait_for(future, limit_s)

    def run_sync(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `coro` on the MCP loop and block this thread for its result (code with no
        loop of its own); TimeoutError after `timeout` seconds, the coroutine cancelled."""
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no result within {timeout:g} s") from None

    def close(self, timeout: float = 10.0) -> None:
        """Cancel what still runs on the loop (each task cleans up: a stdio server is
        stopped), then stop the loop and its thread."""
        if not self._thread.is_alive():
            return
        with contextlib.suppress(TimeoutError, concurrent.futures.CancelledError):
            self.run_sync(self._cancel_all(), timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()

    async def _cancel_all(self) -> None:
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
