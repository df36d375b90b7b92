"""Which plugin calls run on the event loop's own thread, and how long they may hold it.

Why: handing a call to a worker thread and back (`run_in_executor`) costs more than the
whole call into a small guest: ~115 us of a ~150 us hook dispatch on the project's 2-core
machine, against ~30 us for the call itself (benchmarks/plugin_hook_bench.py). A call made
on the loop's thread skips both hops, but the loop runs nothing else until it returns.

So a plugin's calls run inline only when they are known to end soon:

- its time limit (`timeout_ms`, which epoch interruption enforces on the guest, loops
  included) is at most `plugins.inline_call_ms`; and
- every host interface it imports ends by that same deadline. `log`, `console` and
  `config` do not wait on anything; `http` gives each socket operation only the time left
  before the call's deadline. `kv` and `memory` wait on storage (a SQLite lock, a
  PostgreSQL server) by timeouts of their own, and WASI file access on the file system:
  a plugin importing any of them always runs on its worker threads.

The bound: `LoopBudget` counts the time inline calls have held the current thread since it
last let the loop run; once that reaches `inline_call_ms`, the next inline call first
yields to the loop (`await asyncio.sleep(0)`). The loop therefore waits at most
2 x `inline_call_ms` plus about one epoch tick (1 ms) for plugin calls before it can run
anything else, whatever the guests do: what was held before the last call (under
`inline_call_ms`) plus that call, which its deadline ends. tests/plugins/test_inline_calls.py
holds a spinning guest to that bound.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Final

from zeroclaw.plugins.contract.imports import HOST_PACKAGE

# Host interfaces whose every function returns by the calling guest's deadline.
DEADLINE_BOUND_INTERFACES: Final = frozenset(
    f"{HOST_PACKAGE}/{name}" for name in ("log", "console", "config", "http")
)


def runs_inline(timeout_ms: int, imports: Iterable[str], inline_call_ms: int) -> bool:
    """Whether calls into a plugin with this time limit and these imports run on the event
    loop's thread (see the module docstring)."""
    if timeout_ms > inline_call_ms:
        return False
    return all(_interface(name) in DEADLINE_BOUND_INTERFACES for name in imports)


def _interface(import_name: str) -> str:
    # "zeroclaw:host/log@1.0.0" -> "zeroclaw:host/log"
    return import_name.partition("@")[0]


class LoopBudget:
    """Time inline plugin calls have held each thread since it last yielded to its loop."""

    def __init__(self) -> None:
        self._local = threading.local()

    def must_yield(self, slice_s: float) -> bool:
        held: float = getattr(self._local, "held", 0.0)
        return held >= slice_s

    def yielded(self) -> None:
        self._local.held = 0.0

    def spent(self, seconds: float) -> None:
        self._local.held = getattr(self._local, "held", 0.0) + seconds


LOOP_BUDGET: Final = LoopBudget()
