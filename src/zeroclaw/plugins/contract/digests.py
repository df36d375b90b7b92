"""The digests that pin a plugin: sha256 of its plugin.toml bytes and of its component.

plugins.lock records both and a signature covers both, so they are computed in one place,
the same way, from the files the loader reads (the component's path from the manifest,
resolved inside the plugin directory). Hex digests, lower case, without a prefix.

This module does not import wasmtime.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from zeroclaw.plugins.contract.manifest import MANIFEST_FILE, PluginManifest, component_file

_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class PluginDigests:
    """The files of one plugin directory and their sha256 digests."""

    manifest_path: Path
    manifest_sha256: str
    component_path: Path
    component_sha256: str
    manifest_bytes: bytes


def plugin_digests(directory: Path, manifest: PluginManifest) -> PluginDigests:
    manifest_path = directory / MANIFEST_FILE
    manifest_bytes = manifest_path.read_bytes()
    component_path = component_file(directory, manifest)
    return PluginDigests(
        manifest_path=manifest_path,
        manifest_sha256=sha256_bytes(manifest_bytes),
        component_path=component_path,
        component_sha256=sha256_file(component_path),
        manifest_bytes=manifest_bytes,
    )
