"""The hostile-plugin matrix for a Python guest: a tool plugin built as authors build theirs
(`zeroclaw plugins build`: componentize-py `--stub-wasi`, wrapped so that an uncaught
exception reaches the host through zeroclaw:host/console), whose tool name picks the attack
(fixtures/python_hostile/app.py). It is loaded beside the good WAT tool plugin (`echo`) and
called through the tool registry, as the agent calls it.

For every cell: the host lives, the failure is one typed error naming the plugin, the
function and the cause (the author's exception with its app.py line where Python raised
one), it is counted against the plugin, and the good plugin answers afterwards. What a
`--stub-wasi` guest gets when it reaches for files, clocks, sockets or the environment is
asserted exactly: the WASI call traps inside the sandbox (named in the error), and
`os.environ` is empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_support import COMPILE_CACHE, PYTHON_GUEST, PluginDirs

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.messages import ToolResult
from zeroclaw.plugins.errors import (
    PluginBadResult,
    PluginCallError,
    PluginTimeout,
    PluginTrap,
)
from zeroclaw.plugins.host.console import MAX_LINES_PER_CALL
from zeroclaw.tools import ToolContext

HOSTILE = "hostile"
# A Python guest needs ~13 MiB to start; 1 s leaves room for a loaded machine.
LIMITS = {"timeout_ms": 1000, "memory_mb": 48}
COUNTERS: dict[type[PluginCallError], str] = {
    PluginTimeout: "timeouts",
    PluginTrap: "traps",
    PluginBadResult: "bad_results",
}
SOURCE = (PYTHON_GUEST / "app.py").read_text().splitlines()
# The first build of the guest (10-50 s) and its first compile (seconds) fall in one test.
pytestmark = pytest.mark.timeout(600)


def line_of(code: str) -> str:
    """`app.py:N`, N the line of the guest's source holding `code` (exactly once)."""
    (number,) = [n for n, line in enumerate(SOURCE, 1) if code in line]
    return f"app.py:{number}"


@dataclass(frozen=True)
class Cell:
    tool: str  # the attack: the tool's name
    error: type[PluginCallError]
    words: tuple[str, ...]


WASI = "wasm `unreachable` instruction executed in a WASI call ({}"
CELLS = [
    Cell("spin", PluginTimeout, ("time limit of 1000 ms", "timeout_ms")),
    Cell(
        "memory",
        PluginTrap,
        (
            "uncaught MemoryError",
            f"at {line_of('hoard.append(bytearray(1 << 20))')} in attack",
            "raise plugins.overrides.hostile.limits.memory_mb",
        ),
    ),
    Cell(
        "recurse",
        PluginTrap,
        (
            "uncaught RecursionError: maximum recursion depth exceeded",
            # The outermost frame, then the innermost ones (the middle is left out).
            f"at {line_of('return attack(name)')} in call\n  at ... ",
            f"at {line_of('return recurse(depth + 1) + 1')} in recurse",
        ),
    ),
    # Python's recursion limit raised: the wasm stack runs out first, and wasmtime says so.
    Cell("overflow", PluginTrap, ("wasm trap: call stack exhausted",)),
    Cell(
        "raise",
        PluginTrap,
        (
            "uncaught ValueError: the hostile plugin raised this",
            f"at {line_of('return attack(name)')} in call",
            f"at {line_of('raise ValueError(')} in attack",
            "the plugin's own code raised it: the stack names the file and line",
        ),
    ),
    Cell("env", PluginTrap, ("uncaught KeyError: 'HOME'", f"at {line_of('os.environ[')}")),
    # Under --stub-wasi every WASI function traps: the call ends inside the sandbox, and the
    # wasm backtrace names what the guest reached for (wasi-libc's function, its caller).
    Cell(
        "file",
        PluginTrap,
        (WASI.format("filesystem_preopens_get_directories, from _io_FileIO___init__"),),
    ),
    Cell("clock", PluginTrap, (WASI.format("wall_clock_now, from PyTime_Time"),)),
    Cell(
        "socket",
        PluginTrap,
        (WASI.format("tcp_create_socket_create_tcp_socket, from sock_initobj"),),
    ),
    # The wrapper checks the value against the WIT type and names where it does not fit.
    Cell("shape", PluginBadResult, ("call() returned: expected str, got int",)),
    # An Err(...) whose value does not fit: the wrapper does not check it, componentize-py's
    # runtime panics converting it.
    Cell(
        "error-shape",
        PluginTrap,
        ("the guest's runtime (componentize_py_runtime.wasm) panicked", "Err(...)"),
    ),
]


