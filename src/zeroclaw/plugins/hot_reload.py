"""Hot reload: build a candidate snapshot beside the live one, check it, swap, release.

A reload (`PluginReloader.reload`), whatever asked for it (the watcher, `POST
/api/plugins/reload`, SIGHUP, `zeroclaw plugins reload`), runs one at a time:

1. `registry.build(config)` loads every plugin of `plugins.dirs` into a candidate snapshot:
   manifest, ABI, grants, compile, exports, imports, link, instantiate, self-describe (the
   steps of `loader.py`). A required plugin that does not load ends it there.
2. The candidate is refused when any plugin fails in it that did not already fail in the
   live snapshot (a plugin that was broken before stays broken and reported, and does not
   block the others' updates), and, with `plugins.require_approval_for_new_capabilities`,
   when a plugin would gain a grant whose set is not approved (`permissions.py`).
3. Accepted: `registry.publish` makes it current in one reference swap and the generation
   goes up; the replaced snapshot is retired. Refused: the candidate is closed (its
   instances were never used) and the live snapshot goes on serving, untouched.

Either way the outcome is a `ReloadReport`: logged, recorded as a `PluginReload` observer
event (the `zeroclaw_plugin_reloads` metric), and kept for `status()` (GET
/api/plugins/status, `zeroclaw plugins status`). A later reload starts afresh, so the next
good change is picked up.

Retiring (`SnapshotUsers`): a turn takes its snapshot's hook view once, at its start, and
dispatches on it to its end; void hook calls hold the view they were emitted on. Those
views are the snapshot's users. A replaced snapshot is closed (new calls refused, warm
instances dropped) on a thread of its own once the last of them has been garbage
collected: CPython frees an object when its last reference goes, so that is when the turn
or call that used it ends.

The watcher (`PluginWatcher`, with `plugins.hot_reload`) watches `plugins.dirs` with
watchfiles on a thread and asks for a reload once the dirs have been quiet for
`plugins.reload_debounce_ms`.

This module does not import wasmtime (the registry it is given does); watchfiles is
imported only when watching starts.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zeroclaw.errors import ZeroClawError
from zeroclaw.observability import NoopObserver, Observer, PluginReload
from zeroclaw.plugins.errors import PluginError
from zeroclaw.plugins.permissions import ApprovalStore, PermissionDiff, permission_diffs

if TYPE_CHECKING:
    from zeroclaw.config.models import PluginsConfig
    from zeroclaw.plugins.registry import PluginRegistry, PluginSnapshot

_LOG = logging.getLogger("zeroclaw.plugins")

# How long the watcher's thread waits in watchfiles before looking up (it also tells when
# the watch is in place, see `PluginWatcher.ready`).
_WATCH_POLL_MS = 100
_JOIN_TIMEOUT_S = 5.0


# -- retiring replaced snapshots ---------------------------------------------------------------


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


# -- what a reload reports ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReloadReport:
    """How one reload ended. `generation` is the one serving afterwards: the candidate's
    when `swapped`, the live one's otherwise (then `reason` says why)."""

    trigger: str
    at: float  # time.time() at the start
    duration_ms: float
    swapped: bool
    generation: int
    previous_generation: int
    plugins: int  # in the snapshot serving afterwards
    reason: str | None = None
    problems: tuple[str, ...] = ()  # each plugin that failed, with its error
    still_failing: tuple[str, ...] = ()  # failed before this reload too: reported, not fatal
    permission_changes: tuple[PermissionDiff, ...] = ()
    awaiting_approval: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PluginSummary:
    name: str
    version: str | None
    package: str | None
    state: str
    required: bool
    grants: tuple[str, ...]
    error: str | None


@dataclass(frozen=True, slots=True)
class ReloadStatus:
    """The live snapshot and the reloads so far (GET /api/plugins/status)."""

    generation: int
    plugins: tuple[PluginSummary, ...]
    hot_reload: bool
    watching: tuple[str, ...]
    watcher_error: str | None
    require_approval: bool
    swapped: int
    rolled_back: int
    last: ReloadReport | None
    last_failure: ReloadReport | None
    retiring: tuple[int, ...]
    serving_blocker: str | None


def grants_of(snapshot: PluginSnapshot) -> dict[str, tuple[str, ...]]:
    """Plugin name -> its granted capabilities, as strings."""
    return {
        name: tuple(sorted(str(c) for c in plugin.grants.granted))
        for name, plugin in snapshot.plugins.items()
    }


def summaries(snapshot: PluginSnapshot) -> tuple[PluginSummary, ...]:
    granted = grants_of(snapshot)
    return tuple(
        PluginSummary(
            name=status.name,
            version=status.version,
            package=status.package,
            state=status.current_state,
            required=status.required,
            grants=granted.get(status.name, ()),
            error=status.error.message if status.error is not None else None,
        )
        for status in snapshot.statuses
    )


