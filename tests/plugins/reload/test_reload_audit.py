"""The audit log hears the plugin lifecycle of a real runtime: each plugin's load and the
capabilities it was granted, each reload (swapped or rolled back) and the permission
diff a reload brings, with whether it waits for approval."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reload_support import PluginDirs, tag

from zeroclaw.agent import AgentRuntime
from zeroclaw.config import Config

OpenRuntime = Callable[[], AgentRuntime]


def audit_lines(config: Config, kind: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in config.audit_path.read_text().splitlines()]
    return [line for line in lines if line["event"] == kind]


def reload(runtime: AgentRuntime) -> None:
    assert runtime.reloader is not None
    runtime.reloader.reload("test")


def test_a_load_writes_the_plugin_and_its_grants(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    open_runtime()

    (loaded,) = audit_lines(config, "plugin_loaded")
    assert (loaded["plugin"], loaded["version"], loaded["generation"]) == ("tagger", "1.0.0", 1)
    (grants,) = audit_lines(config, "plugin_permissions")
    assert grants["plugin"] == "tagger"
    assert grants["granted"] == ["hooks.conversation", "hooks.modify"]
    assert (grants["added"], grants["removed"], grants["approved"]) == ([], [], True)


def test_a_reload_writes_its_outcome_and_the_permission_diff(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    config.plugins.capabilities.allow.append("kv")
    config.plugins.require_approval_for_new_capabilities = True
    dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()

    dirs.write("tagger", kind="prompt", tag=tag(2), capabilities=("hooks.conversation", "kv"))
    reload(runtime)  # held: kv is new and waits for `zeroclaw plugins approve`
    (dirs.root / "tagger" / "plugin.wasm").write_bytes(b"\0asm broken")
    reload(runtime)  # rolled back: the component does not compile

    held, broken = audit_lines(config, "plugin_reload")
    assert held["swapped"] is False
    assert "zeroclaw plugins approve tagger" in held["reason"]
    assert broken["swapped"] is False
    assert broken["reason"]
    diffs = [line for line in audit_lines(config, "plugin_permissions") if line["added"]]
    assert [(d["plugin"], d["added"], d["removed"], d["approved"]) for d in diffs] == [
        ("tagger", ["kv"], ["hooks.modify"], False)
    ]


def test_a_swapped_reload_writes_the_new_generation(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()

    dirs.write("other", kind="context", tag=tag(1))
    reload(runtime)

    (swapped,) = audit_lines(config, "plugin_reload")
    assert (swapped["swapped"], swapped["generation"], swapped["plugins"]) == (True, 2, 2)
    assert {line["plugin"] for line in audit_lines(config, "plugin_loaded")} == {
        "tagger",
        "other",
    }
