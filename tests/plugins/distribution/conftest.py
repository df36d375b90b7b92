"""Fixtures of the distribution tests: plugin folders made from the WAT fixtures, a config
file on disk (so plugins.lock sits beside it), a loopback file server for archives, and a
real OCI registry (Debian's docker-registry) on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import textwrap
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from dist_support import MakeFolder, Run
from typer.testing import CliRunner, Result

from zeroclaw.cli import app

REGISTRY_BINARY = Path("/usr/bin/docker-registry")


@pytest.fixture
def make_folder(tmp_path: Path, components: dict[str, Path]) -> MakeFolder:
    """A plugin folder (not installed) named NAME from a WAT fixture."""

    def make(
        name: str = "guard",
        fixture: str = "hook_minimal",
        *,
        version: str = "1.0.0",
        capabilities: tuple[str, ...] = ("log",),
        component: str = "plugin.wasm",
        where: Path | None = None,
    ) -> Path:
        folder = (where or tmp_path / "src") / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(components[fixture], folder / "plugin.wasm")
        caps = ", ".join(f'"{c}"' for c in capabilities)
        (folder / "plugin.toml").write_text(
            f'name = "{name}"\nversion = "{version}"\nwit_package = "zeroclaw:hooks@1.0.0"\n'
            f'component = "{component}"\ndescription = "a test plugin"\n'
            f"capabilities = [{caps}]\n"
        )
        return folder

    return make


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        textwrap.dedent(
            f"""
            data_dir = "{tmp_path / "data"}"
            [plugins]
            enabled = true
            [plugins.capabilities]
            allow = ["log"]
            """
        )
    )
    return path


@pytest.fixture
def run(config_file: Path) -> Run:
    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, ["--config", str(config_file), *args], input=input)

    return invoke


@pytest.fixture
def install_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "plugins"


@pytest.fixture
def lock_file(config_file: Path) -> Path:
    return config_file.parent / "plugins.lock"


# -- a loopback file server --------------------------------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder it serves) of a real http.server on 127.0.0.1."""
    root = tmp_path / "served"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


# -- a real OCI registry -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(host:port, storage folder) of Debian's docker-registry serving on 127.0.0.1; the
    test skips, saying why, where it cannot start."""
    if not REGISTRY_BINARY.is_file():
        pytest.skip(f"{REGISTRY_BINARY} is not installed (apt-get install docker-registry)")
    port = _free_port()
    storage = tmp_path / "registry"
    config = tmp_path / "registry.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {storage}\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    log = (tmp_path / "registry.log").open("w")
    process = subprocess.Popen(
        [str(REGISTRY_BINARY), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(100):
            if process.poll() is not None:
                break
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            pytest.skip("docker-registry did not answer within 5 s")
        if process.poll() is not None:
            pytest.skip(f"docker-registry exited: {(tmp_path / 'registry.log').read_text()[:300]}")
        yield f"127.0.0.1:{port}", storage
    finally:
        process.terminate()
        process.wait(10)
        log.close()
