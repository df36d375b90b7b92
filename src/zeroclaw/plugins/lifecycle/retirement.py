"""Retiring (`SnapshotUsers`): a turn takes its snapshot's hook view once, at its start, and
dispatches on it to its end; void hook calls hold the view they were emitted on. Those
views are the snapshot's users. A replaced snapshot is closed (new calls refused, warm
instances dropped) on a thread of its own once the last of them has been garbage
collected: CPython frees an object when its last reference goes, so that is when the turn
or call that used it ends.

This module does not import wasmtime.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot

_LOG = logging.getLogger("zeroclaw.plugins")

_JOIN_TIMEOUT_S = 5.0


class SnapshotUsers:
    """Which objects use which snapshot; a retired snapshot is closed when its last user is
    gone.

    `hold(snapshot, user)` registers a user (a hook view); `retire(snapshot)` says the
    snapshot was replaced. A caller must read `registry.current()` and `hold` it under the
    same lock as it calls `retire`, or a user could start on a snapshot already closed;
    `hold` refuses (returns False) a snapshot already retired, as a check.

    Users are tracked by weak reference, and their deaths are reported through a
    `SimpleQueue` (safe to put from a finalizer, whatever thread or lock it interrupts) to
    one closer thread, started on the first retirement.
    """

    def __init__(self, close: Callable[[PluginSnapshot], None] | None = None) -> None:
        self._close = close or _close_snapshot
        self._lock = threading.Lock()
        self._held: dict[int, list[weakref.ref[object]]] = {}
        self._retiring: dict[int, PluginSnapshot] = {}
        self._retired: set[int] = set()
        self._events: queue.SimpleQueue[tuple[str, int, PluginSnapshot | None, int]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None

    def hold(self, snapshot: PluginSnapshot, user: object) -> bool:
        """`user` uses `snapshot` for as long as it lives. False: already retired."""
        with self._lock:
            if snapshot.generation in self._retired:
                return False
            refs = self._held.setdefault(snapshot.generation, [])
            refs[:] = [ref for ref in refs if ref() is not None]
            refs.append(weakref.ref(user))
            return True

    def retire(self, snapshot: PluginSnapshot) -> None:
        """`snapshot` was replaced: close it once no user of it is left (now, if none)."""
        with self._lock:
            generation = snapshot.generation
            if generation in self._retired:
                return
            self._retired.add(generation)
            self._retiring[generation] = snapshot
            alive = [user for ref in self._held.pop(generation, []) if (user := ref()) is not None]
            self._start()
            # Queued before the finalizers exist, so the closer sees it before any "gone".
            self._events.put(("retire", generation, snapshot, len(alive)))
            for user in alive:
                weakref.finalize(user, self._events.put, ("gone", generation, None, 0))

    def retiring(self) -> tuple[int, ...]:
        """Generations replaced but not closed yet (some turn or call still uses them)."""
        with self._lock:
            return tuple(sorted(self._retiring))

    def close(self) -> None:
        """Stop the closer thread and close every retired snapshot still open, waiting for
        the calls running in it (the runtime is shutting down: its turns are over)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._events.put(("stop", 0, None, 0))
            thread.join(_JOIN_TIMEOUT_S)
        with self._lock:
            left, self._retiring = list(self._retiring.values()), {}
        for snapshot in left:
            self._close(snapshot)
            snapshot.wait_idle()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="plugin-snapshot-closer", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        users_left: dict[int, tuple[PluginSnapshot, int]] = {}
        while True:
            kind, generation, snapshot, count = self._events.get()
            if kind == "stop":
                return
            if kind == "retire" and snapshot is not None:
                users_left[generation] = (snapshot, count)
            elif kind == "gone" and generation in users_left:
                snapshot, left = users_left[generation]
                users_left[generation] = (snapshot, left - 1)
            entry = users_left.get(generation)
            if entry is not None and entry[1] <= 0:
                del users_left[generation]
                self._release(entry[0])

    def _release(self, snapshot: PluginSnapshot) -> None:
        with self._lock:
            if self._retiring.pop(snapshot.generation, None) is None:
                return  # closed by `close` meanwhile
        try:
            self._close(snapshot)
        except Exception:
            _LOG.exception("closing plugin generation %d failed", snapshot.generation)
        else:
            _LOG.debug("plugin generation %d released", snapshot.generation)


def _close_snapshot(snapshot: PluginSnapshot) -> None:
    snapshot.close()
