"""Helpers of the host interface tests: probe components, plugin contexts, a local server.

The probes (fixtures/*.wat) are core modules whose exports forward to one host interface
and hand the host's answer back, built into real components with the same tools as the
other fixtures, against fixtures/host_probes.wit plus the repository's zeroclaw:host WIT.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import wasmtime
from wasmtime.component import Component, Instance, Linker
from wat_builder import WIT

from zeroclaw.plugins.authoring.build import wat_component
from zeroclaw.plugins.contract.grants import grant_capabilities
from zeroclaw.plugins.host.context import HostServices, PluginHostContext
from zeroclaw.plugins.host.linker import link_host_interfaces
from zeroclaw.plugins.wasm.engine import PluginEngine

PROBES = Path(__file__).resolve().parent / "fixtures"


def build_probe(source: Path, out_dir: Path) -> Path:
    wit = out_dir / "wit"
    if not wit.exists():
        shutil.copytree(WIT / "host" / "v1", wit / "deps" / "zeroclaw-host")
        shutil.copy(PROBES / "host_probes.wit", wit / "host_probes.wit")
    text = source.read_text()
    world = next(line.split(": ", 1)[1] for line in text.splitlines() if "world: " in line)
    return wat_component(text, wit, world, out_dir / f"{source.stem}.wasm", out_dir)


def make_context(
    plugin: str,
    capabilities: Iterable[str],
    *,
    allow: Iterable[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    timeout_s: float = 10.0,
) -> PluginHostContext:
    """A context for `plugin`, granted `capabilities` (allowed as given unless `allow`)."""
    requested = list(capabilities)
    grants = grant_capabilities(requested, requested if allow is None else allow, plugin=plugin)
    deadline = time.monotonic() + timeout_s
    return PluginHostContext(
        plugin=plugin,
        grants=grants,
        settings=settings or {},
        secrets=secrets or {},
        deadline=lambda: deadline,
    )


@dataclass
class Probe:
    """A probe component instantiated with the host interfaces linked."""

    store: wasmtime.Store
    instance: Instance

    def call(self, name: str, *args: Any) -> Any:
        func = self.instance.get_func(self.store, name)
        assert func is not None, name
        result = func(self.store, *args)
        func.post_return(self.store)
        return result


def instantiate(
    engine: PluginEngine,
    component_file: Path,
    context: PluginHostContext,
    services: HostServices,
    *,
    timeout_ms: float = 10_000,
) -> Probe:
    component = Component.from_file(engine.engine, component_file)
    linker = Linker(engine.engine)
    link_host_interfaces(linker, component.type.imports(engine.engine), context, services)
    store = wasmtime.Store(engine.engine)
    store.set_epoch_deadline(engine.deadline(timeout_ms))
    return Probe(store, linker.instantiate(store, component))


# -- a real HTTP server on 127.0.0.1 ----------------------------------------------------------


@dataclass
class Seen:
    """One request the server received."""

    path: str
    method: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LocalServer:
    port: int
    seen: list[Seen] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def handler_for(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Routes: /ok, /echo (the request's headers back, one per line), /redirect?to=URL
        (302, or ?status=), /loop/N (redirects to /loop/N+1), /gzip (a gzip-encoded body),
        /big?n=N (N bytes with a content-length), /stream?n=N (N bytes, no content-length),
        /drip (a byte every 100 ms for 10 s)."""

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.seen.append(Seen(self.path, self.command, headers, body))
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            route = getattr(self, "route_" + url.path.strip("/").split("/")[0], None)
            if route is None:
                self._reply(404, b"no such route")
            else:
                route(url.path, query)

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _handle

        def _reply(self, status: int, body: bytes, headers: Mapping[str, str] = {}) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            # OSError: the client stopped reading (a body over its cap).
            with contextlib.suppress(OSError):
                if self.command != "HEAD":
                    self.wfile.write(body)

        def route_ok(self, path: str, query: dict[str, str]) -> None:
            self._reply(200, b"hello", {"x-served-by": "local"})

        def route_echo(self, path: str, query: dict[str, str]) -> None:
            lines = [f"{k.lower()}: {v}" for k, v in self.headers.items()]
            self._reply(200, "\n".join(lines).encode())

        def route_redirect(self, path: str, query: dict[str, str]) -> None:
            self._reply(int(query.get("status", "302")), b"", {"location": query["to"]})

        def route_loop(self, path: str, query: dict[str, str]) -> None:
            step = int(path.rsplit("/", 1)[1])
            self._reply(302, b"", {"location": f"/loop/{step + 1}"})

        def route_gzip(self, path: str, query: dict[str, str]) -> None:
            self._reply(200, gzip.compress(b"z" * 10_000), {"content-encoding": "gzip"})

        def route_big(self, path: str, query: dict[str, str]) -> None:
            self._reply(200, b"x" * int(query["n"]))

        def route_stream(self, path: str, query: dict[str, str]) -> None:
            # HTTP/1.0 without a length: the body runs until the connection closes.
            self.send_response(200)
            self.end_headers()
            remaining = int(query["n"])
            try:
                while remaining:
                    chunk = min(remaining, 65536)
                    self.wfile.write(b"y" * chunk)
                    remaining -= chunk
            except OSError:
                pass

        def route_drip(self, path: str, query: dict[str, str]) -> None:
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b".")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass

    return Handler


@contextlib.contextmanager
def serve_locally() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 with the routes of `handler_for`, stopped on exit."""
    server = LocalServer(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
