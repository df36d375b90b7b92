"""plugins.hot_reload: the watcher sees a change in plugins.dirs and the new version is
served; a bad change is rolled back and the next good one is picked up. Waits are polls
with a bound, never sleeps standing in for an assertion."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from reload_support import PluginDirs, tag, wait_for

from zeroclaw.agent import AgentRuntime
from zeroclaw.config import Config
from zeroclaw.hooks import Event, PromptBuild

OpenRuntime = Callable[[], AgentRuntime]


async def prompt_of(runtime: AgentRuntime) -> str:
    result = await runtime.live_hooks().run(
        Event.BEFORE_PROMPT_BUILD, PromptBuild("s1", "terminal", None, "native prompt", ())
    )
    return result.payload.system_prompt


async def test_the_watcher_picks_up_a_file_change(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    config.plugins.hot_reload = True
    config.plugins.reload_debounce_ms = 50
    directory = dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()
    assert runtime.plugins is not None
    assert runtime.reloader is not None
    watcher = runtime.reloader.watcher
    assert watcher is not None
    assert watcher.ready.wait(10)
    assert runtime.reloader.status().watching == (str(config.plugins.dirs[0]),)
    first = runtime.plugins.current().generation

    dirs.write("tagger", kind="prompt", tag=tag(2))
    wait_for(lambda: runtime.plugins.current().generation > first)  # type: ignore[union-attr]

    assert await prompt_of(runtime) == tag(2)

    # a broken change is rolled back, and the next good one still comes through
    (directory / "plugin.wasm").write_bytes(b"not wasm")
    wait_for(lambda: runtime.reloader.status().rolled_back >= 1)  # type: ignore[union-attr]
    assert await prompt_of(runtime) == tag(2)
    serving = runtime.plugins.current().generation

    dirs.write("tagger", kind="prompt", tag=tag(3))
    wait_for(lambda: runtime.plugins.current().generation > serving)  # type: ignore[union-attr]
    assert await prompt_of(runtime) == tag(3)
    assert runtime.reloader.status().last is not None


def test_without_hot_reload_nothing_is_watched(dirs: PluginDirs, open_runtime: OpenRuntime) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()

    assert runtime.reloader is not None
    assert runtime.reloader.watcher is None
    assert runtime.reloader.status().watching == ()


def test_the_reload_modules_do_not_import_wasmtime() -> None:
    code = (
        "import sys, zeroclaw.plugins.lifecycle.reload, zeroclaw.plugins.lifecycle.watcher, "
        "zeroclaw.plugins.contract.permissions; "
        "print('wasmtime' in sys.modules, 'watchfiles' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
