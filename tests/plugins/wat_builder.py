"""Real components for tests, built from hand-written WAT in milliseconds.

A fixture `fixtures/wat/NAME.wat` is a core module whose first lines say which world it
implements (`;; world: zeroclaw:hooks/hooks@1.0.0`) and, optionally, which WIT root to use
(`;; wit: wit-fake`, a directory under fixtures/; default: the repository's wit/ plus
fixtures/wit). It defines only the exports it cares about, with the component model's
core names (`zeroclaw:hooks/handler@1.0.0#handles`). `build_component` hands it to
`zeroclaw.plugins.authoring.build.wat_component` (what `zeroclaw plugins build` uses for WAT
plugins), which fills in every other export of the world as a trapping stub, adds a memory if
missing and, unless the fixture defines its own, the build's `cabi_realloc` with its
post-returns (freed after every call), then runs `wasm-tools component embed` + `component new`.

The benchmarks build their WAT guests with the ring allocator below (`with_ring_allocator`;
they put tests/plugins on their path for it): an A/B run builds guests with each source
tree's own `wat_component`, and a tree from before build.py's allocator was freed per call
(BUILDER_VERSION 4) adds one that runs out after ~150 calls.

`NAME.component.wat` files are components in the text format; wasmtime reads them as they
are.

Run as a script to regenerate src/zeroclaw/plugins/contract/wit_exports.json from wit/:
    .venv/bin/python tests/plugins/wat_builder.py --write-abi
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from zeroclaw.plugins.authoring.build import run_wasm_tools, wasm_tools, wat_component

__all__ = [
    "RING_REALLOC",
    "WAT",
    "WIT",
    "build_component",
    "render_abi_json",
    "wasm_tools",
    "with_ring_allocator",
]

ROOT = Path(__file__).resolve().parents[2]
WIT = ROOT / "wit" / "zeroclaw"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WAT = FIXTURES / "wat"
ABI_JSON = ROOT / "src" / "zeroclaw" / "plugins" / "contract" / "wit_exports.json"
WORLDS = {
    "zeroclaw:hooks@1.0.0": "zeroclaw:hooks/hooks@1.0.0",
    "zeroclaw:tools@1.0.0": "zeroclaw:tools/tools@1.0.0",
    "zeroclaw:providers@1.0.0": "zeroclaw:providers/providers@1.0.0",
    "zeroclaw:providers@1.1.0": "zeroclaw:providers/providers@1.1.0",
}

# A ring allocator over 32-64 KiB: a call's arguments are dead once it returns, so any number
# of calls fits in the one page a guest's warm instance keeps, as long as one call's
# arguments fit in 32 KiB (past that it wraps over them). For the benchmarks only (see
# above): the allocator `wat_component` adds now frees after every call and grows memory.
RING_REALLOC = """
  (global $heap (mut i32) (i32.const 32768))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (if (i32.gt_u (i32.add (global.get $heap) (i32.add (local.get 3) (i32.const 8)))
                  (i32.const 65536))
      (then (global.set $heap (i32.const 32768))))
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
"""


def with_ring_allocator(wat: str) -> str:
    """`wat` (one core module) with RING_REALLOC as its `cabi_realloc`, unless it has one."""
    if '"cabi_realloc"' in wat:
        return wat
    body = wat.rstrip()
    assert body.endswith(")"), "the module must end with its closing parenthesis"
    return body[:-1].rstrip() + "\n" + RING_REALLOC + ")\n"


def assemble_wit(out: Path) -> Path:
    """A WIT root holding the fixture worlds, with every zeroclaw package and the WASI stub
    as dependencies (wasm-tools resolves packages from `deps/`)."""
    root = out / "wit"
    if root.exists():
        return root
    deps = root / "deps"
    deps.mkdir(parents=True)
    for package in ("host", "hooks", "tools", "providers"):
        shutil.copytree(WIT / package / "v1", deps / f"zeroclaw-{package}")
    # Older minors the host still loads, frozen beside the current one (v1.0 of providers).
    for older in sorted(WIT.glob("*/v1.*")):
        shutil.copytree(older, deps / f"zeroclaw-{older.parent.name}-{older.name[1:]}")
    shutil.copytree(FIXTURES / "wit" / "wasi-cli", deps / "wasi-cli")
    shutil.copy(FIXTURES / "wit" / "fixtures.wit", root / "fixtures.wit")
    return root


def _header(text: str, key: str) -> str | None:
    match = re.search(rf"^;; {key}: (\S+)$", text, re.MULTILINE)
    return match[1] if match else None


def build_component(source: Path, out_dir: Path) -> Path:
    """Build `source` (a fixture .wat) into a component under `out_dir`; returns its path."""
    text = source.read_text()
    if source.name.endswith(".component.wat"):
        return source
    world = _header(text, "world")
    assert world, f"{source} has no ';; world: ...' header"
    wit_name = _header(text, "wit")
    wit = FIXTURES / wit_name if wit_name else assemble_wit(out_dir)
    name = source.name.removesuffix(".wat")
    return wat_component(text, wit, world, out_dir / f"{name}.wasm", out_dir)


def dummy_component(wit: Path, world: str, out: Path) -> Path:
    """A component with the world's exact imports and exports (bodies trap)."""
    core = out.with_suffix(".core.wasm")
    run_wasm_tools("component", "embed", "--dummy", wit, "-w", world, "-o", core)
    run_wasm_tools("component", "new", core, "-o", out)
    return out


def world_signatures(out_dir: Path) -> dict[str, dict[str, dict[str, str]]]:
    """The export signatures of each supported world, rendered as the host renders them."""
    from wasmtime import Engine
    from wasmtime.component import Component

    from zeroclaw.plugins.contract.abi import describe_exports

    engine = Engine()
    wit = assemble_wit(out_dir)
    table = {}
    for package, world in WORLDS.items():
        path = dummy_component(wit, world, out_dir / f"{package.replace(':', '-')}.wasm")
        table[package] = describe_exports(Component.from_file(engine, path).type, engine)
    return table


def render_abi_json(out_dir: Path) -> str:
    return json.dumps(world_signatures(out_dir), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--write-abi"]:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        ABI_JSON.write_text(render_abi_json(Path(tmp)))
    print(f"wrote {ABI_JSON}")
