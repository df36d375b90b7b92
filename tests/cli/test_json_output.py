"""`--json` on `tools list`, `hooks list` and `doctor`: parsed here, as a script would."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from zeroclaw.cli import app


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_tools_list_json_has_every_tool_with_owner_policy_and_schema() -> None:
    result = run("tools", "list", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    tools = {tool["name"]: tool for tool in shown["tools"]}
    assert {"file_read", "file_write", "shell", "memory_store"} <= set(tools)
    assert tools["file_read"]["owner"] == "native"
    assert tools["file_read"]["changes"] is False
    assert tools["file_write"]["changes"] is True
    assert tools["file_write"]["policy"] == "needs_approval"  # supervised
    assert tools["file_read"]["parameters"]["type"] == "object"
    assert shown["conflicts"] == []


def test_tools_list_json_follows_the_policy_from_the_environment() -> None:
    result = CliRunner().invoke(
        app, ["tools", "list", "--json"], env={"ZEROCLAW_TOOLS__AUTONOMY": "full"}
    )
    tools = {tool["name"]: tool for tool in json.loads(result.stdout)["tools"]}
    assert tools["file_write"]["policy"] == "allow"


def test_hooks_list_json_lists_handlers_per_event_in_order() -> None:
    result = run("hooks", "list", "--json")
    assert result.exit_code == 0, result.output
    events = {event["event"]: event for event in json.loads(result.stdout)["events"]}
    prompt = events["before_prompt_build"]
    assert prompt["kind"] == "modifying"
    handler = prompt["handlers"][0]
    assert set(handler) == {
        "name",
        "priority",
        "source",
        "timeout_s",
        "runner_timeout_s",
        "failure_policy",
        "stats",
    }
    assert handler["source"] == "native"
    assert handler["stats"] == {"calls": 0, "failures": 0, "timeouts": 0, "cancels": 0, "skips": 0}
    priorities = [h["priority"] for h in prompt["handlers"]]
    assert priorities == sorted(priorities, reverse=True)


def test_doctor_json_reports_each_check_and_fails_with_exit_1(tmp_path: Path) -> None:
    ok = run("doctor", "--offline", "--json")
    assert ok.exit_code == 0, ok.output
    shown = json.loads(ok.stdout)
    assert shown["ok"] is True
    assert {check["status"] for check in shown["checks"]} <= {"ok", "warn"}
    assert shown["checks"][0]["name"] == "config"

    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    bad = CliRunner().invoke(
        app,
        ["doctor", "--offline", "--json"],
        env={"ZEROCLAW_DATA_DIR": str(blocker / "data")},
    )
    assert bad.exit_code == 1
    failed = json.loads(bad.stdout)
    assert failed["ok"] is False
    assert any(check["status"] == "fail" for check in failed["checks"])


def test_a_failure_before_any_output_is_json_on_stderr(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    for command in (["tools", "list"], ["hooks", "list"], ["doctor", "--offline"]):
        result = run("--config", str(missing), *command, "--json")
        assert result.exit_code == 1, command
        assert result.stdout == ""
        error = json.loads(result.stderr)["error"]
        assert error["message"] == f"config file {missing} does not exist"
        assert "zeroclaw config init" in error["hint"]
