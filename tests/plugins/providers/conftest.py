"""Fixtures of the provider plugin tests: WAT provider components built once per session,
plugin directories made from them, the example provider plugin (openai-compat, Python)
built once per run, a config with plugins on, and a fake OpenAI-compatible server on
127.0.0.1 (the one the native provider tests use)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tools.plugin_dirs import (
    ROOT,
    Built,
    build_example,
    build_fixtures,
    plugins_config,
    write_plugin,
)

from zeroclaw.config import Config

# tests/providers is on sys.path only when pytest collects it; these tests reuse its server.
sys.path.insert(0, str(ROOT / "tests" / "providers"))
from fake_llm_server import FakeLLMServer

PROVIDER_EXAMPLE = "providers/openai-compat"

MakeProviderPlugin = Callable[..., Path]


@pytest.fixture(scope="session")
def provider_components(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_fixtures(tmp_path_factory.mktemp("provider-components"))


@pytest.fixture(scope="session")
def built_provider() -> Built:
    return {PROVIDER_EXAMPLE: build_example(PROVIDER_EXAMPLE)}


@pytest.fixture
def plugins_dir(tmp_path: Path) -> Path:
    path = tmp_path / "plugins"
    path.mkdir()
    return path


@pytest.fixture
def make_provider_plugin(
    plugins_dir: Path, provider_components: dict[str, Path]
) -> MakeProviderPlugin:
    """plugins_dir/NAME holding the plugin built from FIXTURE (a provider by default)."""

    def make(
        name: str, fixture: str, *, package: str = "zeroclaw:providers@1.0.0", extra: str = ""
    ) -> Path:
        return write_plugin(
            plugins_dir / name, provider_components[fixture], package=package, extra=extra
        )

    return make


@pytest.fixture
def config(tmp_path: Path, plugins_dir: Path) -> Config:
    return plugins_config(tmp_path, [plugins_dir])


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    yield server
    server.stop()
