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


# -- the commands that report: config, hooks explain, tools call, memory -----------------------


def configured(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'data_dir = "data"\n{text}')
    return path


def test_config_path_and_validate_json(tmp_path: Path) -> None:
    path = configured(tmp_path)
    where = json.loads(run("--config", str(path), "config", "path", "--json").stdout)
    assert where == {"path": str(path), "named": True, "exists": True}

    result = CliRunner().invoke(
        app,
        ["--config", str(path), "config", "validate", "--json"],
        env={"ZEROCLAW_LLM__MODEL": "m"},
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["ok"] is True
    assert shown["file"] == str(path)
    assert shown["file_exists"] is True
    assert {"origin": "the environment", "variables": ["ZEROCLAW_LLM__MODEL"]} in shown["layers"]

    path.write_text('[agent]\nmax_tool_iterations = "lots"\n')
    bad = run("--config", str(path), "config", "validate", "--json")
    assert bad.exit_code == 1
    assert bad.stdout == ""
    assert "`agent.max_tool_iterations`" in json.loads(bad.stderr)["error"]["message"]


def test_hooks_explain_json_has_each_step_and_its_changes(tmp_path: Path) -> None:
    path = configured(tmp_path, '[hooks.boot_script]\npath = "boot.md"\n')
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "boot.md").write_text("Be brief.\n")
    payload = {"session_id": "s1", "channel": "terminal", "system_prompt": "Hi.", "context": []}

    result = run(
        "--config",
        str(path),
        "hooks",
        "explain",
        "before_prompt_build",
        "-p",
        json.dumps(payload),
        "--json",
    )

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["event"] == "before_prompt_build"
    assert shown["stopped_by"] is None
    first = shown["steps"][0]
    assert set(first) == {
        "handler",
        "source",
        "priority",
        "failure_policy",
        "outcome",
        "duration_ms",
        "detail",
        "changes",
    }
    assert first["handler"] == "boot_script"
    assert first["outcome"] == "continue"
    assert "Be brief." in json.dumps(first["changes"])
    assert all(set(change) == {"before", "after"} for change in first["changes"].values())
    assert first["changes"]


def test_tools_call_json_and_a_failed_call_as_json_on_stderr(tmp_path: Path) -> None:
    path = configured(tmp_path, '[tools]\nautonomy = "full"\n')
    wrote = run(
        "--config",
        str(path),
        "tools",
        "call",
        "file_write",
        "--args",
        '{"path": "a.txt", "content": "42"}',
        "--json",
    )
    assert wrote.exit_code == 0, wrote.output
    shown = json.loads(wrote.stdout)
    assert shown["tool"] == "file_write"
    assert shown["success"] is True
    assert isinstance(shown["output"], str)

    missing = run(
        "--config", str(path), "tools", "call", "file_read", "--args", '{"path": "no"}', "--json"
    )
    assert missing.exit_code == 1
    assert missing.stdout == ""
    assert json.loads(missing.stderr)["error"]["message"]


def test_memory_migrate_export_import_json(tmp_path: Path) -> None:
    path = configured(tmp_path, '[tools]\nautonomy = "full"\n')
    assert run("--config", str(path), "agent", "-m", "hello").exit_code == 0
    db = tmp_path / "data" / "zeroclaw.db"

    migrated = json.loads(run("--config", str(path), "memory", "migrate", "--json").stdout)
    assert migrated["database"].endswith("zeroclaw.db")
    assert isinstance(migrated["revision"], str)
    assert isinstance(migrated["schema_version"], int)

    export = tmp_path / "memory.jsonl"
    exported = run("--config", str(path), "memory", "export", "-o", str(export), "--json")
    assert exported.exit_code == 0, exported.output
    counts = json.loads(exported.stdout)
    assert counts["file"] == str(export)
    assert counts["rows"]["sessions"] == 1
    assert counts["rows"]["messages"] == 2

    other = tmp_path / "other.db"
    imported = run(
        "--config", str(path), "memory", "import", str(export), "--db", str(other), "--json"
    )
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["rows"] == counts["rows"]
    assert db.exists()

    to_stdout = run("--config", str(path), "memory", "export", "--json")
    assert to_stdout.exit_code == 1
    assert to_stdout.stdout == ""
    assert "--json needs --output" in json.loads(to_stdout.stderr)["error"]["message"]
