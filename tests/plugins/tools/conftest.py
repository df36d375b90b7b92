"""Fixtures of the tool plugin tests: WAT tool components built once per session, plugin
directories made from them, the example tool plugins (Python, JavaScript) built once per
run, and a config with plugins on."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from zeroclaw.config import Config

from .plugin_dirs import Built, build_example, build_fixtures, plugins_config, write_plugin

TOOL_EXAMPLES = ("tools/word-count", "tools/unit-convert")

MakeToolPlugin = Callable[..., Path]


@pytest.fixture(scope="session")
def tool_components(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_fixtures(tmp_path_factory.mktemp("tool-components"))


@pytest.fixture(scope="session")
def built_tools() -> Built:
    with ThreadPoolExecutor(max_workers=len(TOOL_EXAMPLES)) as pool:
        return dict(zip(TOOL_EXAMPLES, pool.map(build_example, TOOL_EXAMPLES), strict=True))


@pytest.fixture
def plugins_dir(tmp_path: Path) -> Path:
    path = tmp_path / "plugins"
    path.mkdir()
    return path


@pytest.fixture
def make_tool_plugin(plugins_dir: Path, tool_components: dict[str, Path]) -> MakeToolPlugin:
    """plugins_dir/NAME holding the tool plugin built from FIXTURE."""

    def make(name: str, fixture: str, *, extra: str = "", **options: object) -> Path:
        return write_plugin(
            plugins_dir / name,
            tool_components[fixture],
            package="zeroclaw:tools@1.0.0",
            extra=extra,
            **options,  # type: ignore[arg-type]
        )

    return make


@pytest.fixture
def config(tmp_path: Path, plugins_dir: Path) -> Config:
    return plugins_config(tmp_path, [plugins_dir])
