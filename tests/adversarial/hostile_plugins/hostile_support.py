"""The hostile guests of this suite, built into components, and the plugin directories and
running hosts the matrix puts them in (a module of its own, so that the test module and the
conftest share it; see tests/plugins/runtime/runtime_support.py for why).

Fixtures here (fixtures/*.wat) reuse the build of the plugin suite
(tests/plugins/wat_builder.py: a core module completed for its world, every export it leaves
out a trapping stub), with two additions for cells that need many variants of one guest:

- `WORLD`, `ATTACK_CODE`, `KIND` and `DESCRIBE` in a fixture's text are filled in per world
  and attack (`describe_hostile.wat`, `every_host_interface.wat`, `wasi_reach.wat`);
- `;; include: FILE` pastes another file of fixtures/ in place (`http_relay.wat`).

The WIT root is the repository's zeroclaw packages, the WASI stand-ins of fixtures/wit and
the worlds of fixtures/wit/hostile.wit.

The Python guests (fixtures/python_hostile, and fixtures/python_wasi which asks for fs/env
capabilities) are built as authors build theirs, by `zeroclaw plugins build`
(componentize-py --stub-wasi, wrapped; or with WASI and its network composed away); that
takes 10-50 s, so each component and build record are kept under the repository's .cache/
and put back before each run's build, whose own cache check decides whether to rebuild (as
the template tests do). Its compiled form is kept there too (compiling 18 MB of guest takes
seconds)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parents[1]
# The plugin suite's builder and local HTTP server (conftests only apply below their own
# directory, so their modules are imported from where they live).
for path in (TESTS / "plugins", TESTS / "plugins" / "host"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from wat_builder import FIXTURES as PLUGIN_FIXTURES  # noqa: E402
from wat_builder import WIT, build_component  # noqa: E402

from zeroclaw.plugins.authoring.build import (  # noqa: E402
    RECORD_SUFFIX,
    ToolchainMissingError,
    build_plugin,
    wat_component,
)

FIXTURES = HERE / "fixtures"
PYTHON_GUEST = FIXTURES / "python_hostile"
ROOT = TESTS.parent
PYTHON_BUILD_CACHE = ROOT / ".cache" / "test-hostile-python"
# The Python guest built with WASI (it asks for fs/env capabilities), and its build cache.
PYTHON_WASI_GUEST = FIXTURES / "python_wasi"
PYTHON_WASI_BUILD_CACHE = ROOT / ".cache" / "test-python-wasi"
# Shared with the example tests: compiled components are keyed by their bytes.
COMPILE_CACHE = ROOT / ".cache" / "test-example-plugins"
PACKAGES = {
    "hooks": "zeroclaw:hooks@1.0.0",
    "tools": "zeroclaw:tools@1.0.0",
    "providers": "zeroclaw:providers@1.0.0",
}
WORLDS = {
    "hooks": "zeroclaw:hooks/hooks@1.0.0",
    "tools": "zeroclaw:tools/tools@1.0.0",
    "providers": "zeroclaw:providers/providers@1.0.0",
}
DESCRIBE_EXPORTS = {
    "hooks": "zeroclaw:hooks/handler@1.0.0#handles",
    "tools": "zeroclaw:tools/tool@1.0.0#tools",
    "providers": "zeroclaw:providers/provider@1.0.0#info",
}
DESCRIBE_ATTACKS = {"spin": "s", "trap": "t", "lots": "l"}
# The good plugins of the parent suite, one per world: what must keep answering.
GOOD = {
    "hooks": PLUGIN_FIXTURES / "wat" / "hook_pirate.wat",
    "tools": PLUGIN_FIXTURES / "wat" / "tool_echo.wat",
    "providers": TESTS / "plugins" / "providers" / "fixtures" / "provider_fixed.wat",
}


def assemble_wit(out: Path) -> Path:
    root = out / "wit"
    deps = root / "deps"
    deps.mkdir(parents=True)
    for package in ("host", "hooks", "tools", "providers"):
        shutil.copytree(WIT / package / "v1", deps / f"zeroclaw-{package}")
    # Older minors the host still loads (zeroclaw:providers@1.0.0, which the fixtures use).
    for older in sorted(WIT.glob("*/v1.*")):
        shutil.copytree(older, deps / f"zeroclaw-{older.parent.name}-{older.name[1:]}")
    shutil.copytree(PLUGIN_FIXTURES / "wit" / "wasi-cli", deps / "wasi-cli")
    for stub in sorted((FIXTURES / "wit" / "wasi-stubs").glob("*.wit")):
        (deps / f"wasi-{stub.stem}").mkdir()
        shutil.copy(stub, deps / f"wasi-{stub.stem}" / "package.wit")
    shutil.copy(FIXTURES / "wit" / "hostile.wit", root / "hostile.wit")
    return root


def _text(name: str, fill: dict[str, str]) -> str:
    text = (FIXTURES / f"{name}.wat").read_text()
    text = re.sub(
        r"^;; include: (\S+)$",
        lambda match: (FIXTURES / match[1]).read_text(),
        text,
        flags=re.MULTILINE,
    )
    for key, value in fill.items():
        text = text.replace(key, value)
    return text


def _world(text: str) -> str:
    match = re.search(r"^;; world: (\S+)$", text, re.MULTILINE)
    assert match, "a fixture names its world on a ';; world: ...' line"
    return match[1]


def build_all(out: Path) -> dict[str, Path]:
    """Every component of the suite: name -> component file (built side by side: each build
    is a few wasm-tools processes)."""
    wit = assemble_wit(out)
    sources: dict[str, tuple[str, dict[str, str]]] = {
        name: (name, {})
        for name in (
            "hook_hostile",
            "tool_hostile",
            "provider_hostile",
            "hook_fetch",
            "tool_fetch",
            "provider_fetch",
        )
    }
    for index, world in enumerate(WORLDS):
        sources[f"{world}_every_host_interface"] = ("every_host_interface", {"WORLD": world})
        sources[f"{world}_wasi_reach"] = ("wasi_reach", {"WORLD": world})
        for attack, code in DESCRIBE_ATTACKS.items():
            fill = {
                "WORLD": WORLDS[world],
                "ATTACK_CODE": str(ord(code)),
                "KIND": str(index),
                "DESCRIBE": DESCRIBE_EXPORTS[world],
            }
            sources[f"{world}_describe_{attack}"] = ("describe_hostile", fill)

    def build(name: str) -> Path:
        source, fill = sources[name]
        text = _text(source, fill)
        work = out / name
        work.mkdir()
        return wat_component(text, wit, _world(text), out / f"{name}.wasm", work)

    with ThreadPoolExecutor(max_workers=4) as pool:
        built = dict(zip(sources, pool.map(build, sources), strict=True))
    for world, source in GOOD.items():
        built[f"{world}_good"] = build_component(source, out)
    return built


def build_python_guest(
    out: Path, source: Path = PYTHON_GUEST, cache: Path = PYTHON_BUILD_CACHE
) -> Path | str:
    """A Python guest's component (fixtures/python_hostile unless `source`), built in a copy
    of its directory under `out`, its last build kept in `cache`; or why it could not be
    built (componentize-py missing: a skip, except under CI)."""
    target = out / source.name
    shutil.copytree(source, target)
    kept = [cache / name for name in ("plugin.wasm", "plugin.wasm" + RECORD_SUFFIX)]
    for path in kept:
        if path.is_file():
            shutil.copy2(path, target / path.name)
    try:
        result = build_plugin(target)
    except ToolchainMissingError as exc:
        if os.environ.get("CI"):
            raise
        return f"{exc.message} ({exc.hint})"
    assert not result.problems, result.problems
    if not result.cached:
        cache.mkdir(parents=True, exist_ok=True)
        for path in kept:
            shutil.copy2(target / path.name, path)
    return result.component


@dataclass(frozen=True)
class PluginDirs:
    """Plugin directories under `root`, each a component and a plugin.toml."""

    root: Path
    components: dict[str, Path]

    def add(
        self,
        name: str,
        component: str | Path,
        world: str,
        *,
        capabilities: tuple[str, ...] = (),
        limits: dict[str, int] | None = None,
        priority: int | None = None,
    ) -> Path:
        directory = self.root / name
        directory.mkdir(parents=True)
        source = component if isinstance(component, Path) else self.components[component]
        shutil.copy(source, directory / "plugin.wasm")
        lines = [
            f"name = {json.dumps(name)}",
            'version = "1.0.0"',
            f"wit_package = {json.dumps(PACKAGES[world])}",
            'component = "plugin.wasm"',
            f"capabilities = {json.dumps(list(capabilities))}",
        ]
        if priority is not None:
            lines.append(f"priority = {priority}")
        if limits:
            lines.append("[limits]")
            lines += [f"{key} = {value}" for key, value in limits.items()]
        (directory / "plugin.toml").write_text("\n".join(lines) + "\n")
        return directory
