"""Which plugin calls run on the event loop's own thread, and how long they may hold it.

Why: handing a call to a worker thread and back costs more than the whole call into a
small guest: ~70 us of a ~95 us hook dispatch on the project's 2-core machine, against
~21 us for the whole dispatch inline (benchmarks/plugin_hook_bench.py). A call made on the
loop's thread skips both hops, but the loop runs nothing else until it returns. Each
plugin gets one of three modes (`inline_mode`, decided at load from its limits and its
imports):

- `INLINE`: every call runs inline. Its time limit (`timeout_ms`, which epoch
  interruption enforces on the guest, loops included) is at most `plugins.inline_call_ms`,
  and every host interface it imports ends by that same deadline. `log`, `console` and
  `config` do not wait on anything; `http` gives each socket operation only the time left
  before the call's deadline.
- `FIRST` ("inline first", `plugins.inline_first`, on by default): a longer time limit,
  and a guest that may be run again from scratch, because nothing it can do is seen
  outside its own instance: it imports nothing, or only `config` (reads), `log` and
  `console` (whose lines the runtime holds during the attempt, host/held_output.py). Each
  call first runs inline with the epoch deadline set to what is left of the loop's slice
  (`inline_call_ms` less what inline calls have held since the loop last ran, at least
  half of it; never more than its own limit). Ended in time: done, at inline cost.
  Interrupted by that deadline (and only that: a trap, fuel, memory, a bad result are
  the call's real outcome): the instance is dropped, nothing of the attempt counts (no
  failure, no breaker step, no event; `inline_overruns` in the plugin's stats), and the
  call runs again on the plugin's worker threads with what is left of its own
  `timeout_ms`, counted from the call's start: the whole call still ends by its timeout
  (plus about one epoch tick). A call that finds no warm idle instance goes to the worker
  threads at once (instantiating a Python guest takes milliseconds; the worker warms one).
  After an overrun, the plugin's next call of that function goes straight to the worker
  threads; each further overrun in a row doubles the number of calls skipped (2, 4, ...
  up to `OVERRUN_BACKOFF_MAX_CALLS`, 1024); one inline call that ends in time resets it.
  Counted in calls, not seconds: an overrun a busy machine caused (the loop's thread
  descheduled past the short deadline) costs one call on a worker, not a second of them;
  a function whose calls are always slow pays one abandoned attempt per 1025 calls, under
  0.1% of what those calls take anyway (each is longer than the attempt). Per function:
  a hook plugin with a cheap event and an expensive one keeps the cheap one inline.
- `WORKERS`: every call on the plugin's worker threads. A plugin importing `http`, `kv`,
  `memory` or any WASI interface has effects outside its instance (a request sent, a key
  written, a file) and is never run twice; with a longer time limit it is called here
  (`kv`, `memory` and WASI wait on storage by timeouts of their own: always here).

The bound: `LoopBudget` counts the time inline calls have held the current thread in its
loop's current slice (since the loop last came back to its other work, or a call that
found the slice spent yielded to it); once that reaches `inline_call_ms` (half of it, before an
inline-first attempt), the next inline call first yields to the loop
(`await asyncio.sleep(0)`). The loop therefore waits at most 2 x `inline_call_ms` plus
about one epoch tick (1 ms) for plugin calls before it can run anything else, whatever the
guests do: what was held before the last call (under `inline_call_ms`) plus that call,
which its deadline ends (an inline-first attempt's deadline ends it within the slice).
tests/plugins/runtime/test_inline_calls.py holds spinning guests of both kinds to that
bound.
"""

from __future__ import annotations

import threading
from asyncio import events as asyncio_events
from collections.abc import Iterable
from enum import Enum
from typing import Final

from zeroclaw.plugins.contract.imports import HOST_PACKAGE

# Host interfaces whose every function returns by the calling guest's deadline.
DEADLINE_BOUND_INTERFACES: Final = frozenset(
    f"{HOST_PACKAGE}/{name}" for name in ("log", "console", "config", "http")
)
# Host interfaces whose calls leave nothing outside the guest's instance (reads, and lines
# the runtime holds until the attempt is kept): a guest importing only these may be run
# again from scratch.
RERUNNABLE_INTERFACES: Final = frozenset(
    f"{HOST_PACKAGE}/{name}" for name in ("log", "console", "config")
)

# After an inline-first attempt overran: this many calls of the function go to the worker
# threads, doubled per overrun in a row, up to the cap.
OVERRUN_BACKOFF_CALLS: Final = 1
OVERRUN_BACKOFF_MAX_CALLS: Final = 1024


class InlineMode(Enum):
    """Where a plugin's calls run (see the module docstring)."""

    INLINE = "inline"
    FIRST = "inline first"
    WORKERS = "worker threads"


def inline_mode(
    timeout_ms: int, imports: Iterable[str], inline_call_ms: int, *, inline_first: bool
) -> InlineMode:
    """The mode of a plugin with this time limit and these imports (module docstring)."""
    names = tuple(imports)
    if runs_inline(timeout_ms, names, inline_call_ms):
        return InlineMode.INLINE
    if inline_first and inline_call_ms > 0 and reruns_safely(names):
        return InlineMode.FIRST
    return InlineMode.WORKERS


def reruns_safely(imports: Iterable[str]) -> bool:
    """Whether a guest with these imports may be run again from scratch: nothing it can
    do is seen outside its instance."""
    return all(_interface(name) in RERUNNABLE_INTERFACES for name in imports)


def runs_inline(timeout_ms: int, imports: Iterable[str], inline_call_ms: int) -> bool:
    """Whether calls into a plugin with this time limit and these imports run on the event
    loop's thread (see the module docstring)."""
    if timeout_ms > inline_call_ms or inline_call_ms <= 0:
        return False
    return all(_interface(name) in DEADLINE_BOUND_INTERFACES for name in imports)


def _interface(import_name: str) -> str:
    # "zeroclaw:host/log@1.0.0" -> "zeroclaw:host/log"
    return import_name.partition("@")[0]


class _Held(threading.local):
    held: float = 0.0  # each thread's own, 0 until its first inline call


class LoopBudget:
    """Time inline plugin calls have held each thread in its loop's current slice: since
    its event loop last came back to run its other work, or since the call that found the
    slice spent yielded to it.

    The first inline call of a slice (nothing held yet) schedules the slice's end on the
    thread's running loop (`call_soon`): the loop runs that callback only once the code
    holding it has returned control, so the budget counts one slice and never what calls
    held in slices before (otherwise it would build up across turns, make calls yield more
    often than needed, and shorten inline-first attempts to half the slice). The callback
    runs in the loop's next pass, before whatever that pass polls; a task resumed in that
    pass may hold a slice again before the rest runs, as after the yield: the bound of the
    module docstring counts two slices for this. A thread without a running loop is reset
    only by `yielded`.
    """

    def __init__(self) -> None:
        self._local = _Held()

    def must_yield(self, slice_s: float) -> bool:
        return self._local.held >= slice_s

    def held(self) -> float:
        """Seconds inline calls have held this thread in the current slice."""
        return self._local.held

    def yielded(self) -> None:
        self._local.held = 0.0

    def spent(self, seconds: float) -> None:
        local = self._local
        held = local.held
        if not held:
            # The slice's first call: its end comes when the loop runs its other work.
            loop = asyncio_events._get_running_loop()
            if loop is not None:
                loop.call_soon(self.yielded)
        local.held = held + seconds


LOOP_BUDGET: Final = LoopBudget()
