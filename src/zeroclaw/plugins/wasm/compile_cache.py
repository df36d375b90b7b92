"""Compiled components on disk, so a warm start deserializes instead of compiling.

Measured with an 18 MB componentize-py guest: compiling took 3.7 s; a cache hit (read and
hash the source for the key, read and verify the 35 MB entry, deserialize) 0.1-0.2 s. An
entry is keyed by the entry format, sha256 of the component file, the wasmtime version,
the engine settings and the machine architecture: any change gives a new key, so a stale
entry is never used (old ones are left for `prune`).

Entry format: `KEY.cwasm` is the payload exactly as `Component.serialize` wrote it, and
`KEY.cwasm.sum` holds `MAGIC` and the payload's sha256. The checksum is verified before the
payload reaches wasmtime: deserializing trusts its input to be code wasmtime itself
produced, so a truncated or garbled entry must never get that far. A bad entry (or one
without its checksum) is logged, deleted and rebuilt. Both files are written to temporary
files and renamed into place, the payload first, so a crash never leaves half an entry
under a real name.

Why the payload is a file of its own: wasmtime maps a component deserialized from a file
(`Component.deserialize_file`) instead of copying it, and initializes instances' linear
memory copy-on-write from that mapping. Measured with the 18 MB componentize-py example
(redact-secrets), RSS per additional copy of the plugin in one process: 36 MiB
deserialized from bytes, 6 MiB from the file. And one compiled component per entry is
shared in the process (`_live`, by weak reference): plugins built from the same bytes,
and the old and new snapshot of a hot reload, use one compiled copy (0.5 MiB per
additional instance of the Python guest).

The directory must be writable by the ZeroClaw user only (it is created with mode 0700):
anyone who can write it can make the host run native code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import tempfile
import weakref
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

MAGIC = b"ZEROCLAW-CWASM-2\n"
_DIGEST = 32
SUFFIX = ".cwasm"
SUM_SUFFIX = ".sum"


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
        # Components loaded from this cache and still in use, by key: loaded once, shared.
        self._live: weakref.WeakValueDictionary[str, Component] = weakref.WeakValueDictionary()

    def key(self, source: bytes) -> str:
        parts = [
            MAGIC.decode().strip(),  # the entry format: caches of two formats never collide
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
        component = self._live.get(key)
        if component is None:
            component = self._read(self.entry_path(key), path)
        if component is not None:
            self.stats.hits += 1
            self._live[key] = component
            return LoadedComponent(component, hit=True, key=key)
        self.stats.misses += 1
        component = compile_component(self.engine, source, source_name=path)
        self._write(self.entry_path(key), component)
        # Served from the file just written, so it is mapped like any later hit.
        component = self._read(self.entry_path(key), path) or component
        self._live[key] = component
        return LoadedComponent(component, hit=False, key=key)

    def _read(self, entry: Path, source: Path) -> Component | None:
        checksum = entry.with_name(entry.name + SUM_SUFFIX)
        try:
            expected = checksum.read_bytes()
            payload = entry.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            if entry.exists():
                self._discard(entry, source, "without its checksum file")
            return None
        except OSError as exc:
            self._discard(entry, source, f"unreadable ({exc})")
            return None
        if not expected.startswith(MAGIC):
            self._discard(entry, source, "not a cache entry of this format")
            return None
        if hashlib.sha256(payload).digest() != expected[len(MAGIC) :]:
            self._discard(entry, source, "checksum mismatch (truncated or corrupted)")
            return None
        del payload
        try:
            # Mapped, not copied: see the module docstring. The directory is ours alone
            # (0700), so the file checked above is the file mapped.
            return Component.deserialize_file(self.engine, str(entry))
        except wasmtime.WasmtimeError as exc:
            self._discard(entry, source, f"wasmtime refused it ({_first_line(exc)})")
            return None

    def _discard(self, entry: Path, source: Path, why: str) -> None:
        message = f"compile cache entry {entry.name} for {source} is {why}; rebuilding it"
        log.warning(message)
        self.stats.rebuilt += 1
        for path in (entry, entry.with_name(entry.name + SUM_SUFFIX)):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("cannot delete compile cache entry %s: %s", path, exc)

    def _write(self, entry: Path, component: Component) -> None:
        payload = bytes(component.serialize())
        checksum = MAGIC + hashlib.sha256(payload).digest()
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # The payload first: an entry whose checksum file is missing is rebuilt.
            _write_atomically(entry, payload)
            _write_atomically(entry.with_name(entry.name + SUM_SUFFIX), checksum)
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
                entry.with_name(entry.name + SUM_SUFFIX).unlink(missing_ok=True)
                removed += 1
        return removed


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
