"""Fixtures of the reload tests: plugin directories of tagged hook plugins (and the WAT
fixtures of tests/plugins/fixtures), a config that enables plugins, and a real
AgentRuntime on a real data dir, closed at the end of the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from reload_support import PluginDirs, build_tag_templates

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config


@pytest.fixture(scope="session")
def tag_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return build_tag_templates(tmp_path_factory.mktemp("tagged"))


@pytest.fixture
def plugins_dir(tmp_path: Path) -> Path:
    path = tmp_path / "plugins"
    path.mkdir()
    return path


@pytest.fixture
def dirs(
    plugins_dir: Path, tag_templates: dict[str, bytes], components: dict[str, Path]
) -> PluginDirs:
    return PluginDirs(plugins_dir, tag_templates, components)


@pytest.fixture
def config(tmp_path: Path, plugins_dir: Path) -> Config:
    """Plugins on, hook capabilities and log allowed; tools run without asking."""
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.observability.backend = "noop"
    config.workspace.mkdir(parents=True)
    config.plugins.enabled = True
    config.plugins.dirs = [plugins_dir]
    config.plugins.capabilities.allow = ["hooks.conversation", "hooks.modify", "log"]
    return config


@pytest.fixture
def open_runtime(config: Config) -> Iterator[Callable[[], AgentRuntime]]:
    """`open_runtime()`: an AgentRuntime for `config`, closed at the end of the test."""
    opened: list[AgentRuntime] = []

    def open_() -> AgentRuntime:
        runtime = AgentRuntime.from_config(config, approver=AllowApprover())
        opened.append(runtime)
        return runtime

    yield open_
    for runtime in opened:
        runtime.close()
