"""`zeroclaw plugins validate | list | info` and the doctor's plugin checks, through the real
CLI app on real plugin directories."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from runtime_support import MakePlugin
from typer.testing import CliRunner, Result

from json_shapes import documented_shape, shape_differences
from zeroclaw.cli import app
from zeroclaw.plugins.wasm import conversion


@pytest.fixture
def config_file(tmp_path: Path, plugins_dir: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            data_dir = "{tmp_path / "data"}"
            [plugins]
            enabled = true
            dirs = [{json.dumps(str(plugins_dir))}]
            [plugins.capabilities]
            allow = ["hooks.conversation", "hooks.modify"]
            deny = ["hooks.modify"]
            """
        )
    )
    return path


def run(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", str(config_file), *args])


def test_validate_a_good_plugin_exits_zero_with_a_summary(
    make_plugin: MakePlugin, config_file: Path
) -> None:
    directory = make_plugin(
        "guard", "hook_guard", capabilities=("hooks.conversation", "hooks.modify")
    )

    result = run(config_file, "plugins", "validate", str(directory))

    assert result.exit_code == 0, result.output
    assert "OK: guard 1.2.3 zeroclaw:hooks@1.0.0" in result.output
    assert "grants: hooks.conversation;" in result.output
    assert "events: before_tool_call" in result.output
    # a refused grant is said once: as the warning, with the rule that refuses it
    assert result.output.count("not granted") == 1
    assert (
        "warning: plugin 'guard' asks for \"hooks.modify\", which is not granted (denied by "
        '"hooks.modify" in plugins.capabilities.deny): what needs it will not happen'
    ) in result.output


def test_validate_a_bad_plugin_exits_one_with_every_reason(
    make_plugin: MakePlugin, config_file: Path
) -> None:
    # built against another major version AND importing an interface it is not granted
    directory = make_plugin("kv-user", "hook_kv", package="zeroclaw:hooks@2.0.0")

    result = run(config_file, "plugins", "validate", str(directory))

    assert result.exit_code == 1
    assert "zeroclaw:hooks@2.0.0" in result.output
    assert "zeroclaw:host/kv@1.0.0" in result.output
    assert result.output.count("error:") == 2
    assert "Traceback" not in result.output


def test_validate_json_reports_the_plugin_its_warnings_or_every_problem(
    make_plugin: MakePlugin, config_file: Path
) -> None:
    good = make_plugin("guard", "hook_guard", capabilities=("hooks.conversation", "hooks.modify"))
    bad = make_plugin("kv-user", "hook_kv", package="zeroclaw:hooks@2.0.0")

    ok = run(config_file, "plugins", "validate", str(good), "--json")
    strict = run(config_file, "plugins", "validate", str(good), "--strict", "--json")
    failed = run(config_file, "plugins", "validate", str(bad), "--json")

    assert ok.exit_code == 0, ok.output
    shown = json.loads(ok.stdout)
    assert shown["ok"] is True
    assert shown["plugin"]["name"] == "guard"
    assert shown["plugin"]["package"] == "zeroclaw:hooks@1.0.0"
    assert shown["plugin"]["granted"] == ["hooks.conversation"]
    assert shown["plugin"]["provides"] == {"events": ["before_tool_call"]}
    assert any("not granted" in warning for warning in shown["warnings"])
    assert shown["problems"] == []

    assert strict.exit_code == 1
    assert json.loads(strict.stdout)["ok"] is False

    assert failed.exit_code == 1
    report = json.loads(failed.stdout)
    assert report["ok"] is False
    assert report["plugin"] is None
    messages = " ".join(problem["message"] for problem in report["problems"])
    assert "zeroclaw:hooks@2.0.0" in messages
    assert "zeroclaw:host/kv@1.0.0" in messages


def test_plugins_test_json_reports_each_case(make_plugin: MakePlugin, config_file: Path) -> None:
    directory = make_plugin("echo", "tool_echo", package="zeroclaw:tools@1.0.0")
    tool = ["plugins", "test", str(directory), "--tool"]

    passed = run(config_file, *tool, "echo", "--payload", '{"a": 1}', "--json")
    failed = run(config_file, *tool, "nope", "--json")

    assert passed.exit_code == 0, passed.output
    report = json.loads(passed.stdout)
    assert (report["passed"], report["failed"]) == (1, 0)
    case = report["cases"][0]
    assert (case["kind"], case["target"], case["passed"]) == ("tool", "echo", True)
    assert '{"a": 1}' in " ".join(case["details"])
    assert case["error"] is None

    assert failed.exit_code == 1
    report = json.loads(failed.stdout)
    assert (report["passed"], report["failed"]) == (0, 1)
    assert "offers no tool 'nope'" in report["cases"][0]["error"]["message"]


def test_validate_a_directory_without_a_manifest(config_file: Path, tmp_path: Path) -> None:
    result = run(config_file, "plugins", "validate", str(tmp_path))

    assert result.exit_code == 1
    assert "has no plugin.toml" in result.output


def test_list_shows_each_plugin_with_its_state(make_plugin: MakePlugin, config_file: Path) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation",))
    make_plugin("future", "hook_guard", package="zeroclaw:hooks@2.0.0")
    make_plugin("echo", "tool_echo", package="zeroclaw:tools@1.0.0")

    result = run(config_file, "plugins", "list")

    assert result.exit_code == 0, result.output
    # stdout: the loader's log line about `future` goes to stderr.
    lines = result.stdout.splitlines()
    assert lines[0].startswith("echo  1.2.3  zeroclaw:tools@1.0.0  loaded  tools: echo")
    assert lines[1].startswith("future  1.2.3  zeroclaw:hooks@2.0.0  failed")
    assert lines[2] == "guard  1.2.3  zeroclaw:hooks@1.0.0  loaded  events: before_tool_call"


def test_list_and_info_as_json(make_plugin: MakePlugin, config_file: Path) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation", "kv"))
    make_plugin("future", "hook_guard", package="zeroclaw:hooks@2.0.0")
    make_plugin("echo", "tool_echo", package="zeroclaw:tools@1.0.0")

    listed = run(config_file, "plugins", "list", "--json")

    assert listed.exit_code == 0, listed.output
    shown = json.loads(listed.stdout)
    assert shown["enabled"] is True
    by_name = {p["name"]: p for p in shown["plugins"]}
    assert sorted(by_name) == ["echo", "future", "guard"]
    assert by_name["guard"]["state"] == "loaded"
    assert by_name["guard"]["provides"] == {"events": ["before_tool_call"]}
    assert by_name["echo"]["provides"]["tools"][0]["name"] == "echo"
    assert by_name["future"]["state"] == "failed"
    assert "zeroclaw:hooks@2.0.0" in by_name["future"]["error"]["message"]
    assert by_name["future"]["provides"] is None

    info = json.loads(run(config_file, "plugins", "info", "guard", "--json").stdout)
    assert info["grants"]["requested"] == ["hooks.conversation", "kv"]
    assert info["grants"]["granted"] == ["hooks.conversation"]
    assert info["grants"]["refused"] == [
        {"capability": "kv", "why": "not allowed by plugins.capabilities.allow"}
    ]
    assert info["limits"]["timeout_ms"] == 1000
    assert info["breaker"]["state"] == "closed"
    assert info["calls"]["calls"] == 0
    assert info["calls"]["inline_overruns"] == 0
    assert info["runs"] == "inline first"  # imports nothing, default 1000 ms limit

    unknown = run(config_file, "plugins", "info", "gaurd", "--json")
    assert unknown.exit_code == 1
    assert unknown.stdout == ""
    lines = [json.loads(line) for line in unknown.stderr.splitlines()]
    assert any("future" in line.get("log", {}).get("message", "") for line in lines)
    error = lines[-1]["error"]
    assert "no plugin named 'gaurd'" in error["message"]
    assert error["hint"] == "`zeroclaw plugins list` shows them"


def test_info_shows_requested_and_granted_limits_state_and_counters(
    make_plugin: MakePlugin, config_file: Path
) -> None:
    make_plugin(
        "guard",
        "hook_guard",
        capabilities=("hooks.conversation", "hooks.modify", "kv"),
        limits={"timeout_ms": 250, "memory_mb": 999},
    )

    result = run(config_file, "plugins", "info", "guard")

    assert result.exit_code == 0, result.output
    out = result.output
    assert "requested: hooks.conversation, hooks.modify, kv" in out
    assert "granted: hooks.conversation\n" in out
    assert "not granted: kv (not allowed by plugins.capabilities.allow)" in out
    assert "limits: timeout_ms 250, memory_mb 64, max_concurrency 4, fuel off" in out
    assert "memory_mb = 999 in plugin.toml is looser" in out
    assert "state: loaded" in out
    assert "breaker: closed (0 failures in a row, 0 trips)" in out
    assert "calls: 0 (ok 0" in out
    assert "runs: inline first (on the event loop's thread; " in out
    assert "inline overruns 0" in out


def test_info_of_an_unknown_plugin_names_the_known_ones(
    make_plugin: MakePlugin, config_file: Path
) -> None:
    make_plugin("guard", "hook_guard")

    result = run(config_file, "plugins", "info", "gaurd")

    assert result.exit_code == 1
    assert "no plugin named 'gaurd'" in result.output
    assert "found: guard" in result.output


def test_doctor_loads_every_plugin_and_fails_on_a_broken_one(
    make_plugin: MakePlugin, config_file: Path
) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation",))
    make_plugin("kv-user", "hook_kv", capabilities=("kv",))

    result = run(config_file, "doctor", "--offline")

    assert result.exit_code == 1
    assert "plugins: enabled, wasmtime" in result.output
    assert "plugin guard: 1.2.3 zeroclaw:hooks@1.0.0 loads" in result.output
    assert "plugin kv-user:" in result.output
    assert "zeroclaw:host/kv@1.0.0" in result.output


def test_doctor_says_which_native_parts_run_and_warns_of_a_fallback(
    make_plugin: MakePlugin, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation",))
    built = run(config_file, "doctor", "--offline").output
    native = conversion.NATIVE
    monkeypatch.setattr(conversion, "NATIVE", None)  # as where the extension was not built

    result = run(config_file, "doctor", "--offline")
    fallback = " ".join(result.output.split())  # rich wraps long lines

    assert "plugin native code: epoch ticker " in built
    assert ("call path native" in " ".join(built.split())) is (native is not None)
    assert "call path Python: plugin calls are slower" in fallback
    assert "apt install gcc python3-dev" in fallback
    assert result.exit_code == 0  # a warning: the fallbacks work


def test_doctor_checks_a_plugin_provider_named_by_the_config(
    make_plugin: MakePlugin, config_file: Path
) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation",))
    config_file.write_text(
        config_file.read_text().replace(
            "[plugins]", '[llm]\nprovider = "plugin:missing"\n[plugins]', 1
        )
    )

    result = run(config_file, "doctor", "--offline")

    assert result.exit_code == 1
    assert "provider plugin:missing: resolved from the provider plugins" in result.output
    assert "providers with plugins:" in result.output
    assert "'plugin:missing'" in result.output


def test_hooks_list_shows_a_plugins_own_timeout_and_the_runners_bound_apart(
    make_plugin: MakePlugin, config_file: Path
) -> None:
    # The plugin's limit is what a call may take (docs/hooks.md); the runner waits longer
    # on purpose (a slot, then the call), and says so rather than passing for the limit.
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation",))
    make_plugin(
        "quick", "hook_minimal", capabilities=("hooks.conversation",), limits={"timeout_ms": 200}
    )

    result = run(config_file, "hooks", "list")
    assert result.exit_code == 0, result.output
    assert "guard  priority 0, plugin:guard, timeout 1s (runner bound 2.25s), fail_open" in (
        result.output
    )
    assert "quick  priority 0, plugin:quick, timeout 0.2s (runner bound 0.65s)" in result.output

    shaped = run(config_file, "hooks", "list", "--json")
    handlers = {
        handler["name"]: handler
        for event in json.loads(shaped.stdout)["events"]
        for handler in event["handlers"]
    }
    assert handlers["guard"]["timeout_s"] == 1.0
    assert handlers["guard"]["runner_timeout_s"] == 2.25
    assert handlers["quick"]["timeout_s"] == 0.2


def test_plugins_list_and_info_json_have_the_documented_shapes(
    make_plugin: MakePlugin, config_file: Path
) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation",))
    for command, argv in (("plugins list", ["--json"]), ("plugins info", ["guard", "--json"])):
        result = run(config_file, *command.split(), *argv)
        assert result.exit_code == 0, result.output
        problems = shape_differences(documented_shape(command), json.loads(result.stdout))
        assert not problems, f"`zeroclaw {command} --json` differs from the docs: {problems}"
