"""Fixtures of the host interface tests (helpers live in host_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from host_helpers import PROBES, LocalServer, build_probe, serve_locally

from zeroclaw.plugins.host.context import HostServices


@pytest.fixture(scope="session")
def probes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Probe name (kv_probe, http_probe, misc_probe) -> component file."""
    out = tmp_path_factory.mktemp("host-probes")
    return {source.stem: build_probe(source, out) for source in sorted(PROBES.glob("*.wat"))}


@pytest.fixture
def services(tmp_path: Path) -> Iterator[HostServices]:
    host = HostServices(data_dir=tmp_path / "data", memory=None)
    yield host
    host.close()


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 (routes: see host_helpers.handler_for)."""
    with serve_locally() as server:
        yield server
