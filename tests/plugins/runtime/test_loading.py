"""Loading real plugin directories: every step's refusal names what to fix, a failing plugin
does not stop the others, a required one stops everything, and the second start hits the
compile cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from runtime_support import LoadPlugins, MakePlugin, MakeRegistry, Recorder

from zeroclaw.config import Config
from zeroclaw.config.models import PluginOverride
from zeroclaw.hooks import Event
from zeroclaw.observability import PluginLoaded
from zeroclaw.plugins.errors import (
    AbiError,
    DuplicatePluginError,
    ExportMismatchError,
    ImportNotGrantedError,
    ManifestError,
    RequiredPluginError,
)
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot

HOOKS = ("hooks.conversation", "hooks.modify")


def failure(snapshot: PluginSnapshot, name: str) -> BaseException:
    status = snapshot.status(name)
    assert status is not None
    assert status.state == "failed"
    assert status.error is not None
    return status.error


def test_a_hook_plugin_loads_with_its_events_limits_and_grants(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config
) -> None:
    make_plugin("guard", "hook_guard", capabilities=HOOKS, priority=7, limits={"memory_mb": 8})
    config.plugins.capabilities.deny = ["hooks.modify"]

    plugin = load().plugins["guard"]

    assert plugin.events == {Event.BEFORE_TOOL_CALL}
    assert plugin.limits.memory_mb == 8
    assert plugin.limits.timeout_ms == config.plugins.limits.timeout_ms
    assert {str(c) for c in plugin.grants.granted} == {"hooks.conversation"}
    assert plugin.state == "loaded"
    assert plugin.manifest.hook_priority == 7


def test_a_newer_or_other_major_abi_is_refused_naming_both_versions(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("future", "hook_guard", package="zeroclaw:hooks@2.0.0")
    make_plugin("newer", "hook_guard", package="zeroclaw:hooks@1.4.0")
    make_plugin("fine", "hook_guard", capabilities=HOOKS)

    snapshot = load()

    future, newer = failure(snapshot, "future"), failure(snapshot, "newer")
    assert isinstance(future, AbiError)
    assert "zeroclaw:hooks@2.0.0" in str(future)
    assert "zeroclaw:hooks@1.0.0" in str(future)
    assert "plugin.toml" in str(future)
    assert isinstance(newer, AbiError)
    assert "newer" in str(newer)
    assert list(snapshot.plugins) == ["fine"]  # the others still load


def test_exports_that_do_not_match_the_declared_world_are_refused(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("wrong", "hooks_wrong_types")
    make_plugin("tool-as-hook", "tool_echo")

    snapshot = load()

    wrong, tool = failure(snapshot, "wrong"), failure(snapshot, "tool-as-hook")
    assert isinstance(wrong, ExportMismatchError)
    assert "handles has the wrong type" in str(wrong)
    assert isinstance(tool, ExportMismatchError)
    assert 'wit_package = "zeroclaw:tools@1.0.0"' in (tool.hint or "")


def test_an_import_that_was_not_granted_is_refused_naming_interface_and_config_key(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config
) -> None:
    make_plugin("kv-user", "hook_kv", capabilities=("kv",))

    error = failure(load(), "kv-user")

    assert isinstance(error, ImportNotGrantedError)
    assert "zeroclaw:host/kv@1.0.0" in str(error)
    assert "plugins.capabilities.allow" in str(error)
    assert "plugin.wasm" in str(error)  # names the component file


def test_the_same_plugin_loads_once_the_config_allows_the_import(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config
) -> None:
    make_plugin("kv-user", "hook_kv", capabilities=("kv",))
    config.plugins.capabilities.allow.append("kv")

    assert load().status("kv-user").state == "loaded"  # type: ignore[union-attr]


def test_wasi_is_linked_only_with_a_grant_and_then_sees_only_what_is_granted(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_plugin("env-user", "hook_wasi", capabilities=("env:ZEROCLAW_TEST_VAR",))
    monkeypatch.setenv("ZEROCLAW_TEST_VAR", "visible")
    monkeypatch.setenv("ZEROCLAW_OTHER_VAR", "hidden")

    refused = failure(load(), "env-user")
    config.plugins.capabilities.allow.append("env:ZEROCLAW_TEST_VAR")
    plugin = load().plugins["env-user"]
    instance = plugin.calls.pool.acquire()  # a store with WASI linked: it must have a config

    assert isinstance(refused, ImportNotGrantedError)
    assert "env:NAME" in str(refused)
    assert instance is not None
    wasi = plugin.calls.factory.wasi
    assert wasi is not None
    assert wasi.env == (("ZEROCLAW_TEST_VAR", "visible"),)
    assert wasi.read_dirs == wasi.write_dirs == ()


def test_hook_events_with_conversation_content_are_withheld_without_the_grant(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("pirate", "hook_pirate", capabilities=("hooks.modify",))

    snapshot = load()
    plugin = snapshot.plugins["pirate"]

    assert plugin.events == frozenset()
    assert Event.BEFORE_PROMPT_BUILD in plugin.withheld_events
    assert "hooks.conversation" in plugin.warnings[-1]
    assert snapshot.hook_handlers() == ()  # nothing it may receive: never called


def test_disabled_plugins_are_skipped_and_failing_ones_do_not_stop_the_others(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, plugins_dir: Path
) -> None:
    make_plugin("guard", "hook_guard", capabilities=HOOKS)
    make_plugin("off", "hook_pirate", capabilities=HOOKS)
    broken = plugins_dir / "broken"
    broken.mkdir()
    (broken / "plugin.toml").write_text('name = "broken"\nversion = "one"\n')
    config.plugins.overrides["off"] = PluginOverride(enabled=False)

    snapshot = load()

    assert [(s.name, s.state) for s in snapshot.statuses] == [
        ("broken", "failed"),
        ("guard", "loaded"),
        ("off", "disabled"),
    ]
    error = failure(snapshot, "broken")
    assert isinstance(error, ManifestError)
    assert "version" in str(error)
    assert "plugin.toml" in str(error)
    assert [h.spec.name for h in snapshot.hook_handlers()] == ["guard"]


def test_a_required_plugin_that_fails_stops_the_whole_load(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config
) -> None:
    make_plugin("guard", "hook_guard", capabilities=HOOKS)
    make_plugin("kv-user", "hook_kv", capabilities=("kv",))
    config.plugins.overrides["kv-user"] = PluginOverride(required=True)
    config.plugins.overrides["missing"] = PluginOverride(required=True)

    with pytest.raises(RequiredPluginError) as raised:
        load()

    assert "kv-user" in str(raised.value)
    assert "missing: not found" in str(raised.value)
    assert "required = false" in (raised.value.hint or "")


def test_two_directories_with_one_name_fail_the_second(
    make_plugin: MakePlugin, load: LoadPlugins, plugins_dir: Path
) -> None:
    make_plugin("guard", "hook_guard", capabilities=HOOKS)
    second = make_plugin("guard-copy", "hook_guard", capabilities=HOOKS)
    toml = second / "plugin.toml"
    toml.write_text(toml.read_text().replace('name = "guard-copy"', 'name = "guard"'))

    snapshot = load()

    assert list(snapshot.plugins) == ["guard"]
    errors = [s.error for s in snapshot.statuses if s.error is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], DuplicatePluginError)


def test_the_second_start_hits_the_compile_cache(
    make_plugin: MakePlugin, make_registry: MakeRegistry, config: Config, recorder: Recorder
) -> None:
    make_plugin("guard", "hook_guard", capabilities=HOOKS)

    first = make_registry().load(config.plugins).plugins["guard"]
    second = make_registry().load(config.plugins).plugins["guard"]

    assert (first.from_cache, second.from_cache) == (False, True)
    assert [e.from_cache for e in recorder.of(PluginLoaded)] == [False, True]
    assert any((config.data_dir / "plugin-cache").iterdir())


def test_tool_and_provider_plugins_describe_themselves(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("echo", "tool_echo", package="zeroclaw:tools@1.0.0")
    make_plugin("fixture-llm", "provider_info", package="zeroclaw:providers@1.0.0")

    snapshot = load()

    (tool,) = snapshot.tool_specs["echo"]
    assert (tool.name, tool.parameters) == ("echo", {"type": "object"})
    provider = snapshot.providers["fixture-llm"]
    assert provider.display_name == "Fixture LLM"
    assert provider.models == ("fixture-small", "fixture-large")
    assert provider.supports_tools


def test_publishing_swaps_the_snapshot_whole(
    make_plugin: MakePlugin, make_registry: MakeRegistry, config: Config
) -> None:
    registry = make_registry()
    make_plugin("guard", "hook_guard", capabilities=HOOKS)
    first = registry.load(config.plugins)
    candidate = registry.build(config.plugins)

    assert registry.current() is first  # building does not publish
    previous = registry.publish(candidate)

    assert previous is first
    assert registry.current() is candidate
    assert candidate.generation == first.generation + 1
    assert os.fspath(candidate.plugins["guard"].directory).endswith("guard")
