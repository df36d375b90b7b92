"""The content hash of a plugin snapshot: what an operator compares across replicas.

Generations are counted by each process and differ between replicas that run the very
same plugins; the hash does not. It covers what decides behaviour: each loaded plugin's
name, version, component sha256 and granted capabilities, sorted, so two replicas that
loaded the same bytes under the same grants show the same hash, and one that missed a
reload, or runs under another config's grants, shows another. Plugins that failed to
load are not in it (they serve nothing); a snapshot with no plugin hashes to `EMPTY`.

This module does not import wasmtime.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot


@dataclass(frozen=True, slots=True)
class PluginFingerprint:
    name: str
    version: str
    component_sha256: str
    grants: tuple[str, ...]


def content_hash(plugins: Iterable[PluginFingerprint]) -> str:
    """ "sha256:<hex>" of the plugins, in name order, as canonical JSON."""
    entries = sorted(
        ([p.name, p.version, p.component_sha256, sorted(p.grants)] for p in plugins),
        key=lambda entry: str(entry[0]),
    )
    body = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()


EMPTY = content_hash(())


def snapshot_hash(snapshot: PluginSnapshot) -> str:
    return content_hash(
        PluginFingerprint(
            name=name,
            version=plugin.manifest.version,
            component_sha256=plugin.component_sha256,
            grants=tuple(str(c) for c in plugin.grants.granted),
        )
        for name, plugin in snapshot.plugins.items()
    )
