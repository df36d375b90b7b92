"""A reload that fails in any way leaves the live snapshot serving, untouched, says why
(report, log, observer event, status) and does not stop a later good change from being
picked up. Real plugins on disk, a real AgentRuntime, real hook dispatch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from reload_support import PluginDirs, tag

from zeroclaw.agent import AgentRuntime
from zeroclaw.config import Config
from zeroclaw.hooks import Event, PromptBuild
from zeroclaw.observability import PluginReload
from zeroclaw.plugins.contract.permissions import ApprovalStore
from zeroclaw.plugins.lifecycle.reload import PluginReloader

OpenRuntime = Callable[[], AgentRuntime]


async def prompt_of(runtime: AgentRuntime) -> str:
    """The system prompt a turn starting now would get from the live plugins."""
    result = await runtime.live_hooks().run(
        Event.BEFORE_PROMPT_BUILD, PromptBuild("s1", "terminal", None, "native prompt", ())
    )
    return result.payload.system_prompt


def reloader_of(runtime: AgentRuntime) -> PluginReloader:
    assert runtime.reloader is not None
    return runtime.reloader


def corrupt_wasm(directory: Path) -> None:
    (directory / "plugin.wasm").write_bytes(b"\0asm this is not a component")


def bad_manifest(directory: Path) -> None:
    manifest = directory / "plugin.toml"
    manifest.write_text(manifest.read_text() + 'colour = "blue"\n')


def abi_major_bump(directory: Path) -> None:
    manifest = directory / "plugin.toml"
    manifest.write_text(
        manifest.read_text().replace("zeroclaw:hooks@1.0.0", "zeroclaw:hooks@2.0.0")
    )


async def test_reload_failure_keeps_previous_snapshot_active(
    dirs: PluginDirs, open_runtime: OpenRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    directory = dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()
    reloader = reloader_of(runtime)
    live = runtime.plugins.current()  # type: ignore[union-attr]
    events: list[PluginReload] = []
    reloader.observer = _Collect(events)

    corrupt_wasm(directory)
    failed = reloader.reload("test")

    assert not failed.swapped
    assert failed.generation == live.generation
    assert runtime.plugins.current() is live  # type: ignore[union-attr]
    assert "tagger" in (failed.reason or "")
    assert "plugin.wasm" in (failed.reason or "")
    assert await prompt_of(runtime) == tag(1)  # the old version still answers
    assert events[-1].swapped is False
    assert events[-1].reason == failed.reason
    assert "rolled back, generation" in caplog.text
    status = reloader.status()
    assert (status.rolled_back, status.swapped) == (1, 0)
    assert status.last_failure == failed
    assert status.generation == live.generation

    dirs.write("tagger", kind="prompt", tag=tag(2))
    fixed = reloader.reload("test")

    assert fixed.swapped, fixed.reason
    assert fixed.generation > live.generation
    assert fixed.previous_generation == live.generation
    assert await prompt_of(runtime) == tag(2)
    assert reloader.status().last_failure == failed  # still there to read
    assert events[-1].swapped is True


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (corrupt_wasm, "plugin.wasm"),
        (bad_manifest, "colour"),
        (abi_major_bump, "zeroclaw:hooks@2.0.0"),
    ],
    ids=["corrupt-wasm", "bad-manifest", "abi-major-bump"],
)
async def test_a_broken_new_version_leaves_the_old_snapshot_serving(
    dirs: PluginDirs,
    open_runtime: OpenRuntime,
    breakage: Callable[[Path], None],
    expected: str,
) -> None:
    directory = dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()
    live = runtime.plugins.current()  # type: ignore[union-attr]

    breakage(directory)
    report = reloader_of(runtime).reload("test")

    assert not report.swapped
    assert expected in (report.reason or "")
    assert runtime.plugins.current() is live  # type: ignore[union-attr]
    assert await prompt_of(runtime) == tag(1)
    assert not live.plugins["tagger"].calls._closed


async def test_a_capability_escalation_leaves_the_old_snapshot_serving(
    dirs: PluginDirs, open_runtime: OpenRuntime
) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()
    live = runtime.plugins.current()  # type: ignore[union-attr]

    # the new version imports zeroclaw:host/kv, which the config does not allow
    dirs.write("tagger", fixture="hook_kv", capabilities=("kv",))
    report = reloader_of(runtime).reload("test")

    assert not report.swapped
    assert "zeroclaw:host/kv" in (report.reason or "")
    assert runtime.plugins.current() is live  # type: ignore[union-attr]
    assert await prompt_of(runtime) == tag(1)


async def test_new_grants_wait_for_approval_with_the_old_version_serving(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    config.plugins.require_approval_for_new_capabilities = True
    config.plugins.capabilities.allow.append("kv")
    dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()
    reloader = reloader_of(runtime)
    live = runtime.plugins.current()  # type: ignore[union-attr]

    dirs.write("tagger", kind="prompt", tag=tag(2), capabilities=("hooks.conversation", "kv"))
    held = reloader.reload("test")

    assert not held.swapped
    assert held.awaiting_approval == ("tagger",)
    (diff,) = held.permission_changes
    assert (diff.plugin, diff.added, diff.removed) == ("tagger", ("kv",), ("hooks.modify",))
    assert "zeroclaw plugins approve tagger" in (held.reason or "")
    assert await prompt_of(runtime) == tag(1)
    assert runtime.plugins.current() is live  # type: ignore[union-attr]

    ApprovalStore.for_data_dir(config.data_dir).approve("tagger", ["hooks.conversation", "kv"])
    approved = reloader.reload("test")

    assert approved.swapped, approved.reason
    assert approved.permission_changes == held.permission_changes
    # the new version is granted kv but no longer hooks.modify: its change is ignored
    assert await prompt_of(runtime) == "native prompt"


async def test_fewer_grants_need_no_approval_and_are_reported(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    config.plugins.require_approval_for_new_capabilities = True
    dirs.write(
        "tagger",
        kind="prompt",
        tag=tag(1),
        capabilities=("hooks.conversation", "hooks.modify", "log"),
    )
    runtime = open_runtime()

    dirs.write("tagger", kind="prompt", tag=tag(2))
    report = reloader_of(runtime).reload("test")

    assert report.swapped, report.reason
    (diff,) = report.permission_changes
    assert (diff.added, diff.removed) == ((), ("log",))
    assert "plugin permission change (test reload): tagger: grants -log" in caplog.text
    assert await prompt_of(runtime) == tag(2)


async def test_a_new_plugin_with_grants_waits_for_approval(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    config.plugins.require_approval_for_new_capabilities = True
    dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()

    dirs.write("newcomer", kind="context", tag=tag(1))
    held = reloader_of(runtime).reload("test")

    assert not held.swapped
    assert held.awaiting_approval == ("newcomer",)
    assert held.permission_changes[0].new_plugin


async def test_a_plugin_that_failed_before_does_not_block_the_others(
    dirs: PluginDirs, open_runtime: OpenRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    corrupt_wasm(dirs.write("broken", kind="context", tag=tag(1)))
    runtime = open_runtime()

    dirs.write("tagger", kind="prompt", tag=tag(2))
    report = reloader_of(runtime).reload("test")

    assert report.swapped, report.reason
    assert [line.split(":")[0] for line in report.still_failing] == ["broken"]
    assert await prompt_of(runtime) == tag(2)
    assert "still fails to load" in caplog.text


async def test_a_required_plugin_removed_is_refused(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    from zeroclaw.config.models import PluginOverride

    config.plugins.overrides["tagger"] = PluginOverride(required=True)
    directory = dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()

    for file in directory.iterdir():
        file.unlink()
    directory.rmdir()
    report = reloader_of(runtime).reload("test")

    assert not report.swapped
    assert "tagger: not found in any of plugins.dirs" in (report.reason or "")
    assert await prompt_of(runtime) == tag(1)


class _Collect:
    def __init__(self, into: list[PluginReload]) -> None:
        self.into = into

    def record(self, event: object) -> None:
        if isinstance(event, PluginReload):
            self.into.append(event)
