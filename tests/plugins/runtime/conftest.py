"""Fixtures of the plugin runtime tests: plugin directories made from the WAT fixtures
(tests/plugins/fixtures/wat, built once per session by the parent conftest), a config that
enables plugins, and a registry on a real data dir (compile cache, kv)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_support import LoadPlugins, MakePlugin, MakeRegistry, Recorder

from zeroclaw.config import Config
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.plugins.wasm.calls import RuntimeSettings


def toml_value(value: object) -> str:
    return json.dumps(value)  # strings, numbers, booleans and lists read the same in TOML


@pytest.fixture
def plugins_dir(tmp_path: Path) -> Path:
    path = tmp_path / "plugins"
    path.mkdir()
    return path


@pytest.fixture
def make_plugin(plugins_dir: Path, components: dict[str, Path]) -> MakePlugin:
    """Write plugins_dir/NAME with a plugin.toml and the component built from FIXTURE."""

    def make(
        name: str,
        fixture: str,
        *,
        capabilities: tuple[str, ...] = (),
        package: str = "zeroclaw:hooks@1.0.0",
        priority: int | None = None,
        limits: dict[str, int] | None = None,
        extra: str = "",
    ) -> Path:
        directory = plugins_dir / name
        directory.mkdir()
        shutil.copy(components[fixture], directory / "plugin.wasm")
        lines = [
            f"name = {toml_value(name)}",
            'version = "1.2.3"',
            f"wit_package = {toml_value(package)}",
            'component = "plugin.wasm"',
            f"capabilities = {toml_value(list(capabilities))}",
        ]
        if priority is not None:
            lines.append(f"priority = {priority}")
        lines.append(extra)
        if limits:
            lines.append("[limits]")
            lines += [f"{key} = {value}" for key, value in limits.items()]
        (directory / "plugin.toml").write_text("\n".join(lines) + "\n")
        return directory

    return make


@pytest.fixture
def config(tmp_path: Path, plugins_dir: Path) -> Config:
    """Plugins on, every hook capability and log allowed; tools run without asking."""
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.workspace.mkdir(parents=True)
    config.plugins.enabled = True
    config.plugins.dirs = [plugins_dir]
    config.plugins.capabilities.allow = [
        "hooks.conversation",
        "hooks.modify",
        "hooks.tool_results",
        "log",
    ]
    return config


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_registry(config: Config, recorder: Recorder) -> Iterator[MakeRegistry]:
    """A registry for `config` (closed at the end of the test) with `recorder` observing."""
    made: list[PluginRegistry] = []

    def make(settings: RuntimeSettings | None = None) -> PluginRegistry:
        registry = PluginRegistry.for_config(config, observer=recorder, settings=settings)
        made.append(registry)
        return registry

    yield make
    for registry in made:
        registry.close()


@pytest.fixture
def load(make_registry: MakeRegistry, config: Config) -> LoadPlugins:
    """Load (and publish) the plugins of `config` in a new registry."""

    def load_snapshot(settings: RuntimeSettings | None = None) -> PluginSnapshot:
        return make_registry(settings).load(config.plugins)

    return load_snapshot
