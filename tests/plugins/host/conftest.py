"""Fixtures of the host interface tests (helpers live in host_helpers.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from host_helpers import PROBES, LocalServer, build_probe, handler_for

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
    server = LocalServer(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()
