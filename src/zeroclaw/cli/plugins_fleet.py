"""`zeroclaw plugins status --fleet`: every gateway replica sharing the database, with the
plugin generation and snapshot hash each reported at its last heartbeat, and whether the
live ones run the same plugins.

It reads the `replicas` table (memory/fleet/replicas.py) directly, not any one replica's
API: a replica that stopped answering still shows, as silent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from zeroclaw.config import Config
from zeroclaw.errors import ZeroClawError
from zeroclaw.memory import MemoryStore
from zeroclaw.memory.fleet.replicas import SILENT_AFTER_S, Replica, fleet


class NoFleetError(ZeroClawError):
    """Replicas share state only through PostgreSQL."""


def fleet_of(config: Config) -> list[Replica]:
    if config.memory.backend != "postgres":
        raise NoFleetError(
            "no fleet: memory.backend is sqlite, which one gateway process serves alone",
            hint='set memory.backend = "postgres" and memory.url (docs/deployment.md) to run '
            "replicas; `zeroclaw plugins status` shows the one gateway",
        )
    with MemoryStore.open(config.memory_location()) as memory:
        return memory.blocking(fleet(memory.database))


def fleet_json(replicas: list[Replica]) -> dict[str, Any]:
    live = [r for r in replicas if r.alive]
    return {
        "replicas": [
            {
                "id": r.id,
                "address": r.address,
                "generation": r.generation,
                "snapshot_hash": r.snapshot_hash,
                "started_at": r.started_at,
                "heartbeat_at": r.heartbeat_at,
                "silent_s": round(r.silent_for(), 1),
                "alive": r.alive,
            }
            for r in replicas
        ],
        "live": len(live),
        "same_plugins": len({r.snapshot_hash for r in live}) <= 1,
    }


def fleet_lines(replicas: list[Replica]) -> Iterator[str]:
    if not replicas:
        yield "no replica has registered (is a gateway running on this database?)"
        return
    live = [r for r in replicas if r.alive]
    hashes = {r.snapshot_hash for r in live}
    for r in replicas:
        state = "live" if r.alive else f"SILENT for {r.silent_for():.0f}s"
        yield (
            f"{r.id}  {r.address}  generation {r.generation}  {r.snapshot_hash[:19]}...  {state}"
        )
    if len(hashes) <= 1:
        yield f"{len(live)} live replica(s), all on the same plugins"
    else:
        yield (
            f"{len(live)} live replicas on {len(hashes)} different plugin snapshots: "
            "`zeroclaw plugins reload` reloads them all"
        )
    if len(live) < len(replicas):
        yield f"(silent: no heartbeat for more than {SILENT_AFTER_S:.0f}s)"
