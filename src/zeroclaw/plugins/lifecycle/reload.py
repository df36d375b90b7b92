"""Hot reload: build a candidate snapshot beside the live one, check it, swap, release.

A reload (`PluginReloader.reload`), whatever asked for it (the watcher, `POST
/api/plugins/reload`, SIGHUP, `zeroclaw plugins reload`), runs one at a time:

1. `registry.build(config)` loads every plugin of `plugins.dirs` into a candidate snapshot:
   manifest, ABI, grants, compile, exports, imports, link, instantiate, self-describe (the
   steps of `loader.py`). A required plugin that does not load ends it there.
2. The candidate is refused when any plugin fails in it that did not already fail in the
   live snapshot (a plugin that was broken before stays broken and reported, and does not
   block the others' updates), when a plugin would gain grants whose set the operator
   refused (`zeroclaw plugins refuse`: nobody is asked again), and, with
   `plugins.require_approval_for_new_capabilities`, when a plugin would gain a grant whose
   set is not approved (`permissions.py`).
3. Accepted: `registry.publish` makes it current in one reference swap and the generation
   goes up; the replaced snapshot is retired. Refused: the candidate is closed (its
   instances were never used) and the live snapshot goes on serving, untouched.

Either way the outcome is a `ReloadReport`: logged, recorded as a `PluginReload` observer
event (the `zeroclaw_plugin_reloads` metric), and kept for `status()` (GET
/api/plugins/status, `zeroclaw plugins status`). A later reload starts afresh, so the next
good change is picked up.

Replaced snapshots are retired by `retirement.py`; the watcher is `watcher.py`.

This module does not import wasmtime (the registry it is given does).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zeroclaw.errors import ZeroClawError
from zeroclaw.observability import NoopObserver, Observer, PluginPermissions, PluginReload
from zeroclaw.plugins.contract.permissions import (
    Approvals,
    PermissionDiff,
    Refusal,
    permission_diffs,
)
from zeroclaw.plugins.errors import PluginError
from zeroclaw.plugins.lifecycle.fingerprint import snapshot_hash
from zeroclaw.plugins.lifecycle.watcher import PluginWatcher

if TYPE_CHECKING:
    from zeroclaw.config.models import PluginsConfig
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry
    from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot

_LOG = logging.getLogger("zeroclaw.plugins")

_JOIN_TIMEOUT_S = 5.0
# Reports kept for status().history (the console's Reloads page): enough to see a morning's
# work, small enough to never matter.
HISTORY_LENGTH = 50


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
    # grant sets the operator refused that the candidate asked for (not asked again)
    refused: tuple[Refusal, ...] = ()


@dataclass(frozen=True, slots=True)
class PluginSummary:
    name: str
    version: str | None
    package: str | None
    state: str
    required: bool
    grants: tuple[str, ...]
    error: str | None
    skipped: int = 0  # failed hook calls skipped (fail_open), in the serving generation
    # inline-first attempts that overran their inline deadline and ran again on a worker
    inline_overruns: int = 0


@dataclass(frozen=True, slots=True)
class ReloadStatus:
    """The live snapshot and the reloads so far (GET /api/plugins/status)."""

    generation: int
    snapshot_hash: str  # fingerprint.py: equal on replicas that run the same plugins
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
    # the reloads of this process, newest first (at most HISTORY_LENGTH)
    history: tuple[ReloadReport, ...] = ()
    # grant changes a rolled-back reload is waiting on, until a reload swaps or the
    # operator refuses them (`refuse`)
    awaiting: tuple[PermissionDiff, ...] = ()
    # refused grant changes the last reload found (and so did not load)
    refused: tuple[Refusal, ...] = ()


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
            **_counters(snapshot, status.name),
        )
        for status in snapshot.statuses
    )


def _counters(snapshot: PluginSnapshot, name: str) -> dict[str, int]:
    plugin = snapshot.plugins.get(name)
    if plugin is None:
        return {}
    stats = plugin.calls.stats()
    return {"skipped": stats.skipped, "inline_overruns": stats.inline_overruns}


# -- reloading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Verdict:
    problems: tuple[str, ...]
    still_failing: tuple[str, ...]
    diffs: tuple[PermissionDiff, ...]
    awaiting: tuple[str, ...]
    refused: tuple[Refusal, ...] = ()

    @property
    def reason(self) -> str | None:
        if self.problems:
            return "; ".join(self.problems)
        reasons = []
        if self.refused:
            refused = {r.plugin for r in self.refused}
            reasons.append(
                "refused capabilities: "
                + "; ".join(
                    f"{diff} ({refusal})"
                    for diff in self.diffs
                    for refusal in self.refused
                    if diff.plugin == refusal.plugin
                )
                + " (the live version keeps serving; "
                + ", ".join(f"`zeroclaw plugins approve {name}`" for name in sorted(refused))
                + " overrides)"
            )
        if self.awaiting:
            waiting = [d for d in self.diffs if d.plugin in self.awaiting]
            commands = ", ".join(f"`zeroclaw plugins approve {name}`" for name in self.awaiting)
            reasons.append(
                "new capabilities await approval: "
                + "; ".join(str(diff) for diff in waiting)
                + f" (approve with {commands}, then reload)"
            )
        return "; ".join(reasons) or None


class PluginReloader:
    """Reloads the plugins of `config` into `registry` (see the module docstring)."""

    def __init__(
        self,
        registry: PluginRegistry,
        config: PluginsConfig,
        *,
        approvals: Approvals | None = None,
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
        self._history: deque[ReloadReport] = deque(maxlen=HISTORY_LENGTH)
        self._awaiting: dict[str, PermissionDiff] = {}
        self._refused: dict[str, Refusal] = {}
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
        if problems:
            return _Verdict(tuple(problems), tuple(still_failing), diffs, ())
        refused = self._refused_now(diffs, granted)
        settled = {r.plugin for r in refused}
        undecided = [d for d in diffs if d.plugin not in settled]
        awaiting = self._unapproved(undecided, granted)
        return _Verdict((), tuple(still_failing), diffs, awaiting, refused)

    def _refused_now(
        self, diffs: Sequence[PermissionDiff], granted: Mapping[str, Sequence[str]]
    ) -> tuple[Refusal, ...]:
        """The refusals of the sets the plugins that would gain grants now ask for."""
        approvals = self.approvals
        if approvals is None:
            return ()
        found = (
            approvals.refusal(diff.plugin, granted[diff.plugin]) for diff in diffs if diff.escalates
        )
        return tuple(refusal for refusal in found if refusal is not None)

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
                refused=verdict.refused if verdict else (),
            )
        )

    def _done(self, report: ReloadReport) -> ReloadReport:
        self._last = report
        self._history.appendleft(report)
        if report.swapped:
            self._awaiting = {}
        elif report.awaiting_approval:
            waiting = set(report.awaiting_approval)
            self._awaiting = {d.plugin: d for d in report.permission_changes if d.plugin in waiting}
        if report.swapped or (report.permission_changes and not report.problems):
            # (a reload that failed to load something never got to the refusals)
            self._refused = {r.plugin: r for r in report.refused}
        for refusal in report.refused:
            self._awaiting.pop(refusal.plugin, None)
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
        awaiting = set(report.awaiting_approval) | {r.plugin for r in report.refused}
        for diff in report.permission_changes:
            self.observer.record(
                PluginPermissions(
                    diff.plugin,
                    (),
                    added=diff.added,
                    removed=diff.removed,
                    approved=diff.plugin not in awaiting,
                )
            )
        self.observer.record(
            PluginReload(report.generation, report.swapped, report.plugins, report.reason)
        )
        return report

    def refused(self, refusal: Refusal) -> PermissionDiff | None:
        """The operator refused a grant set of `refusal.plugin` (`refuse_plugin` recorded
        it where approvals live): its pending change, if any, leaves the list of changes
        awaiting approval and shows as refused; the live snapshot goes on serving, and the
        next reloads that find the same request do not ask again."""
        diff = self._awaiting.pop(refusal.plugin, None)
        self._refused[refusal.plugin] = refusal
        _LOG.warning(
            "plugin permission change refused by the operator: %s (%s)",
            diff or refusal.plugin,
            refusal,
        )
        return diff

    # -- watching ------------------------------------------------------------------------------

    def start_watching(self) -> PluginWatcher | None:
        """Watch `plugins.dirs` (those that exist) and the install dir, and reload on change.

        The install dir is created if missing, so the first `plugins install` is seen."""
        install_dir = self.config.install_dir
        if install_dir is not None:
            try:
                install_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                _LOG.warning(
                    "hot reload: cannot create %s (plugins.install_dir): %s", install_dir, exc
                )
        roots = [Path(d) for d in self.config.search_dirs if Path(d).is_dir()]
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
            snapshot_hash=snapshot_hash(live),
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
            history=tuple(self._history),
            awaiting=tuple(self._awaiting.values()),
            refused=tuple(self._refused.values()),
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


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