# -- reloading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Verdict:
    problems: tuple[str, ...]
    still_failing: tuple[str, ...]
    diffs: tuple[PermissionDiff, ...]
    awaiting: tuple[str, ...]

    @property
    def reason(self) -> str | None:
        if self.problems:
            return "; ".join(self.problems)
        if self.awaiting:
            waiting = [d for d in self.diffs if d.plugin in self.awaiting]
            commands = ", ".join(f"`zeroclaw plugins approve {name}`" for name in self.awaiting)
            return (
                "new capabilities await approval: "
                + "; ".join(str(diff) for diff in waiting)
                + f" (approve with {commands}, then reload)"
            )
        return None


class PluginReloader:
    """Reloads the plugins of `config` into `registry` (see the module docstring)."""

    def __init__(
        self,
        registry: PluginRegistry,
        config: PluginsConfig,
        *,
        approvals: ApprovalStore | None = None,
        retire: Callable[[PluginSnapshot], None] | None = None,
        observer: Observer | None = None,
        serves: Callable[[PluginSnapshot], None] | None = None,
    ) -> None:
        """`serves` checks that the agent can run on a candidate (e.g. that the provider
        plugin the config names is in it); a ZeroClawError from it rolls the reload back."""
        self.registry = registry
        self._serves = serves
        self.config = config
        self.approvals = approvals
        self.observer: Observer = observer or NoopObserver()
        self._retire = retire or registry.users.retire
        self._lock = threading.Lock()
        self._closed = False
        self._last: ReloadReport | None = None
        self._last_failure: ReloadReport | None = None
        self._counts = {"swapped": 0, "rolled_back": 0}
        # requests (`request`): served one after another by a thread of their own
        self._wake = threading.Event()
        self._trigger = "request"
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self.watcher: PluginWatcher | None = None

    # -- reloading -----------------------------------------------------------------------------

    def reload(self, trigger: str = "manual") -> ReloadReport:
        """Build, check and (if it passes) publish a new snapshot; blocks until done."""
        with self._lock:
            started, at = time.perf_counter(), time.time()
            live = self.registry.current()
            if self._closed:
                return self._rolled_back(trigger, at, started, live, "the runtime is stopping")
            try:
                candidate = self.registry.build(self.config)
            except PluginError as error:
                return self._rolled_back(
                    trigger, at, started, live, error.message, problems=(error.message,)
                )
            except Exception as exc:  # a host bug: still never a half-loaded state
                _LOG.exception("building the plugin candidate snapshot failed")
                unexpected = f"unexpected error while loading: {type(exc).__name__}: {exc}"
                return self._rolled_back(trigger, at, started, live, unexpected)
            try:
                verdict = self._check(live, candidate)
                if verdict.reason is None and self._serves is not None:
                    self._serves(candidate)
            except ZeroClawError as error:  # approvals unreadable, or the agent cannot serve
                verdict = _Verdict((error.message,), (), (), ())
            if verdict.reason is not None:
                candidate.close()
                return self._rolled_back(trigger, at, started, live, verdict.reason, verdict)
            previous = self.registry.publish(candidate)
            self._retire(previous)
            return self._done(
                ReloadReport(
                    trigger=trigger,
                    at=at,
                    duration_ms=_ms_since(started),
                    swapped=True,
                    generation=candidate.generation,
                    previous_generation=previous.generation,
                    plugins=len(candidate.plugins),
                    still_failing=verdict.still_failing,
                    permission_changes=verdict.diffs,
                )
            )

    async def reload_async(self, trigger: str) -> ReloadReport:
        """`reload` on a worker thread: loading compiles and instantiates."""
        return await asyncio.to_thread(self.reload, trigger)

    def request(self, trigger: str) -> None:
        """Ask for a reload and return at once (the watcher, SIGHUP). Requests made while a
        reload runs make one more reload after it, so no change is left unseen."""
        if self._closed:
            return
        self._trigger = trigger
        with self._worker_lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._serve_requests, name="plugin-reload", daemon=True
                )
                self._worker.start()
        self._wake.set()

    def _serve_requests(self) -> None:
        while True:
            self._wake.wait()
            if self._closed:
                return
            self._wake.clear()
            try:
                self.reload(self._trigger)
            except Exception:
                _LOG.exception("plugin reload failed")

    def _check(self, live: PluginSnapshot, candidate: PluginSnapshot) -> _Verdict:
        failed_before = {s.directory for s in live.statuses if s.state == "failed"}
        problems: list[str] = []
        still_failing: list[str] = []
        for status in candidate.load_errors:
            line = f"{status.name}: {status.error.message if status.error else 'failed'}"
            (still_failing if status.directory in failed_before else problems).append(line)
        granted = grants_of(candidate)
        diffs = permission_diffs(grants_of(live), granted)
        awaiting = () if problems else self._unapproved(diffs, granted)
        return _Verdict(tuple(problems), tuple(still_failing), diffs, awaiting)

    def _unapproved(
        self, diffs: Sequence[PermissionDiff], granted: Mapping[str, Sequence[str]]
    ) -> tuple[str, ...]:
        """The plugins that would gain grants nobody approved (approvals required)."""
        if not self.config.require_approval_for_new_capabilities:
            return ()
        approvals = self.approvals
        return tuple(
            diff.plugin
            for diff in diffs
            if diff.escalates
            and (approvals is None or not approvals.is_approved(diff.plugin, granted[diff.plugin]))
        )

    def _rolled_back(
        self,
        trigger: str,
        at: float,
        started: float,
        live: PluginSnapshot,
        reason: str,
        verdict: _Verdict | None = None,
        problems: tuple[str, ...] = (),
    ) -> ReloadReport:
        return self._done(
            ReloadReport(
                trigger=trigger,
                at=at,
                duration_ms=_ms_since(started),
                swapped=False,
                generation=live.generation,
                previous_generation=live.generation,
                plugins=len(live.plugins),
                reason=reason,
                problems=verdict.problems if verdict else problems,
                still_failing=verdict.still_failing if verdict else (),
                permission_changes=verdict.diffs if verdict else (),
                awaiting_approval=verdict.awaiting if verdict else (),
            )
        )

    def _done(self, report: ReloadReport) -> ReloadReport:
        self._last = report
        for diff in report.permission_changes:
            _LOG.warning("plugin permission change (%s reload): %s", report.trigger, diff)
        for line in report.still_failing:
            _LOG.warning("plugin still fails to load (not serving before either): %s", line)
        if report.swapped:
            self._counts["swapped"] += 1
            _LOG.info(
                "plugins reloaded (%s): generation %d serves %d plugin(s), replacing %d",
                report.trigger,
                report.generation,
                report.plugins,
                report.previous_generation,
            )
        else:
            self._counts["rolled_back"] += 1
            self._last_failure = report
            _LOG.error(
                "plugin reload (%s) rolled back, generation %d keeps serving: %s",
                report.trigger,
                report.generation,
                report.reason,
            )
        self.observer.record(
            PluginReload(report.generation, report.swapped, report.plugins, report.reason)
        )
        return report

    # -- watching ------------------------------------------------------------------------------

    def start_watching(self) -> PluginWatcher | None:
        """Watch `plugins.dirs` (those that exist) and reload on change."""
        roots = [Path(d) for d in self.config.dirs if Path(d).is_dir()]
        for missing in sorted(set(map(str, self.config.dirs)) - set(map(str, roots))):
            _LOG.warning("hot reload: %s (plugins.dirs) does not exist; not watched", missing)
        if not roots or self.watcher is not None:
            return self.watcher
        self.watcher = PluginWatcher(
            roots, self.config.reload_debounce_ms, lambda changed: self.request("watch")
        )
        self.watcher.start()
        return self.watcher

    # -- state ---------------------------------------------------------------------------------

    def status(self) -> ReloadStatus:
        live = self.registry.current()
        watcher = self.watcher
        return ReloadStatus(
            generation=live.generation,
            plugins=summaries(live),
            hot_reload=self.config.hot_reload,
            watching=tuple(str(root) for root in watcher.roots) if watcher else (),
            watcher_error=watcher.error if watcher else None,
            require_approval=self.config.require_approval_for_new_capabilities,
            swapped=self._counts["swapped"],
            rolled_back=self._counts["rolled_back"],
            last=self._last,
            last_failure=self._last_failure,
            retiring=self.registry.users.retiring(),
            serving_blocker=live.serving_blocker(),
        )

    def close(self) -> None:
        """Stop watching and serving requests; wait for a reload that is running."""
        self._closed = True
        if self.watcher is not None:
            self.watcher.stop()
        self._wake.set()
        with self._worker_lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.join(_JOIN_TIMEOUT_S)
        with self._lock:
            pass


