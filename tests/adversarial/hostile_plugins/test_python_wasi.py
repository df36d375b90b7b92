"""A Python plugin granted files and variables uses them, and nothing more.

The guest (fixtures/python_wasi) is built as authors build theirs: its plugin.toml asks for
`fs.read:` and `env:` capabilities, so `zeroclaw plugins build` runs componentize-py with
real WASI and composes the result with the component that denies every socket and DNS
lookup (src/zeroclaw/plugins/authoring/network_denial.py). Each test writes the plugin.toml
of its cell (what is asked) and the config (what is allowed), loads the guest beside the good
WAT `echo` tool and calls it through the tool registry, as the agent does.

What is asserted: a granted directory reads and nothing outside it does (not a sibling, not
`..`, not /etc), a read grant does not write, a granted variable is the only one the guest
sees and with no env grant it sees none, a plugin whose fs/env requests are all refused does
not load (naming the key that would grant them), and a socket, a DNS lookup, a UDP datagram
and an HTTP request all fail inside the guest as Python exceptions, with no packet reaching
a real server on 127.0.0.1, the host alive and the good plugin answering.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_support import COMPILE_CACHE, PluginDirs

from host_helpers import LocalServer  # isort: skip (on sys.path via hostile_support)

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.messages import ToolResult
from zeroclaw.plugins.authoring.build import component_world
from zeroclaw.plugins.errors import ImportNotGrantedError
from zeroclaw.tools import ToolContext

PLUGIN = "pywasi"
VARIABLE = "ZEROCLAW_PYWASI_TEST"
OTHER = "ZEROCLAW_PYWASI_OTHER"
LIMITS = {"timeout_ms": 1000, "memory_mb": 64}
# The first build of the guest (10-50 s) and its first compile (seconds) fall in one test.
pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """(granted, outside): a directory the plugin may read, and a sibling it may not."""
    granted = (tmp_path / "granted").resolve()
    outside = (tmp_path / "outside").resolve()
    for folder, text in ((granted, "inside the grant"), (outside, "the secret next door")):
        folder.mkdir()
        (folder / "note.txt").write_text(text)
    return granted, outside


def add_guest(
    config: Config,
    plugin_dirs: PluginDirs,
    guest: Path,
    requested: tuple[str, ...],
    allowed: tuple[str, ...],
) -> None:
    plugin_dirs.add(PLUGIN, guest, "tools", capabilities=requested, limits=LIMITS)
    plugin_dirs.add("echoer", "tools_good", "tools")
    config.plugins.capabilities.allow = [*config.plugins.capabilities.allow, *allowed]
    COMPILE_CACHE.mkdir(parents=True, exist_ok=True)
    (config.data_dir / "plugin-cache").symlink_to(COMPILE_CACHE, target_is_directory=True)


async def call(runtime: AgentRuntime, tool: str, **arguments: object) -> ToolResult:
    context = ToolContext("s1", runtime.config.workspace)
    return await runtime.live_tools().execute(tool, dict(arguments), context)


async def answer(runtime: AgentRuntime, tool: str, **arguments: object) -> str:
    """What the guest answered (the call itself must succeed: failures are answered)."""
    result = await call(runtime, tool, **arguments)
    assert result.success, result.error
    return result.output


async def echo_answers(runtime: AgentRuntime) -> bool:
    result = await call(runtime, "echo", text="still here")
    return result.output == '{"text": "still here"}'


def runtime_for(config: Config) -> AgentRuntime:
    return AgentRuntime.from_config(config, approver=AllowApprover())


def test_the_built_guest_imports_files_and_environment_but_no_network(
    python_wasi_guest: Path,
) -> None:
    imports = component_world(python_wasi_guest).imports
    packages = {name.partition("/")[0] for name in imports}

    assert {"wasi:filesystem", "wasi:cli", "wasi:clocks", "wasi:random"} <= packages
    assert not packages & {"wasi:sockets", "wasi:http"}
    assert "zeroclaw:host/console@1.0.0" in imports


async def test_a_granted_directory_reads_and_nothing_outside_it_does(
    config: Config,
    plugin_dirs: PluginDirs,
    python_wasi_guest: Path,
    folders: tuple[Path, Path],
) -> None:
    granted, outside = folders
    grant = (f"fs.read:{granted}",)
    add_guest(config, plugin_dirs, python_wasi_guest, grant, grant)

    async with runtime_for(config) as runtime:
        inside = await answer(runtime, "read", path=str(granted / "note.txt"))
        listed = await answer(runtime, "list", path=str(granted))
        sibling = await answer(runtime, "read", path=str(outside / "note.txt"))
        climbed = await answer(runtime, "read", path=f"{granted}/../outside/note.txt")
        system = await answer(runtime, "read", path="/etc/passwd")
        root = await answer(runtime, "list", path="/")
        written = await answer(runtime, "write", path=str(granted / "new.txt"))
        clock = await answer(runtime, "clock")
        alive = await echo_answers(runtime)

    assert inside == "inside the grant"
    assert json.loads(listed) == ["note.txt"]
    for denied in (sibling, climbed, system, root):
        assert denied.startswith(("FileNotFoundError", "PermissionError", "OSError")), denied
    assert "secret" not in sibling + climbed
    assert "root:" not in system
    # A read grant is opened read-only: the write fails and nothing is created.
    assert written.startswith(("PermissionError", "OSError")), written
    assert not (granted / "new.txt").exists()
    assert clock == "now"
    assert alive


async def test_a_write_grant_writes_inside_it_only(
    config: Config,
    plugin_dirs: PluginDirs,
    python_wasi_guest: Path,
    folders: tuple[Path, Path],
) -> None:
    granted, outside = folders
    grant = (f"fs.write:{granted}",)
    add_guest(config, plugin_dirs, python_wasi_guest, grant, grant)

    async with runtime_for(config) as runtime:
        inside = await answer(runtime, "write", path=str(granted / "new.txt"))
        escaped = await answer(runtime, "write", path=str(outside / "new.txt"))

    assert inside == "wrote"
    assert (granted / "new.txt").read_text() == "written by the plugin"
    assert escaped.startswith(("FileNotFoundError", "PermissionError", "OSError")), escaped
    assert not (outside / "new.txt").exists()


async def test_a_granted_variable_is_the_only_one_the_guest_sees(
    config: Config,
    plugin_dirs: PluginDirs,
    python_wasi_guest: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(VARIABLE, "granted value")
    monkeypatch.setenv(OTHER, "hunter2")
    grant = (f"env:{VARIABLE}",)
    add_guest(config, plugin_dirs, python_wasi_guest, grant, grant)

    async with runtime_for(config) as runtime:
        environ = await answer(runtime, "environ")
        other = await answer(runtime, "getenv", name=OTHER)
        files = await answer(runtime, "list", path="/")

    assert json.loads(environ) == {VARIABLE: "granted value"}
    assert json.loads(other) is None
    # WASI comes whole with an env grant, but without an fs grant it opens no directory.
    assert files.startswith(("FileNotFoundError", "PermissionError", "OSError")), files


async def test_a_variable_asked_for_but_not_granted_is_not_seen(
    config: Config,
    plugin_dirs: PluginDirs,
    python_wasi_guest: Path,
    folders: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(VARIABLE, "not for the plugin")
    granted, _ = folders
    requested = (f"fs.read:{granted}", f"env:{VARIABLE}")
    add_guest(config, plugin_dirs, python_wasi_guest, requested, (f"fs.read:{granted}",))

    async with runtime_for(config) as runtime:
        environ = await answer(runtime, "environ")
        inside = await answer(runtime, "read", path=str(granted / "note.txt"))

    assert json.loads(environ) == {}
    assert inside == "inside the grant"


async def test_a_guest_built_with_wasi_and_granted_none_of_it_does_not_load(
    config: Config, plugin_dirs: PluginDirs, python_wasi_guest: Path
) -> None:
    add_guest(config, plugin_dirs, python_wasi_guest, (f"env:{VARIABLE}",), ())

    async with runtime_for(config) as runtime:
        assert runtime.plugins is not None
        snapshot = runtime.plugins.current()
        status = snapshot.status(PLUGIN)
        alive = await echo_answers(runtime)
        missing = await call(runtime, "environ")

    assert status is not None
    assert status.state == "failed"
    assert type(status.error) is ImportNotGrantedError
    message = str(status.error)
    assert 'imports wasi:cli/environment@0.2.9, which needs an "env:NAME" capability' in message
    assert "plugins.capabilities.allow" in message
    assert "wasi:sockets" not in message  # composed away at build time
    assert PLUGIN not in snapshot.plugins
    assert not missing.success
    assert alive


@pytest.mark.parametrize(
    ("tool", "raised"),
    [
        ("connect", "PermissionError"),
        ("udp", "PermissionError"),
        # wasi-libc reports the denied lookup as EAI_SYSTEM with errno EACCES.
        ("resolve", "PermissionError"),
        ("fetch", "URLError"),
    ],
)
async def test_no_socket_dns_or_http_reaches_out_even_with_files_and_env_granted(
    tool: str,
    raised: str,
    config: Config,
    plugin_dirs: PluginDirs,
    python_wasi_guest: Path,
    folders: tuple[Path, Path],
    http_server: LocalServer,
) -> None:
    granted, _ = folders
    grant = (f"fs.read:{granted}", f"env:{VARIABLE}")
    add_guest(config, plugin_dirs, python_wasi_guest, grant, grant)

    async with runtime_for(config) as runtime:
        answered = await answer(
            runtime,
            tool,
            host="127.0.0.1" if tool != "resolve" else "localhost",
            port=http_server.port,
            url=http_server.url("/ok"),
        )
        again = await answer(runtime, "read", path=str(granted / "note.txt"))
        alive = await echo_answers(runtime)

    assert answered.startswith(raised), answered
    assert http_server.seen == []
    assert again == "inside the grant"
    assert alive
