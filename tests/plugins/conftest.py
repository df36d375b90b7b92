"""Real components for the plugin tests, built once per session from fixtures/wat/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from wat_builder import WAT, build_component

if TYPE_CHECKING:
    from zeroclaw.plugins.wasm.engine import PluginEngine


@pytest.fixture(scope="session")
def components(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Fixture name (file name without .wat / .component.wat) -> component file."""
    out = tmp_path_factory.mktemp("components")
    return {
        source.name.removesuffix(".wat").removesuffix(".component"): build_component(source, out)
        for source in sorted(WAT.glob("*.wat"))
    }


@pytest.fixture
def plugin_engine(tmp_path: Path) -> Iterator[PluginEngine]:
    from zeroclaw.plugins.wasm.engine import PluginEngine

    with PluginEngine(cache_dir=tmp_path / "plugin-cache") as engine:
        yield engine
