"""The same hook as plugin_hook_bench's guard, as an Extism plugin driven by Extism-python.

Extism passes bytes in and out; the host side here is what an integration of Extism would
do with our payload: JSON in (`{"tool": ..., "session_id": ..., "arguments": ...}`, tool
first), the guest reads its input through Extism's kernel (`input_load_u64`), cancels when
the tool is "shell" by writing `blocked by bench` as its output, and leaves the output
empty otherwise. Two rows come from it:

  Extism bare call         `plugin.call` on prebuilt input bytes (the issue's yardstick)
  Extism with JSON payload the payload encoded to JSON, the call, the output decoded

The guest is a core wasm module written in WAT and built with `wasm-tools parse`. None of
this runs unless the `extism` package (dev extra) is installed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zeroclaw.hooks import Cancel, ToolCallRequest
from zeroclaw.plugins.authoring.build import run_wasm_tools

# Input: {"tool":"NAME",... : the name starts at byte 9, "shell" then '"' is bytes 9..14.
GUARD_WAT = """
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "shell\\22")
  (data (i32.const 16) "blocked by bench")
  (func (export "before_tool_call") (result i32)
    (local $len i64) (local $at i64) (local $i i32) (local $out i64)
    (local.set $len (call $input_length))
    (if (i64.gt_u (local.get $len) (i64.const 4096)) (then (return (i32.const 1))))
    ;; the whole input into memory at 1024, eight bytes at a time, as a PDK reads it
    (block $done
      (loop $copy
        (br_if $done (i64.ge_u (local.get $at) (local.get $len)))
        (i64.store (i32.add (i32.const 1024) (i32.wrap_i64 (local.get $at)))
                   (call $input_load_u64 (local.get $at)))
        (local.set $at (i64.add (local.get $at) (i64.const 8)))
        (br $copy)))
    (if (i64.lt_u (local.get $len) (i64.const 15)) (then (return (i32.const 0))))
    (block $differ
      (loop $next
        (br_if $differ
          (i32.ne (i32.load8_u (i32.add (i32.const 1033) (local.get $i)))
                  (i32.load8_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (i32.const 6))))
      (local.set $out (call $alloc (i64.const 16)))
      (call $store_u64 (local.get $out) (i64.load (i32.const 16)))
      (call $store_u64 (i64.add (local.get $out) (i64.const 8)) (i64.load (i32.const 24)))
      (call $output_set (local.get $out) (i64.const 16))
      (return (i32.const 0)))
    i32.const 0)
)
"""


def build_guard(work: Path) -> bytes:
    source, out = work / "extism-guard.wat", work / "extism-guard.wasm"
    source.write_text(GUARD_WAT)
    run_wasm_tools("parse", source, "-o", out)
    return out.read_bytes()


def _encode(call: ToolCallRequest) -> bytes:
    return json.dumps(
        {"tool": call.tool, "session_id": call.session_id, "arguments": call.arguments},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def extism_rows(
    work: Path, payloads: tuple[ToolCallRequest, ...]
) -> dict[str, Callable[[ToolCallRequest], object]] | str:
    """Row name -> one call; or why Extism cannot run here."""
    try:
        import extism
    except ImportError:
        return "the extism package is not installed (pip install -e '.[dev]')"
    plugin: Any = extism.Plugin(build_guard(work), wasi=False)
    encoded = {id(p): _encode(p) for p in payloads}

    def bare(call: ToolCallRequest) -> object:
        return plugin.call("before_tool_call", encoded[id(call)])

    def with_json(call: ToolCallRequest) -> object:
        output = plugin.call("before_tool_call", _encode(call))
        return Cancel(output.decode()) if output else None

    # The guest must do the work, or the rows measure nothing.
    assert with_json(payloads[0]) == Cancel("blocked by bench")
    assert with_json(payloads[1]) is None
    return {"Extism bare call": bare, "Extism with JSON payload": with_json}
