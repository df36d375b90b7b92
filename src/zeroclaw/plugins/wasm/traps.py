"""What went wrong in a plugin call: every failure classified, in this one place.

wasmtime-py reports every trap as a plain `WasmtimeError` whose text is all there is
(`wasm trap: interrupt`, `wasm trap: wasm `unreachable` instruction executed`, ...: no trap
code), so the classification is by message. Each failure becomes a `PluginCallError`
naming the plugin, the function and the cause, with a hint that names the limit involved:

    wasm trap: interrupt                       PluginTimeout        limits.timeout_ms
    all fuel consumed                          PluginFuelExhausted  limits.fuel
    memory over the limit at instantiation,
    an argument that did not fit ("realloc
    return: beyond end of memory"), an access
    outside linear memory                      PluginMemoryExceeded limits.memory_mb
    any other trap                             PluginTrap
      ... an `unreachable` in a WASI call of a
      guest built with WASI stubbed out, or in
      its runtime's panic handler (read from
      the wasm backtrace's function names)     PluginTrap naming the call / the panic
      ... after the guest reported an uncaught
      error (zeroclaw:host/console)           PluginTrap with its type, message, stack
      ... after the guest reported a value
      that does not fit its WIT type          PluginBadResult naming the field
    a value the guest returned that the host
    cannot use: one that breaks the canonical
    ABI as wasmtime reads it (text that is not
    UTF-8, a variant case out of range, a
    pointer outside its memory), or one the
    host's conversion refuses (a list over
    MAX_LIST_ITEMS)                            PluginBadResult
    a host function or the runtime that
    raised, an argument the host could not
    convert                                    PluginHostError

Memory is the one limit a guest does not see fail as such: past the cap `memory.grow`
returns -1 and the guest decides what happens next. A guest that writes to the memory it
believes it got traps with an out-of-bounds access (reported as PluginMemoryExceeded); a
guest whose allocator turns the refusal into a panic (Python, JavaScript, Rust guests) ends
with `unreachable`, reported as a PluginTrap whose message names the memory limit as a
possible cause. wasmtime-py offers no way to read a store's memory use to tell the two
apart (see docs/plugins-runtime.md).

A Python guest that asks for no `fs.*` or `env:` capability is built with componentize-py
`--stub-wasi`: every WASI function is a stub that executes `unreachable`, so `open()`,
`time.time()`, a socket or an import inside a handler end in a bare trap that would
otherwise read like a memory problem. The wasm backtrace names the guest's functions (its
name section): an innermost frame without a name right under one of libc's is such a stub,
and the libc function (`wall_clock_now`) and the first caller outside libc (`PyTime_Time`)
say what the guest reached for. A frame of Rust's `std::panicking` means the guest's runtime
panicked (componentize-py's does when it cannot convert what the plugin raised or returned;
its panic message is lost, as writing it is a WASI call too). Names come from the guest, so
they are only shown, cut and cleaned, and change nothing but the text.

This module does not import wasmtime: callers hand it the exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zeroclaw.plugins.errors import (
    GuestErrorReport,
    PluginBadResult,
    PluginCallError,
    PluginFuelExhausted,
    PluginHostError,
    PluginMemoryExceeded,
    PluginTimeout,
    PluginTrap,
)

# Substrings of wasmtime's messages, lower-cased.
_INTERRUPT = ("wasm trap: interrupt",)
_FUEL = ("all fuel consumed",)
_MEMORY = (
    "exceeds memory limits",
    "memory minimum size",
    "realloc return: beyond end of memory",
    "out of bounds memory access",
    "forcing trap when growing memory",
)
_HOST = ("python exception",)
# What wasmtime says when the value a guest returned breaks the canonical ABI: not a trap
# (no "wasm trap:" line), the guest broke its WIT contract.
_BAD_VALUE = (
    "invalid utf-8",
    "invalid utf-16",
    "out of range [",
    "pointer/length out of bounds",
    "pointer not aligned",
)
_UNREACHABLE = "unreachable"
# `   12: 0xb13474 - libc.so!wall_clock_now` (wasmtime's backtrace; `<unknown>` unnamed)
_FRAME = re.compile(r"^\s*\d+:\s+0x[0-9a-f]+ - ([^!\n]+)!(.+)$", re.MULTILINE)
_UNNAMED = "<unknown>"
_LIBC = "libc.so"
_PANIC = "std::panicking"
_NOT_A_NAME = re.compile(r"[^\w.:<>$ -]", re.ASCII)
_MAX_NAME = 80


@dataclass(frozen=True, slots=True)
class CallLimits:
    """The limits a classified call ran under, for the messages."""

    timeout_ms: int
    memory_mb: int
    fuel: int | None = None


def trap_text(error: BaseException) -> str:
    """The line of a wasmtime error that says what happened, without the backtrace."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    for line in lines:
        if "wasm trap:" in line:
            return line[line.index("wasm trap:") :]
    if "Caused by:" in lines:
        after = lines[lines.index("Caused by:") + 1 :]
        if after:
            return after[-1]
    return lines[-1] if lines else type(error).__name__


def is_interrupt(error: BaseException) -> bool:
    """Whether `error` is the epoch deadline interrupting the guest. Stricter than
    `classify`: the cause wasmtime gives last must be the interrupt itself (the backtrace
    above it carries the guest's own function names)."""
    if not _is_wasmtime_error(error):
        return False
    lines = [line.strip().lower() for line in str(error).splitlines() if line.strip()]
    return bool(lines) and lines[-1] in _INTERRUPT


