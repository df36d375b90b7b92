"""Is this plugin directory what was installed and signed? One check for load and install.

The loader calls `check_provenance` right after reading the manifest, before compiling:

- the pin: if plugins.lock names the plugin, its component and manifest must still have
  the recorded digests (lock.py). Install checks a staged plugin without a lock (it is
  about to write the new pin); load and reload always pass the lock read afresh.
- the signature, under `plugins.signature_mode` and `plugins.trusted_keys` (signature.py).

It returns the signer (for the lock) and any warnings (signature_mode = "warn").

This module does not import wasmtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zeroclaw.config.models import PluginsConfig
from zeroclaw.plugins.contract.digests import PluginDigests, plugin_digests
from zeroclaw.plugins.contract.lock import PluginLock, check_pin
from zeroclaw.plugins.contract.manifest import PluginManifest
from zeroclaw.plugins.contract.signature import SignatureCheck, check_signature, enforce


@dataclass(frozen=True, slots=True)
class Provenance:
    digests: PluginDigests
    signature: SignatureCheck | None
    warnings: tuple[str, ...] = ()

    @property
    def signer(self) -> str | None:
        return self.signature.signer if self.signature is not None else None


def check_provenance(
    directory: Path, manifest: PluginManifest, config: PluginsConfig, lock: PluginLock | None
) -> Provenance:
    digests = plugin_digests(directory, manifest)
    entry = lock.get(manifest.name) if lock is not None else None
    if lock is not None and entry is not None:
        check_pin(manifest.name, entry, digests, lock.path)
    signature = None
    if config.signature_mode != "off":
        signature = check_signature(manifest.name, directory, digests, config.trusted_keys)
    warnings = enforce(signature, config.signature_mode)
    return Provenance(digests, signature, warnings)
