"""This gateway as one replica of a fleet sharing a PostgreSQL database.

With memory.backend = "postgres" several `zeroclaw gateway` processes can serve behind a
load balancer. What they must agree on lives in the database (memory/fleet): each
session's lock, rate limits, paired tokens, plugin approvals. What this module adds is
the replica's presence:

- `join`: a row in `replicas` (id, address, plugin generation and snapshot hash), kept
  fresh by a heartbeat every `HEARTBEAT_S` (which also drops rate-limit rows that say
  nothing any more), and a listener for fleet reloads;
- `announce_reload`: after a reload asked of this replica (`POST /api/plugins/reload`),
  every other replica is asked to reload too (LISTEN/NOTIFY); each reloads its own
  plugin dirs and its status shows the outcome and its snapshot hash;
- `leave`: at shutdown the row goes; a replica killed leaves it, shown as silent.

Nothing here runs on SQLite: one process owns that file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from zeroclaw.memory import MemoryStore, MemoryStoreError
from zeroclaw.memory.fleet.rate_limits import SharedRateLimits
from zeroclaw.memory.fleet.reload_channel import ReloadListener, announce
from zeroclaw.memory.fleet.replicas import HEARTBEAT_S, Replica, now_text, report, withdraw
from zeroclaw.plugins.lifecycle.fingerprint import EMPTY, snapshot_hash
from zeroclaw.plugins.lifecycle.reload import PluginReloader

_LOG = logging.getLogger("zeroclaw.fleet")


def new_replica_id() -> str:
    """host-pid: readable in `plugins status --fleet`, unique among running replicas."""
    return f"{socket.gethostname()}-{os.getpid()}"


class FleetMember:
    def __init__(
        self,
        memory: MemoryStore,
        reloader: PluginReloader | None,
        replica_id: str,
        *,
        limits: SharedRateLimits | None = None,
    ) -> None:
        self.memory = memory
        self.replica_id = replica_id
        self._reloader = reloader
        self._limits = limits
        self._started_at = now_text()
        self._address = ""
        self._heartbeat: asyncio.Task[None] | None = None
        self._leaving = asyncio.Event()
        self._listener: ReloadListener | None = None

    async def join(self, address: str) -> None:
        """Register this replica and keep its row fresh; listen for fleet reloads."""
        self._address = address
        await self._beat()
        self._leaving.clear()
        self._heartbeat = asyncio.create_task(self._keep_beating(), name="fleet-heartbeat")
        reloader = self._reloader
        if reloader is not None:
            self._listener = ReloadListener(
                self.memory.database, self.replica_id, lambda sender: reloader.request("fleet")
            )
            # Up means listening: a reload announced as soon as this replica says it
            # serves must reach it (reload_channel.py).
            await self._listener.started()

    async def announce_reload(self) -> bool:
        """Ask the other replicas to reload; False (logged) when the database says no."""
        try:
            await announce(self.memory.database, self.replica_id)
        except MemoryStoreError as error:
            _LOG.error("fleet reload not announced: %s", error.message)
            return False
        return True

    async def leave(self) -> None:
        if self._listener is not None:
            self._listener.stop()
        if self._heartbeat is not None:
            # Not cancelled: a heartbeat in flight (its storage work is shielded, so
            # cancelling would not stop it) would write the row again after `withdraw`
            # deleted it. The loop ends after the beat it is in, if any.
            self._leaving.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        with contextlib.suppress(MemoryStoreError):
            await withdraw(self.memory.database, self.replica_id)

    def snapshot(self) -> tuple[int, str]:
        """The generation and snapshot hash serving here."""
        if self._reloader is None:
            return 0, EMPTY
        live = self._reloader.registry.current()
        return live.generation, snapshot_hash(live)

    async def _keep_beating(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._leaving.wait(), HEARTBEAT_S)
            if self._leaving.is_set():
                return
            try:
                await self._beat()
                if self._limits is not None:
                    # Rows of callers whose bucket has refilled say nothing: keep the
                    # table as small as the set of recent callers.
                    await self._limits.forget_idle()
            except MemoryStoreError as error:
                _LOG.warning("fleet heartbeat failed (will retry): %s", error.message)

    async def _beat(self) -> None:
        generation, content = self.snapshot()
        await report(
            self.memory.database,
            Replica(
                id=self.replica_id,
                address=self._address,
                generation=generation,
                snapshot_hash=content,
                started_at=self._started_at,
                heartbeat_at=now_text(),
            ),
        )
