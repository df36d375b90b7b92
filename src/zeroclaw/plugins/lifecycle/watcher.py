"""The watcher (`PluginWatcher`, with `plugins.hot_reload`) watches `plugins.dirs` with
watchfiles on a thread and asks for a reload once the dirs have been quiet for
`plugins.reload_debounce_ms`.

watchfiles is imported only when watching starts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

_LOG = logging.getLogger("zeroclaw.plugins")

# How long the watcher's thread waits in watchfiles before looking up (it also tells when
# the watch is in place, see `PluginWatcher.ready`).
_WATCH_POLL_MS = 100
_JOIN_TIMEOUT_S = 5.0


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
