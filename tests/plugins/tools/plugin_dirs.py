"""Plugin directories for the tool and provider plugin tests: WAT fixtures built into
components, plugin.toml files written beside them, the examples of examples/plugins/tools
and examples/plugins/providers built once per run, and a config with plugins on.

Shared by tests/plugins/tools and tests/plugins/providers (`from tools.plugin_dirs import
...`); the fixtures of both live in their `fixtures/` directories.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from wat_builder import WAT, build_component

from zeroclaw.config import Config
from zeroclaw.plugins.authoring.build import BuildResult, ToolchainMissingError, build_plugin

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXAMPLES = ROOT / "examples" / "plugins"
# The compiled examples, kept between runs (as tests/plugins/examples does): compiling a
# 12-18 MB guest takes seconds, loading it from the cache a fraction of one.
COMPILE_CACHE = ROOT / ".cache" / "test-example-plugins"
FIXTURE_DIRS = (HERE / "fixtures", HERE.parent / "providers" / "fixtures")
# The parent suite's fixtures these tests use too.
SHARED_FIXTURES = ("tool_echo", "provider_info", "hook_guard")

Built = dict[str, BuildResult | str]


def build_fixtures(out: Path) -> dict[str, Path]:
    """Fixture name -> component, for this suite's WAT fixtures and the shared ones."""
    sources = [WAT / f"{name}.wat" for name in SHARED_FIXTURES]
    for directory in FIXTURE_DIRS:
        sources += sorted(directory.glob("*.wat"))
    return {source.name.removesuffix(".wat"): build_component(source, out) for source in sources}


def write_plugin(
    directory: Path,
    component: Path,
    *,
    package: str,
    capabilities: tuple[str, ...] = (),
    extra: str = "",
) -> Path:
    """`directory` with the component and a plugin.toml named after the directory."""
    directory.mkdir(parents=True)
    shutil.copy(component, directory / "plugin.wasm")
    lines = [
        f"name = {json.dumps(directory.name)}",
        'version = "1.0.0"',
        f"wit_package = {json.dumps(package)}",
        'component = "plugin.wasm"',
        f"capabilities = {json.dumps(list(capabilities))}",
        extra,
    ]
    (directory / "plugin.toml").write_text("\n".join(lines) + "\n")
    return directory


def plugins_config(tmp_path: Path, dirs: list[Path]) -> Config:
    """Plugins on (nothing granted), tools run without asking, a scratch workspace; the
    compile cache shared with the example tests."""
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.workspace.mkdir(parents=True)
    config.plugins.enabled = True
    config.plugins.dirs = list(dirs)
    COMPILE_CACHE.mkdir(parents=True, exist_ok=True)
    (config.data_dir / "plugin-cache").symlink_to(COMPILE_CACHE, target_is_directory=True)
    return config


def build_example(relative: str) -> BuildResult | str:
    """The build of examples/plugins/RELATIVE, or why it could not be built (a missing
    toolchain: a skip, except under CI, where it is a failure)."""
    try:
        return build_plugin(EXAMPLES / relative)
    except ToolchainMissingError as exc:
        if os.environ.get("CI"):
            raise
        return f"{exc.message} ({exc.hint})"


def example_dir(built: Built, relative: str) -> Path:
    """The example's directory, built; skips the test if its toolchain is missing."""
    result = built[relative]
    if isinstance(result, str):
        pytest.skip(f"{relative} not built: {result}")
    return EXAMPLES / relative
