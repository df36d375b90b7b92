"""Compiled components on disk, so a warm start deserializes instead of compiling.

Measured with an 18 MB componentize-py guest: compiling took 3.7 s; a cache hit (read and
hash the source for the key, read and verify the 35 MB entry, deserialize) 0.1-0.2 s. An
entry is keyed by sha256 of the component file, the wasmtime version, the engine settings
and the machine architecture: any change gives a new key, so a stale entry is never used
(old ones are left for `prune`).

Entry format: `MAGIC`, the sha256 of the payload, then the payload (`Component.serialize`).
The checksum is verified before the payload reaches wasmtime: deserializing trusts its
input to be code wasmtime itself produced, so a truncated or garbled entry must never get
that far. A bad entry is logged, deleted and rebuilt. Entries are written to a temporary
file and renamed into place, so a crash never leaves half an entry under a real name.

The directory must be writable by the ZeroClaw user only (it is created with mode 0700):
anyone who can write it can make the host run native code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import wasmtime
from wasmtime.component import Component

from zeroclaw.plugins.errors import CompileError

if TYPE_CHECKING:
    from zeroclaw.plugins.wasm.engine_settings import EngineSettings

log = logging.getLogger(__name__)

MAGIC = b"ZEROCLAW-CWASM-1\n"
_DIGEST = 32
SUFFIX = ".cwasm"


@dataclass(frozen=True)
class LoadedComponent:
    """A compiled component and whether it came from the cache."""

    component: Component
    hit: bool
    key: str | None


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    rebuilt: int = 0
    write_failures: int = 0


def wasmtime_version() -> str:
    return metadata.version("wasmtime")


def compile_component(engine: wasmtime.Engine, source: bytes, *, source_name: Path) -> Component:
    """Compile a component from its binary or text (`.wat`) form."""
    try:
        return Component(engine, source)
    except wasmtime.WasmtimeError as exc:
        raise CompileError(
            f"{source_name} is not a valid WebAssembly component: {_first_line(exc)}",
            hint="a plugin must be a component (componentize-py, componentize-js, or "
            "`wasm-tools component new` for a core module), not a core module",
        ) from None


class CompileCache:
    """Compiled components under one directory, for one engine configuration."""

    def __init__(self, directory: Path, engine: wasmtime.Engine, settings: EngineSettings) -> None:
        self.directory = directory
        self.engine = engine
        self.settings = settings
        self.stats = CacheStats()

    def key(self, source: bytes) -> str:
        parts = [
            hashlib.sha256(source).hexdigest(),
            wasmtime_version(),
            self.settings.cache_key(),
            platform.machine(),
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def entry_path(self, key: str) -> Path:
        return self.directory / f"{key}{SUFFIX}"

    def load(self, path: Path) -> LoadedComponent:
        """The compiled component of the file at `path`: from the cache, or compiled now."""
        source = path.read_bytes()
        key = self.key(source)
        entry = self.entry_path(key)
        component = self._read(entry, path)
        if component is not None:
            self.stats.hits += 1
            return LoadedComponent(component, hit=True, key=key)
        self.stats.misses += 1
        component = compile_component(self.engine, source, source_name=path)
        self._write(entry, component)
        return LoadedComponent(component, hit=False, key=key)

    def _read(self, entry: Path, source: Path) -> Component | None:
        try:
            data = entry.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            self._discard(entry, source, f"unreadable ({exc})")
            return None
        payload = data[len(MAGIC) + _DIGEST :]
        if not data.startswith(MAGIC):
            self._discard(entry, source, "not a cache entry of this format")
            return None
        if hashlib.sha256(payload).digest() != data[len(MAGIC) : len(MAGIC) + _DIGEST]:
            self._discard(entry, source, "checksum mismatch (truncated or corrupted)")
            return None
        try:
            return Component.deserialize(self.engine, payload)
        except wasmtime.WasmtimeError as exc:
            self._discard(entry, source, f"wasmtime refused it ({_first_line(exc)})")
            return None

    def _discard(self, entry: Path, source: Path, why: str) -> None:
        message = f"compile cache entry {entry.name} for {source} is {why}; rebuilding it"
        log.warning(message)
        self.stats.rebuilt += 1
        try:
            entry.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot delete compile cache entry %s: %s", entry, exc)

    def _write(self, entry: Path, component: Component) -> None:
        payload = bytes(component.serialize())
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(MAGIC)
                    out.write(hashlib.sha256(payload).digest())
                    out.write(payload)
                os.replace(temp, entry)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # A cache that cannot be written costs speed, not correctness.
            self.stats.write_failures += 1
            log.warning("cannot write compile cache entry %s: %s", entry, exc)

    def prune(self, keep: set[str]) -> int:
        """Delete entries whose key is not in `keep`; returns how many were deleted."""
        removed = 0
        for entry in self.directory.glob(f"*{SUFFIX}"):
            if entry.stem not in keep:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