# -- watching ----------------------------------------------------------------------------------


class PluginWatcher:
    """Calls `on_change(paths)` on a thread of its own each time the plugin dirs change and
    then stay quiet for `quiet_ms` (watchfiles' `step`; a burst of changes, a file being
    written, is one call; a burst that never ends is cut every `10 * quiet_ms`)."""

    def __init__(
        self, roots: Sequence[Path], quiet_ms: int, on_change: Callable[[list[str]], None]
    ) -> None:
        self.roots = tuple(roots)
        self.quiet_ms = quiet_ms
        self.on_change = on_change
        self.ready = threading.Event()  # set once the watch is in place
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        import watchfiles  # noqa: F401 (only with hot reload on; missing: fail here, not later)

        self._thread = threading.Thread(target=self._run, name="plugin-watcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from watchfiles import watch

        try:
            for changes in watch(
                *self.roots,
                step=self.quiet_ms,
                debounce=self.quiet_ms * 10,
                stop_event=self._stop,
                rust_timeout=_WATCH_POLL_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                self.ready.set()
                if changes:
                    paths = sorted(path for _, path in changes)
                    _LOG.info("plugin dirs changed (%s): reloading", ", ".join(paths[:5]))
                    self.on_change(paths)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            _LOG.error("the plugin watcher stopped: %s; reload with SIGHUP or the API", self.error)
        finally:
            self.ready.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(_JOIN_TIMEOUT_S)
            self._thread = None


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
