"""Stores and instances of one plugin: how they are made, kept warm and thrown away.

Every instance lives in a `Store` of its own, with the plugin's memory cap
(`store.set_limits(memory_size=...)`), an epoch deadline set before it is instantiated
(else instantiation itself traps with `interrupt`) and again before every call, and fuel
when the plugin's limits set it. A plugin granted WASI (fs/env) gets a `WasiConfig` with
exactly its granted preopens and variables on every store: the linker of such a plugin has
WASI linked, and a store without a WasiConfig would abort the process.

`InstancePool` keeps idle instances warm for the next call (last in, first out, so the
fewest stay warm). An instance goes back to the pool only after a call that succeeded, and
only for `recycle_after_calls` calls: linear memory never shrinks, and a long-lived guest
accumulates state. After any failure its store is dropped: a trapped instance cannot be
entered again, and nothing of it should survive.

This module imports wasmtime; import it only when plugins are enabled.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import wasmtime
from wasmtime.component import Component, Func, Instance, Linker

from zeroclaw.plugins.wasm.conversion import Arm, FunctionCodec, context_address, func_address
from zeroclaw.plugins.wasm.engine import PluginEngine, set_epoch_deadline
from zeroclaw.plugins.wasm.native_ticker import NativeEpochTicker

_LOG = logging.getLogger("zeroclaw.plugins")

MIB = 1024 * 1024
# Fuel of a store whose plugin sets no fuel limit, on an engine that meters fuel.
UNMETERED_FUEL = 2**62


@dataclass(frozen=True, slots=True)
class WasiSettings:
    """What a plugin granted fs/env capabilities sees through WASI: nothing else."""

    read_dirs: tuple[str, ...] = ()
    write_dirs: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()

    def config(self) -> wasmtime.WasiConfig:
        wasi = wasmtime.WasiConfig()
        for directory in self.write_dirs:
            if _still_real(directory):
                wasi.preopen_dir(directory, directory, fs_mutable=True)
        for directory in self.read_dirs:
            if directory not in self.write_dirs and _still_real(directory):
                wasi.preopen_dir(directory, directory, fs_mutable=False)
        wasi.env = [list(pair) for pair in self.env]
        return wasi

    @classmethod
    def granted(
        cls,
        read_dirs: frozenset[str],
        write_dirs: frozenset[str],
        env_names: frozenset[str],
        environ: Mapping[str, str] = os.environ,
    ) -> WasiSettings:
        """Preopens of the granted directories that exist, and the granted variables that
        are set."""
        return cls(
            read_dirs=tuple(sorted(d for d in read_dirs if os.path.isdir(d))),
            write_dirs=tuple(sorted(d for d in write_dirs if os.path.isdir(d))),
            env=tuple(sorted((name, environ[name]) for name in env_names if name in environ)),
        )


def _still_real(directory: str) -> bool:
    """Whether the granted (real) `directory` is still itself: one replaced by a symlink
    since it was granted is not preopened, since the preopen would follow the link."""
    if os.path.realpath(directory) == directory:
        return True
    _LOG.warning(
        "granted directory %s is now a symlink (or under one) to %s: not opened for the plugin",
        directory,
        os.path.realpath(directory),
    )
    return False


@dataclass(frozen=True)
class StoreLimits:
    timeout_ms: int
    memory_mb: int
    fuel: int | None


class InstanceFactory:
    """Makes stores and instances of one component, always with the plugin's limits."""

    def __init__(
        self,
        engine: PluginEngine,
        component: Component,
        linker: Linker,
        limits: StoreLimits,
        wasi: WasiSettings | None,
    ) -> None:
        self.engine = engine
        self.component = component
        self.linker = linker
        self.limits = limits
        self.wasi = wasi
        self._deadline_ticks = engine.deadline(limits.timeout_ms)
        self._tick_ms = engine.ticker.tick_ms
        self._fuel = (
            (limits.fuel if limits.fuel is not None else UNMETERED_FUEL)
            if engine.settings.consume_fuel
            else None
        )
        self._export_indices: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def new_store(self) -> wasmtime.Store:
        store = wasmtime.Store(self.engine.engine)
        store.set_limits(memory_size=self.limits.memory_mb * MIB)
        if self.wasi is not None:
            store.set_wasi(self.wasi.config())
        self.arm(store)
        return store

    def arm(self, store: wasmtime.Store) -> None:
        """Give `store` a full time budget (and fuel) from now: before instantiating and
        before every call."""
        self.engine.set_deadline(store, self._deadline_ticks)
        if self._fuel is not None:
            store.set_fuel(self._fuel)

    def ticks(self, seconds: float) -> int:
        """Epoch ticks for a deadline `seconds` from now (a shorter one than the plugin's
        limit: an inline-first attempt's, or what is left of a call's); at least one tick.
        `epoch_deadline`'s arithmetic, without its checks (both figures are positive): on
        every inline call's path."""
        return math.ceil(max(seconds * 1000, 0.001) / self._tick_ms) + 1

    @property
    def deadline_ticks(self) -> int:
        """Epoch ticks of the plugin's time limit (`ticks(...)` of it)."""
        return self._deadline_ticks

    def instantiate(self) -> WarmInstance:
        store = self.new_store()
        # The linker is shared by every instance of the plugin; instantiate one at a time.
        with self._lock:
            instance = self.linker.instantiate(store, self.component)
        return WarmInstance(self, store, instance)

    def export_index(self, interface: str, function: str) -> Any:
        key = (interface, function)
        index = self._export_indices.get(key)
        if index is None:
            parent = self.component.get_export_index(interface) if interface else None
            index = self.component.get_export_index(function, parent)
            if index is None:
                raise LookupError(f"the component exports no function {interface}#{function}")
            self._export_indices[key] = index
        return index