def runtime_for(config: Config) -> AgentRuntime:
    return AgentRuntime.from_config(config, approver=AllowApprover())


async def call(runtime: AgentRuntime, tool: str) -> ToolResult:
    context = ToolContext("s1", runtime.config.workspace)
    return await runtime.live_tools().execute(tool, {}, context)


async def echo_answers(runtime: AgentRuntime) -> bool:
    context = ToolContext("s1", runtime.config.workspace)
    result = await runtime.live_tools().execute("echo", {"text": "still here"}, context)
    return result.output == '{"text": "still here"}'


@pytest.fixture
def python_config(config: Config, plugin_dirs: PluginDirs, python_guest: Path) -> Config:
    """The Python guest as plugin `hostile`, the good `echo` tool beside it, and the compile
    cache kept between runs."""
    plugin_dirs.add(HOSTILE, python_guest, "tools", limits=LIMITS)
    plugin_dirs.add("echoer", "tools_good", "tools")
    COMPILE_CACHE.mkdir(parents=True, exist_ok=True)
    (config.data_dir / "plugin-cache").symlink_to(COMPILE_CACHE, target_is_directory=True)
    return config


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.tool)
async def test_a_hostile_python_call_fails_typed_and_the_good_plugin_keeps_answering(
    cell: Cell, python_config: Config
) -> None:
    async with runtime_for(python_config) as runtime:
        result = await call(runtime, cell.tool)
        assert runtime.plugins is not None
        plugin = runtime.plugins.current().plugins[HOSTILE]
        stats, breaker = plugin.calls.stats(), plugin.calls.breaker_status()
        answered = await echo_answers(runtime)
        again = await echo_answers(runtime)

    assert not result.success
    assert result.error is not None
    prefix = f"tool {cell.tool!r}: plugin {HOSTILE!r} {cell.error.what} in call: "
    assert result.error.startswith(prefix), result.error
    for words in cell.words:
        assert words in result.error
    assert getattr(stats, COUNTERS[cell.error]) == 1
    assert (stats.failures, stats.instances_discarded) == (1, 1)
    assert breaker.consecutive_failures == 1
    assert plugin.state == "loaded"
    assert answered
    assert again


async def test_the_host_environment_does_not_reach_a_python_guest(
    python_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEROCLAW_HOSTILE_SECRET", "hunter2")
    async with runtime_for(python_config) as runtime:
        result = await call(runtime, "environ")
        answered = await echo_answers(runtime)

    assert result.success, result.error
    assert result.output == "{}"
    assert answered


async def test_printing_in_a_loop_is_capped_per_call(
    python_config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=f"zeroclaw.plugin.{HOSTILE}")
    async with runtime_for(python_config) as runtime:
        result = await call(runtime, "print")
        answered = await echo_answers(runtime)

    assert result.success, result.error
    assert result.output == "printed"
    written = [r for r in caplog.records if r.name == f"zeroclaw.plugin.{HOSTILE}"]
    lines = [r.getMessage() for r in written if r.levelno == logging.INFO]
    notes = [r.getMessage() for r in written if "the rest of this call's output" in r.getMessage()]
    assert lines[:3] == ["line 0", "line 1", "line 2"]
    assert len(lines) <= MAX_LINES_PER_CALL
    assert notes == [
        f"plugin {HOSTILE} wrote more than {MAX_LINES_PER_CALL} lines or 32768 characters in "
        "one call: the rest of this call's output is dropped"
    ]
    assert answered
