"""A plugin's log and console lines, held while its call may still be abandoned.

An inline-first call (wasm/inline.py) runs on the event loop's thread with a short
deadline; when that deadline interrupts it, the attempt is dropped and the call runs again
from scratch on a worker thread. What the abandoned attempt wrote must not appear (the
lines would show twice, or show a call that never happened), so while an attempt runs,
`zeroclaw:host/log` and `zeroclaw:host/console` hand their lines here instead of writing
them: `release` writes them, in order, through the usual path (the rate limiter and the
per-call caps apply then, so a dropped attempt costs the plugin no log tokens); `drop`
forgets them.

Held per thread (a call runs on one thread), and bounded: at most `MAX_HELD_WRITES`
writes of at most `MAX_HELD_CHARS` characters each (more than either interface writes of
one line or one call: a longer write is cut here without changing what is logged). Writes
past that are counted and said in one line on release.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from zeroclaw.plugins.host.log import plugin_logger

MAX_HELD_WRITES = 200
MAX_HELD_CHARS = 65_536


@dataclass(slots=True)
class _Held:
    writes: list[tuple[Callable[[str, str], None], str, str]] = field(default_factory=list)
    overflow: int = 0


class HeldOutput:
    """One plugin's held lines, per thread."""

    def __init__(self, plugin: str) -> None:
        self.plugin = plugin
        self._local = threading.local()

    def hold(self) -> None:
        """From now on this thread's writes of the plugin are held."""
        self._local.held = _Held()

    def defer(self, write: Callable[[str, str], None], level: str, text: str) -> bool:
        """Hold `write(level, text)` if this thread's output is held; False: write it now."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            return False
        if len(held.writes) < MAX_HELD_WRITES:
            held.writes.append((write, level, text[:MAX_HELD_CHARS]))
        else:
            held.overflow += 1
        return True

    def release(self) -> None:
        """The attempt is kept: write what it wrote, and stop holding."""
        held: _Held | None = getattr(self._local, "held", None)
        self._local.held = None
        if held is None:
            return
        for write, level, text in held.writes:
            write(level, text)
        if held.overflow:
            plugin_logger(self.plugin).warning(
                "plugin %s wrote %d more lines in one call than the host keeps: dropped",
                self.plugin,
                held.overflow,
                extra={"plugin": self.plugin},
            )

    def drop(self) -> None:
        """The attempt is abandoned: forget what it wrote, and stop holding."""
        self._local.held = None
