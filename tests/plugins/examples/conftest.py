"""The example plugins of examples/plugins, built once per test run.

They are built in place by `zeroclaw.plugins.authoring.build` (the same code as `zeroclaw plugins
build`), so its cache makes every run after the first cheap; compiled components are cached
under the repository's .cache/ for the same reason (compiling a 12-18 MB guest takes ~4 s).

Without node or componentize-js the JavaScript example is skipped, except under CI (`CI` set)
where scripts/install has installed them and a missing toolchain is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pytest
from wasmtime.component import Component

from zeroclaw.plugins.authoring.build import BuildResult, ToolchainMissingError, build_plugin
from zeroclaw.plugins.wasm.engine import PluginEngine

from .example_guests import COMPILE_CACHE, EXAMPLES, NAMES, Built, Guest, build_of


def build_example(name: str) -> BuildResult | str:
    """The example's build, or why it could not be built (a missing toolchain)."""
    try:
        return build_plugin(EXAMPLES / name)
    except ToolchainMissingError as exc:
        if os.environ.get("CI"):
            raise
        return f"{exc.message} ({exc.hint})"


@pytest.fixture(scope="session")
def built() -> Built:
    """Example name -> its build (side by side: each is one subprocess), or a skip reason."""
    with ThreadPoolExecutor(max_workers=len(NAMES)) as pool:
        return dict(zip(NAMES, pool.map(build_example, NAMES), strict=True))


@pytest.fixture(scope="session")
def example_engine() -> Iterator[PluginEngine]:
    with PluginEngine(cache_dir=COMPILE_CACHE) as engine:
        yield engine


@pytest.fixture(scope="session")
def example_components(built: Built, example_engine: PluginEngine) -> Callable[[str], Component]:
    """component(name) -> that example's compiled component, loaded once per run."""

    @cache
    def load(name: str) -> Component:
        return example_engine.load_component(build_of(built, name).component).component

    return load


@pytest.fixture
def guest(
    example_components: Callable[[str], Component], example_engine: PluginEngine
) -> Callable[[str], Guest]:
    """guest(name) -> a fresh instance of that example."""
    return lambda name: Guest(example_engine, example_components(name))