@dataclass(eq=False)
class WarmInstance:
    """One instance in its own store, with the functions looked up so far (and their
    addresses, and the store context's, for the codecs' `call_at`)."""

    factory: InstanceFactory
    store: wasmtime.Store
    instance: Instance
    calls: int = 0
    _funcs: dict[tuple[str, str], Func] = field(default_factory=dict)
    _addresses: dict[tuple[str, str], int] = field(default_factory=dict)
    context: int = field(init=False)
    _arm: Arm = field(init=False, repr=False)
    # The native ticker, which the extension arms the store through (native_calls.py).
    _ticker: NativeEpochTicker | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.context = context_address(self.store)
        engine = self.factory.engine
        # Bound once, not per call; through the store where this wasmtime-py has no setter
        # on a context (a partial of the store, not of self: no cycle keeps a store alive).
        self._arm = (
            engine.arm
            if set_epoch_deadline is not None
            else partial(_arm_by_store, engine, self.store)
        )
        # (the extension arms through it only where it found wasmtime's setter itself)
        ticker = engine.ticker
        self._ticker = ticker if isinstance(ticker, NativeEpochTicker) else None

    def call(
        self,
        codec: FunctionCodec,
        interface: str,
        function: str,
        args: Sequence[Any],
        ticks: int,
        *,
        keep_gil: bool = False,
    ) -> Any:
        """Call `function` of `interface` with `args` through `codec`, with a deadline
        `ticks` (`InstanceFactory.ticks`) from when the guest starts: the store is armed
        after the arguments are lowered (`FunctionCodec.call_at`), and given the plugin's
        fuel (`keep_gil`: see `call_at`)."""
        factory = self.factory
        if factory._fuel is not None:
            self.store.set_fuel(factory._fuel)
        arm = self._arm
        if codec.lowers is None:  # the public path (`codec.fast` without a property call)
            func = self.func(interface, function)
            return codec.call(func, self.store, args, arm=arm, ticks=ticks)
        key = (interface, function)
        address = self._addresses.get(key)
        if address is None:
            address = self._addresses[key] = func_address(self.func(interface, function))
        native = codec.native
        if native is not None:  # all of it in one C call: native_calls.py
            return native.call(address, self.context, args, keep_gil, ticks, arm, self._ticker)
        return codec.call_at(address, self.context, args, keep_gil=keep_gil, arm=arm, ticks=ticks)

    def func(self, interface: str, function: str) -> Func:
        key = (interface, function)
        found = self._funcs.get(key)
        if found is None:
            found = self.instance.get_func(self.store, self.factory.export_index(*key))
            if found is None:
                raise LookupError(f"the instance exports no function {interface}#{function}")
            self._funcs[key] = found
        return found


def _arm_by_store(
    engine: PluginEngine, store: wasmtime.Store, _context: int, ticks: int
) -> None:  # pragma: no cover - another wasmtime-py
    """`PluginEngine.arm` through the store's public API."""
    engine.set_deadline(store, ticks)


@dataclass(slots=True)
class PoolCounters:
    created: int = 0
    recycled: int = 0
    discarded: int = 0


class InstancePool:
    """Idle warm instances of one plugin; at most `max_idle` kept."""

    def __init__(
        self, factory: InstanceFactory, *, max_idle: int, recycle_after_calls: int
    ) -> None:
        self.factory = factory
        self.max_idle = max_idle
        self.recycle_after_calls = recycle_after_calls
        self.counters = PoolCounters()
        self._idle: list[WarmInstance] = []
        self._lock = threading.Lock()

    def acquire(self) -> WarmInstance:
        """A warm instance, or a new one (which may raise: instantiation runs guest code)."""
        # `pop` and `append` of a list are atomic: the idle list needs no lock of its own
        # (the counters, changed rarely, keep theirs).
        try:
            return self._idle.pop()
        except IndexError:
            pass
        instance = self.factory.instantiate()
        with self._lock:
            self.counters.created += 1
        return instance

    def take_idle(self) -> WarmInstance | None:
        """A warm instance, or None (nothing is instantiated)."""
        try:
            return self._idle.pop()
        except IndexError:
            return None

    def release(self, instance: WarmInstance) -> None:
        """After a successful call: keep it warm, unless it has served its calls."""
        if instance.calls >= self.recycle_after_calls:
            with self._lock:
                self.counters.recycled += 1
        elif len(self._idle) < self.max_idle:
            # A caller holds a call slot per instance, so at most `max_idle` ever exist.
            self._idle.append(instance)

    def discard(self, instance: WarmInstance) -> None:
        """After a failure: the store goes, with everything in it."""
        with self._lock:
            self.counters.discarded += 1

    def clear(self) -> None:
        with self._lock:
            self._idle.clear()

    @property
    def idle(self) -> int:
        return len(self._idle)
