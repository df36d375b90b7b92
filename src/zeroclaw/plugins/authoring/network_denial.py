"""The component that takes a Python guest's network away: every socket and DNS lookup denied.

componentize-py has two ways to build a guest: `--stub-wasi` (every WASI call traps, so a
plugin granted `fs.read:/DIR` or `env:NAME` could use neither) or full WASI, whose CPython
imports `wasi:sockets/*` beside the filesystem, environment, clocks and random interfaces.
The host never links sockets (a component importing them does not load), so a Python
plugin that asks for files or variables is built with full WASI and then composed with a
small component of our own that exports every `wasi:sockets` (and `wasi:http`, should one
appear) interface the guest imports:

- `create-tcp-socket`, `create-udp-socket` and `resolve-addresses` return
  `error-code.access-denied` (Python raises `PermissionError` / `socket.gaierror`, which the
  plugin can catch);
- `instance-network` hands out an empty `network` handle (wasi-libc asks for it before a
  lookup) whose destructor does nothing;
- everything else traps: it is a method of a socket or stream that can never exist.

The composed component imports only what the host links from its own WASI for a plugin
granted fs/env capabilities (filesystem, environment, cli, clocks, random, io), and the
loader's import check still refuses any `wasi:sockets` import, so nothing here is trusted:
a build that failed to compose them away would not load.

The stub is generated from the guest's own import types (`wasm-tools component wit`), so it
follows whatever WASI version componentize-py targets. The functions here only write text;
`build.py` runs wasm-tools on it.

This module does not import wasmtime.
"""

from __future__ import annotations

import re

DENIAL_PACKAGE = "zeroclaw-build:network-denied"
DENIAL_WORLD = "network-denied"
# Import names (package part) the denial component exports in the guest's place.
DENIED_PACKAGES = ("wasi:sockets", "wasi:http")
# wasi:sockets/network `error-code.access-denied`, and where a denied result is written.
_ACCESS_DENIED = 1
_RESULT_AREA = 0
_SCRATCH = 16

_IMPORT_LINE = re.compile(r"^  import ([^\s;]+);", re.MULTILINE)


def network_imports(world_wit: str) -> list[str]:
    """The imports of a component (its `wasm-tools component wit` text) that the denial
    component replaces: `wasi:sockets/tcp@0.2.9`, ..."""
    return [
        name
        for name in _IMPORT_LINE.findall(world_wit)
        if name.partition("/")[0] in DENIED_PACKAGES
    ]


def denial_wit(world_wit: str, denied: list[str]) -> str:
    """The component's WIT text with one more world, `network-denied`, exporting `denied`
    (the interfaces keep the exact types the guest imports, from the same text)."""
    exports = "".join(f"  export {name};\n" for name in denied)
    world = f"world {DENIAL_WORLD} {{\n{exports}}}\n\n"
    head, found, tail = world_wit.partition("\nworld ")
    if not found:
        raise ValueError("the component's WIT has no world")
    return f"{head}\n{world}world {tail}"


def denial_module(denied: list[str]) -> str:
    """The core module of the denial component: the functions that deny (see the module
    docstring). The build completes it with a trapping stub for every other export."""
    by_interface = {name.partition("@")[0]: name for name in denied}
    lines = [
        "(module",
        '  (memory (export "memory") 1)',
        # A denied result<_, error-code>: discriminant 1 (err), then the code at offset 4.
        "  (func $denied (result i32)",
        f"    (i32.store8 (i32.const {_RESULT_AREA}) (i32.const 1))",
        f"    (i32.store8 (i32.const {_RESULT_AREA + 4}) (i32.const {_ACCESS_DENIED}))",
        f"    (i32.const {_RESULT_AREA}))",
        # Strings the guest passes (a name to resolve) are never read: every allocation
        # lands on the same scratch area, grown to fit.
        '  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)',
        "    (local $pages i32)",
        f"    (local.set $pages (i32.shr_u (i32.add (local.get 3) (i32.const {_SCRATCH + 65535}))"
        " (i32.const 16)))",
        "    (if (i32.gt_u (local.get $pages) (memory.size))",
        "      (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size)))"
        " (i32.const -1)) (then unreachable))))",
        f"    (i32.const {_SCRATCH}))",
    ]
    network = by_interface.get("wasi:sockets/network")
    if network is not None:
        lines.append(f'  (func (export "{network}#[dtor]network") (param i32))')
        instance = by_interface.get("wasi:sockets/instance-network")
        if instance is not None:
            lines[1:1] = [
                f'  (import "[export]{network}" "[resource-new]network" '
                "(func $new_network (param i32) (result i32)))"
            ]
            lines.append(
                f'  (func (export "{instance}#instance-network") (result i32) '
                "(call $new_network (i32.const 0)))"
            )
    denying = {
        "wasi:sockets/tcp-create-socket": ("create-tcp-socket", "(param i32)"),
        "wasi:sockets/udp-create-socket": ("create-udp-socket", "(param i32)"),
        "wasi:sockets/ip-name-lookup": ("resolve-addresses", "(param i32 i32 i32)"),
    }
    for interface, (function, params) in denying.items():
        name = by_interface.get(interface)
        if name is not None:
            lines.append(
                f'  (func (export "{name}#{function}") {params} (result i32) (call $denied))'
            )
    return "\n".join(lines) + "\n)\n"
