"""What the reload tests share: hook plugins whose answer carries a tag (so a test can
tell which version of a plugin answered), written into plugin directories and rewritten
in place to make a new version.

A tagged component is built once from WAT with the marker `TAG-0000` in its data; a
version with another tag of the same length is the same bytes with the marker replaced,
so making one costs a file write, and each is a different component to the host (another
sha256, compiled afresh).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from wat_builder import WORLDS, assemble_wit

from zeroclaw.config import Config
from zeroclaw.gateway.auth import hash_token
from zeroclaw.gateway.lifecycle.server import GatewayServer, open_gateway
from zeroclaw.plugins.authoring.build import wat_component

TOKEN = "zc_test-token-for-plugin-reloads"
MARKER = "TAG-0000"
HOOKS = "zeroclaw:hooks@1.0.0"

_PROMPT_PARAMS = """
    (param $sid i32) (param $sid_len i32) (param $ch i32) (param $ch_len i32)
    (param $uid_some i32) (param $uid i32) (param $uid_len i32)
    (param $prompt i32) (param $prompt_len i32) (param $ctx i32) (param $ctx_len i32)
    (result i32)
    (i32.store8 (i32.const 1024) (i32.const 1))
    (i32.store (i32.const 1028) (local.get $sid))
    (i32.store (i32.const 1032) (local.get $sid_len))
    (i32.store (i32.const 1036) (local.get $ch))
    (i32.store (i32.const 1040) (local.get $ch_len))
    (i32.store8 (i32.const 1044) (local.get $uid_some))
    (i32.store (i32.const 1048) (local.get $uid))
    (i32.store (i32.const 1052) (local.get $uid_len))
"""

# Each: before-prompt-build (enum case 11) or before-llm-call (12) -> continue, with one
# field set to the tag (at 64, 8 bytes long); built with wat_builder's ring allocator.
WAT = {
    # system-prompt = tag
    "prompt": f"""
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\\0b")
  (data (i32.const 24) "\\10\\00\\00\\00\\01\\00\\00\\00")
  (data (i32.const 64) "{MARKER}")
  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32) i32.const 24)
  (func (export "zeroclaw:hooks/handler@1.0.0#before-prompt-build") {_PROMPT_PARAMS}
    (i32.store (i32.const 1056) (i32.const 64))
    (i32.store (i32.const 1060) (i32.const 8))
    (i32.store (i32.const 1064) (local.get $ctx))
    (i32.store (i32.const 1068) (local.get $ctx_len))
    i32.const 1024)
)""",
    # context = [tag]
    "context": f"""
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\\0b")
  (data (i32.const 24) "\\10\\00\\00\\00\\01\\00\\00\\00")
  (data (i32.const 64) "{MARKER}")
  (data (i32.const 128) "\\40\\00\\00\\00\\08\\00\\00\\00")
  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32) i32.const 24)
  (func (export "zeroclaw:hooks/handler@1.0.0#before-prompt-build") {_PROMPT_PARAMS}
    (i32.store (i32.const 1056) (local.get $prompt))
    (i32.store (i32.const 1060) (local.get $prompt_len))
    (i32.store (i32.const 1064) (i32.const 128))
    (i32.store (i32.const 1068) (i32.const 1))
    i32.const 1024)
)""",
    # model = tag
    "model": f"""
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\\0c")
  (data (i32.const 24) "\\10\\00\\00\\00\\01\\00\\00\\00")
  (data (i32.const 64) "{MARKER}")
  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32) i32.const 24)
  (func (export "zeroclaw:hooks/handler@1.0.0#before-llm-call")
    (param $sid i32) (param $sid_len i32) (param $model i32) (param $model_len i32)
    (param $msgs i32) (param $msgs_len i32)
    (result i32)
    (i32.store8 (i32.const 1024) (i32.const 1))
    (i32.store (i32.const 1028) (local.get $sid))
    (i32.store (i32.const 1032) (local.get $sid_len))
    (i32.store (i32.const 1036) (i32.const 64))
    (i32.store (i32.const 1040) (i32.const 8))
    (i32.store (i32.const 1044) (local.get $msgs))
    (i32.store (i32.const 1048) (local.get $msgs_len))
    i32.const 1024)
)""",
}


def build_tag_templates(out: Path) -> dict[str, bytes]:
    """Kind -> the bytes of its component, tagged MARKER."""
    wit = assemble_wit(out)
    templates = {}
    for kind, wat in WAT.items():
        path = wat_component(wat, wit, WORLDS[HOOKS], out / f"tag_{kind}.wasm", out)
        data = path.read_bytes()
        assert data.count(MARKER.encode()) == 1, kind
        templates[kind] = data
    return templates


def tag(version: int, prefix: str = "v") -> str:
    """A tag of the marker's length: v0000001 for version 1."""
    text = f"{prefix}{version:0{len(MARKER) - len(prefix)}d}"
    assert len(text) == len(MARKER)
    return text


class PluginDirs:
    """Writes plugin directories under `root`, and new versions of them in place."""

    def __init__(self, root: Path, templates: dict[str, bytes], components: dict[str, Path]):
        self.root = root
        self.templates = templates
        self.components = components

    def write(
        self,
        name: str,
        *,
        kind: str | None = None,
        tag: str = MARKER,
        fixture: str | None = None,
        capabilities: tuple[str, ...] = ("hooks.conversation", "hooks.modify"),
        package: str = HOOKS,
        priority: int | None = None,
        version: str = "1.0.0",
    ) -> Path:
        """Write (or overwrite) plugin `name`: a tagged hook of `kind`, or a WAT fixture."""
        directory = self.root / name
        directory.mkdir(exist_ok=True)
        if fixture is not None:
            shutil.copy(self.components[fixture], directory / "plugin.wasm")
        else:
            assert kind is not None
            data = self.templates[kind].replace(MARKER.encode(), tag.encode())
            (directory / "plugin.wasm").write_bytes(data)
        lines = [
            f"name = {json.dumps(name)}",
            f"version = {json.dumps(version)}",
            f"wit_package = {json.dumps(package)}",
            'component = "plugin.wasm"',
            f"capabilities = {json.dumps(list(capabilities))}",
        ]
        if priority is not None:
            lines.append(f"priority = {priority}")
        (directory / "plugin.toml").write_text("\n".join(lines) + "\n")
        return directory


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll `condition` until it holds; fail after `timeout_s` (a bound, not a measurement)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@contextmanager
def running_gateway(config: Config) -> Iterator[tuple[GatewayServer, str]]:
    """A real gateway for `config` (uvicorn on 127.0.0.1, a free port) in a thread, with
    TOKEN accepted; yields the server and its base URL."""
    config.gateway.tokens = [hash_token(TOKEN)]
    server = open_gateway(config, host="127.0.0.1", port=0, log_level=None)
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive())
        assert server.started, "the gateway did not start"
        yield server, f"http://127.0.0.1:{server.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the gateway did not stop"