def classify(
    error: BaseException,
    *,
    plugin: str,
    function: str,
    limits: CallLimits,
    guest: GuestErrorReport | None = None,
    bad_result: str | None = None,
) -> PluginCallError:
    """The typed error a failed call ends with. `guest` and `bad_result` are what the guest
    reported through zeroclaw:host/console before it trapped, if anything: they replace the
    bare trap text with the author's own exception, or the field that did not fit."""
    if isinstance(error, PluginCallError):
        return error
    from zeroclaw.plugins.wasm.conversion import ConversionError, LiftError

    if isinstance(error, LiftError):
        return PluginBadResult(
            plugin, function, str(error), hint="fix the plugin: it broke its WIT contract"
        )
    if isinstance(error, ConversionError):
        return PluginHostError(plugin, function, f"the arguments could not be sent: {error}")
    if not _is_wasmtime_error(error):
        return PluginHostError(
            plugin,
            function,
            f"the host failed with {type(error).__name__}: {error}",
            hint="a bug on the host's side (a host function or the plugin runtime), not in "
            "the plugin: please report it with the log",
        )
    text = trap_text(error)
    lowered = str(error).lower()
    override = f"plugins.overrides.{plugin}.limits"
    if "wasm trap:" not in lowered and any(marker in lowered for marker in _BAD_VALUE):
        return PluginBadResult(
            plugin,
            function,
            f"{text} (the value it returned breaks the canonical ABI)",
            hint="fix the plugin: it broke its WIT contract",
        )
    if any(marker in lowered for marker in _INTERRUPT):
        return PluginTimeout(
            plugin,
            function,
            f"it ran past its time limit of {limits.timeout_ms} ms and was interrupted",
            hint=f"make the plugin faster, or raise {override}.timeout_ms "
            f"(at most plugins.limits.timeout_ms)",
        )
    if any(marker in lowered for marker in _FUEL):
        return PluginFuelExhausted(
            plugin,
            function,
            f"it used up its fuel of {limits.fuel} instructions",
            hint=f"raise {override}.fuel (at most plugins.limits.fuel)",
        )
    if any(marker in lowered for marker in _MEMORY):
        return PluginMemoryExceeded(
            plugin,
            function,
            f"{text} (its memory limit is {limits.memory_mb} MiB)",
            hint=f"raise {override}.memory_mb (at most plugins.limits.memory_mb), or make the "
            "plugin use less memory",
        )
    if any(marker in lowered for marker in _HOST):
        return PluginHostError(plugin, function, text)
    if bad_result is not None:
        return PluginBadResult(
            plugin,
            function,
            bad_result,
            hint="fix the plugin: what a function returns must fit its WIT type "
            "(`zeroclaw plugins wit` writes the WIT; see docs/plugin-authoring.md)",
        )
    if guest is not None:
        out_of_memory = guest.kind == "MemoryError" or "out of memory" in guest.message.lower()
        return PluginTrap(
            plugin,
            function,
            f"uncaught {guest.describe()}",
            hint=f"the plugin ran out of memory: raise {override}.memory_mb"
            if out_of_memory
            else "the plugin's own code raised it: the stack names the file and line",
            guest=guest,
        )
    if _UNREACHABLE in text:
        if (known := _unreachable_cause(str(error), plugin, function, text)) is not None:
            return known
        return PluginTrap(
            plugin,
            function,
            f"{text} (a panic in the guest, or an allocation refused at its memory limit of "
            f"{limits.memory_mb} MiB)",
            hint=f"see the plugin's own log; if it ran out of memory, raise {override}.memory_mb",
        )
    return PluginTrap(plugin, function, text)


def _unreachable_cause(error: str, plugin: str, function: str, text: str) -> PluginTrap | None:
    """The trap of a WASI stub or of a runtime's panic, named from the wasm backtrace; None
    when the backtrace shows neither."""
    frames = [(module.strip(), name.strip()) for module, name in _FRAME.findall(error)]
    named = [(module, name) for module, name in frames if module != _UNNAMED]
    if not named:
        return None
    panicked = next((module for module, name in named if _PANIC in name), None)
    if panicked is not None:
        return PluginTrap(
            plugin,
            function,
            f"{text}: the guest's runtime ({_shown(panicked)}) panicked",
            hint="in a Python plugin this is most often a value raised as Err(...) or "
            "returned that does not fit its WIT type (`zeroclaw plugins wit` writes the "
            "types); see the plugin's own log",
        )
    if frames[0][0] == _UNNAMED and named[0][0] == _LIBC:
        caller = next((name for module, name in named if module != _LIBC), None)
        called = _shown(named[0][1]) + (f", from {_shown(caller)}" if caller else "")
        return PluginTrap(
            plugin,
            function,
            f"{text} in a WASI call ({called}): the plugin was built with WASI stubbed out "
            "(componentize-py --stub-wasi), so files, clocks, sockets and imports made "
            "inside a handler trap",
            hint="import every module at the top of the plugin, and take what it needs from "
            "its arguments or the host's interfaces (zeroclaw:host/http, kv, config, "
            "memory); a plugin whose plugin.toml asks for fs.read:/DIR, fs.write:/DIR or "
            "env:NAME is built with real WASI instead; see docs/plugin-authoring.md (Pitfalls)",
        )
    return None


def _shown(name: str) -> str:
    """A function or module name from the guest, safe to put in a message."""
    return _NOT_A_NAME.sub("?", name)[:_MAX_NAME]


def _is_wasmtime_error(error: BaseException) -> bool:
    # Checked by name so that this module never imports wasmtime itself.
    return any(
        cls.__name__ in ("WasmtimeError", "Trap") and cls.__module__.startswith("wasmtime")
        for cls in type(error).__mro__
    )
