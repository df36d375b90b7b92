"""Fixtures of the hostile-plugin matrix: every hostile component built once per session
(the Python guests too, when a test asks for them), plugin directories, a config with plugins
on, and the local HTTP server of the host suite (slow, dripping, oversized and redirecting
routes on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_support import (
    PYTHON_WASI_BUILD_CACHE,
    PYTHON_WASI_GUEST,
    PluginDirs,
    build_all,
    build_python_guest,
)

from host_helpers import LocalServer, serve_locally  # isort: skip (on sys.path via hostile_support)

from zeroclaw.config import Config


@pytest.fixture(scope="session")
def hostile_components(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("hostile-components"))


@pytest.fixture(scope="session")
def python_guest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile Python guest's component (fixtures/python_hostile), built once."""
    built = build_python_guest(tmp_path_factory.mktemp("python-guest"))
    if isinstance(built, str):
        pytest.skip(f"the Python guest was not built: {built}")
    return built


@pytest.fixture(scope="session")
def python_wasi_guest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python guest built with WASI (fixtures/python_wasi), built once."""
    built = build_python_guest(
        tmp_path_factory.mktemp("python-wasi-guest"), PYTHON_WASI_GUEST, PYTHON_WASI_BUILD_CACHE
    )
    if isinstance(built, str):
        pytest.skip(f"the Python guest was not built: {built}")
    return built


@pytest.fixture
def plugin_dirs(tmp_path: Path, hostile_components: dict[str, Path]) -> PluginDirs:
    return PluginDirs(tmp_path / "plugins", hostile_components)


@pytest.fixture
def config(tmp_path: Path, plugin_dirs: PluginDirs) -> Config:
    """Plugins on, tools run without asking; each test allows what its cell needs."""
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.workspace.mkdir(parents=True)
    config.plugins.enabled = True
    config.plugins.dirs = [plugin_dirs.root]
    config.plugins.capabilities.allow = ["hooks.conversation", "hooks.modify"]
    return config


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 (routes: tests/plugins/host/host_helpers.py)."""
    with serve_locally() as server:
        yield server
