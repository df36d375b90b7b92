"""`zeroclaw hooks list` and `zeroclaw hooks explain`, driven through the real CLI app on
a real config file: they show what AgentRuntime.from_config registers."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from zeroclaw.cli import app


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('data_dir = "data"\n')
    (tmp_path / "data").mkdir()
    return path


def with_boot_script(config_file: Path, script: str) -> None:
    (config_file.parent / "data" / "boot.md").write_text(script)
    config_file.write_text('data_dir = "data"\n[hooks.boot_script]\npath = "boot.md"\n')


def run(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", str(config_file), *args])


PROMPT = {
    "session_id": "s1",
    "channel": "terminal",
    "system_prompt": "You are ZeroClaw.",
    "context": [],
}


def test_list_shows_every_builtin_per_event_in_dispatch_order(config_file: Path) -> None:
    with_boot_script(config_file, "Be brief.\n")
    result = run(config_file, "hooks", "list")

    assert result.exit_code == 0, result.output
    out = result.output
    section = out[out.index("before_prompt_build (modifying)") :]
    assert re.search(r"1\. boot_script +priority 100, native, timeout 5s, fail_open", section)
    assert re.search(r"2\. session_memory +priority 50, native, timeout 120s, fail_open", section)
    assert "calls 0, failures 0, timeouts 0, cancels 0" in section
    assert "command_logger" not in out  # the audit log, an observer, writes tool calls
    assert re.search(r"on_session_end \(void\)\n +1\. session_memory", out)
    assert "webhook_audit" not in out


def test_list_reflects_the_config(config_file: Path) -> None:
    config_file.write_text('data_dir = "data"\n[hooks.session_memory]\nenabled = false\n')
    result = run(config_file, "hooks", "list")
    assert result.exit_code == 0, result.output
    assert "No hook handlers are registered." in result.output


def test_explain_runs_the_chain_and_shows_each_change(config_file: Path) -> None:
    with_boot_script(config_file, "Today is $date, on $channel.\n!echo from-a-command\n")
    result = run(
        config_file, "hooks", "explain", "before_prompt_build", "--payload", json.dumps(PROMPT)
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "before_prompt_build: 2 handler(s) ran"
    assert lines[1] == "chain: every handler ran to the end of the chain"
    assert re.match(
        r"  1\. boot_script \[native, priority 100, fail_open\] continue in [\d.]+ ms", lines[2]
    )
    assert "     system_prompt:" in lines
    assert f"       +Today is {date.today().isoformat()}, on terminal." in lines
    assert "       +from-a-command" in lines
    assert "        You are ZeroClaw." in lines  # unchanged context line of the diff
    second = next(line for line in lines if line.startswith("  2."))
    assert second.startswith("  2. session_memory [native, priority 50, fail_open] continue")
    assert lines[-1] == "     (no change)"


def test_explain_shows_a_refused_command_and_does_not_run_it(config_file: Path) -> None:
    with_boot_script(config_file, "!touch proof.txt\n")
    result = run(
        config_file, "hooks", "explain", "before_prompt_build", "--payload", json.dumps(PROMPT)
    )

    assert result.exit_code == 0, result.output
    assert "+[boot_script: `touch proof.txt` was not run" in result.output
    assert not (config_file.parent / "data" / "workspace" / "proof.txt").exists()


def test_explain_names_every_missing_and_wrong_field(config_file: Path) -> None:
    payload = {"session_id": 7, "context": "one", "extra": True}
    result = run(config_file, "hooks", "explain", "before_prompt_build", "-p", json.dumps(payload))

    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "not a PromptBuild for before_prompt_build" in out
    assert "unknown field `extra`" in out
    assert "field `session_id`: Input should be a valid string" in out
    assert "missing field `channel`" in out
    assert "missing field `system_prompt`" in out
    assert "field `context`: Input should be a valid list" in out
    assert "user_id" not in out.split("hint:")[0]  # may be null, so it may be left out
    assert "hint: PromptBuild fields: session_id (str), channel (str)" in out
    assert "Traceback" not in result.output


def test_explain_builds_nested_payloads(config_file: Path) -> None:
    payload = {
        "session_id": "s1",
        "tool": "shell",
        "call_id": "c1",
        "result": {"success": True, "output": "ok"},
    }
    result = run(config_file, "hooks", "explain", "tool_result_persist", "-p", json.dumps(payload))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "tool_result_persist: 0 handler(s) ran",
        "chain: no handlers",
    ]


@pytest.mark.parametrize(
    ("event", "payload", "message"),
    [
        ("before_everything", "{}", "unknown hook event 'before_everything'"),
        ("on_session_end", "{}", "on_session_end is a void event"),
        ("before_llm_call", "[1, 2]", "--payload must be a JSON object"),
        ("before_llm_call", "{not json", "--payload is not valid JSON"),
    ],
)
def test_explain_errors_say_what_to_do(
    config_file: Path, event: str, payload: str, message: str
) -> None:
    result = run(config_file, "hooks", "explain", event, "--payload", payload)

    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert message in out
    assert "hint:" in out
    if "event" in message:
        assert "before_prompt_build" in out  # the events to choose from are listed


def test_a_bad_builtin_setup_is_a_clean_error(config_file: Path) -> None:
    config_file.write_text('data_dir = "data"\n[hooks.boot_script]\npath = "missing.md"\n')
    result = run(config_file, "hooks", "list")

    assert result.exit_code == 1
    assert "hooks.boot_script.path" in result.output
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_the_documented_default_explain_is_what_a_default_config_prints(
    config_file: Path,
) -> None:
    # docs/hooks.md shows `hooks explain` on a default config: it must stay that output.
    docs = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
    text = docs.read_text(encoding="utf-8")
    command = "$ zeroclaw hooks explain before_prompt_build -p '"
    start = text.index(command)
    example = text[start : text.index("```", start)].splitlines()
    payload = example[0][len(command) : -1]
    result = run(config_file, "hooks", "explain", "before_prompt_build", "-p", payload)
    assert result.exit_code == 0, result.output

    def without_durations(lines: list[str]) -> list[str]:
        return [re.sub(r"in [0-9.]+ ms", "in N ms", line) for line in lines]

    assert without_durations(result.output.splitlines()) == without_durations(example[1:])
