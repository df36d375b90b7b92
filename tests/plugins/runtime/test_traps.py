"""Every way a call can fail becomes one typed error naming plugin, function and cause."""

from __future__ import annotations

import pytest
import wasmtime

from zeroclaw.plugins.errors import (
    PluginBadResult,
    PluginBusy,
    PluginCallError,
    PluginFuelExhausted,
    PluginHostError,
    PluginMemoryExceeded,
    PluginTimeout,
    PluginTrap,
)
from zeroclaw.plugins.wasm.conversion import ConversionError, LiftError
from zeroclaw.plugins.wasm.traps import CallLimits, classify, trap_text

LIMITS = CallLimits(timeout_ms=200, memory_mb=16, fuel=1000)
BACKTRACE = "error while executing at wasm backtrace:\n    0:     0x5a - m!<wasm function 1>\n\n"


def classified(error: BaseException) -> PluginCallError:
    return classify(error, plugin="redact", function="before-tool-call", limits=LIMITS)


@pytest.mark.parametrize(
    ("message", "kind", "mentions"),
    [
        (BACKTRACE + "Caused by:\n    wasm trap: interrupt\n", PluginTimeout, "200 ms"),
        ("all fuel consumed by WebAssembly", PluginFuelExhausted, "1000"),
        (
            BACKTRACE + "Caused by:\n    wasm trap: out of bounds memory access\n",
            PluginMemoryExceeded,
            "16 MiB",
        ),
        ("realloc return: beyond end of memory", PluginMemoryExceeded, "16 MiB"),
        ("memory minimum size of 300 pages exceeds memory limits", PluginMemoryExceeded, "16 MiB"),
        (
            BACKTRACE + "Caused by:\n    wasm trap: wasm `unreachable` instruction executed\n",
            PluginTrap,
            "memory limit of 16 MiB",
        ),
        (
            BACKTRACE + "Caused by:\n    wasm trap: integer divide by zero\n",
            PluginTrap,
            "integer divide by zero",
        ),
        ("python exception", PluginHostError, "python exception"),
        ("invalid utf-8 sequence of 1 bytes from index 0", PluginBadResult, "canonical ABI"),
        ("discriminant 7 out of range [0..2)", PluginBadResult, "discriminant 7"),
        ("string pointer/length out of bounds of memory", PluginBadResult, "out of bounds"),
    ],
)
def test_wasmtime_errors_are_classified_by_message(
    message: str, kind: type[PluginCallError], mentions: str
) -> None:
    error = classified(wasmtime.WasmtimeError(message))

    assert type(error) is kind
    assert error.plugin == "redact"
    assert error.function == "before-tool-call"
    assert mentions in error.message
    assert "wasm backtrace" not in error.message


def test_the_trap_line_is_found_without_the_backtrace() -> None:
    text = BACKTRACE + "Caused by:\n    wasm trap: call stack exhausted\n"

    assert trap_text(wasmtime.WasmtimeError(text)) == "wasm trap: call stack exhausted"


def test_a_value_the_guest_should_not_have_returned_is_a_bad_result() -> None:
    error = classified(LiftError("the guest returned an unknown case 'maybe'"))

    assert isinstance(error, PluginBadResult)
    assert error.plugin_fault


def test_host_side_failures_do_not_count_against_the_plugin() -> None:
    argument = classified(ConversionError("expected a str, got int"))
    host_function = classified(KeyError("boom"))

    assert isinstance(argument, PluginHostError)
    assert isinstance(host_function, PluginHostError)
    assert "KeyError" in host_function.message
    assert not argument.plugin_fault
    assert not PluginBusy("p", "f", "x").plugin_fault


def test_limit_errors_name_the_config_key_that_changes_the_limit() -> None:
    timeout = classified(wasmtime.WasmtimeError("wasm trap: interrupt"))
    memory = classified(wasmtime.WasmtimeError("wasm trap: out of bounds memory access"))

    assert "plugins.overrides.redact.limits.timeout_ms" in (timeout.hint or "")
    assert "plugins.overrides.redact.limits.memory_mb" in (memory.hint or "")


def unreachable_at(*frames: str) -> wasmtime.WasmtimeError:
    """An `unreachable` trap whose wasm backtrace holds `frames` ("module!function"),
    innermost first, as wasmtime prints it."""
    lines = [f"   {n}: 0x{n + 16:x} - {frame}" for n, frame in enumerate(frames)]
    return wasmtime.WasmtimeError(
        "error while executing at wasm backtrace:\n"
        + "\n".join(lines)
        + "\n\nCaused by:\n    wasm trap: wasm `unreachable` instruction executed\n"
    )


def test_a_wasi_stub_that_traps_is_named_with_its_caller() -> None:
    # What componentize-py --stub-wasi gives `time.time()` (backtrace of a real guest).
    error = classified(
        unreachable_at(
            "<unknown>!<wasm function 0>",
            "<unknown>!<wasm function 16>",
            "libc.so!wall_clock_now",
            "libc.so!__clock_gettime",
            "libpython3.14.so!PyTime_Time",
            "libpython3.14.so!time_time",
        )
    )

    assert type(error) is PluginTrap
    assert "in a WASI call (wall_clock_now, from PyTime_Time)" in error.message
    assert "--stub-wasi" in error.message
    assert "memory limit" not in error.message
    assert "import every module at the top" in (error.hint or "")


def test_a_runtime_panic_is_named_and_not_taken_for_a_wasi_call() -> None:
    # A panic's handler writes to stderr, itself a stubbed WASI call: the panic is the cause.
    error = classified(
        unreachable_at(
            "<unknown>!<wasm function 0>",
            "libc.so!stderr_get_stderr",
            "libc.so!write",
            "componentize_py_runtime.wasm!std::panicking::default_hook",
            "componentize_py_runtime.wasm!std::panicking::panic_with_hook",
        )
    )

    assert type(error) is PluginTrap
    assert "the guest's runtime (componentize_py_runtime.wasm) panicked" in error.message
    assert "WASI call" not in error.message
    assert "Err(...)" in (error.hint or "")


@pytest.mark.parametrize(
    "frames",
    [
        ("m!<wasm function 1>",),  # a WAT guest's own unreachable
        ("libc.so!abort", "libpython3.14.so!Py_FatalError"),  # libc's own unreachable
        ("<unknown>!<wasm function 3>", "<unknown>!<wasm function 4>"),  # no names at all
    ],
)
def test_other_unreachable_traps_keep_the_general_message(frames: tuple[str, ...]) -> None:
    error = classified(unreachable_at(*frames))

    assert type(error) is PluginTrap
    assert "a panic in the guest, or an allocation refused at its memory limit" in error.message


def test_names_from_the_guest_are_cleaned_and_cut() -> None:
    hostile = "libc.so!" + "\x1b[31mfake\u202eerror" + "x" * 500
    error = classified(unreachable_at("<unknown>!<wasm function 0>", hostile))

    shown = error.message.split("in a WASI call (", 1)[1].split(")", 1)[0]
    assert shown == ("??31mfake?error" + "x" * 500)[:80]
