"""The audit log on a real runtime and a real file: every tool call writes its line with
its owner and approval decision, no secret reaches the file, the file rotates by size
with a bounded number of old files, an unwritable path stops start-up with one clear
line, a full disk loses lines without breaking a turn, and the old [hooks.command_logger]
keys still work."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from storage_faults import SmallDisk
from zeroclaw.agent import AgentRuntime, AllowApprover, DenyApprover
from zeroclaw.cli import app
from zeroclaw.config import Config, parse_config
from zeroclaw.config.models import McpServerConfig, ProviderConfig
from zeroclaw.diagnostics import Check, run_checks
from zeroclaw.hooks import Event
from zeroclaw.hooks.function import hook
from zeroclaw.messages import ToolCall, ToolResult
from zeroclaw.observability import (
    AUDIT_LOGGER,
    REDACTED,
    AuditLog,
    AuditLogError,
    Redactor,
    ToolCallFinished,
)

# Shaped like nothing the patterns know: only the by-value nets can catch them.
PROVIDER_KEY = "Plain7Looking9Value"
LOCAL_KEY = "zz-local-model-passphrase"
MCP_ENV_VALUE = "mcp-env-value-plain"
MCP_HEADER_TOKEN = "plainheadertoken"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.observability.backend = "noop"
    config.workspace.mkdir(parents=True)
    return config


def audit_lines(config: Config) -> list[dict[str, Any]]:
    return [json.loads(line) for line in config.audit_path.read_text().splitlines()]


def of_kind(lines: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["event"] == kind]


class Person:
    """An approver someone answers (a terminal): yes to every call."""

    can_ask = True
    in_advance = False

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def approve(self, call: ToolCall, reason: str) -> bool:
        self.asked.append(call.name)
        return True


# -- tool calls ---------------------------------------------------------------------------


async def test_every_tool_call_of_a_turn_writes_its_owner_and_approval(config: Config) -> None:
    config.tools.autonomy = "supervised"
    (config.workspace / "notes.txt").write_text("hello")
    person = Person()

    async with AgentRuntime.from_config(config, approver=person) as runtime:
        await runtime.agent.turn("s1", '/tool file_read {"path": "notes.txt"}')
        await runtime.agent.turn("s1", '/tool file_write {"path": "out.txt", "content": "x"}')

    calls = of_kind(audit_lines(config), "tool_call_finished")
    assert [(c["tool"], c["owner"], c["approval"], c["outcome"]) for c in calls] == [
        ("file_read", "native", "not_needed", "success"),
        ("file_write", "native", "approved", "success"),
    ]
    assert person.asked == ["file_write"]
    assert calls[0]["session_id"] == "s1"
    assert calls[0]["arguments"] == {"path": "notes.txt"}
    assert calls[0]["result"]["output"] == "hello"


async def test_a_refused_call_writes_why(config: Config) -> None:
    config.tools.autonomy = "supervised"

    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        await runtime.agent.turn("s1", '/tool file_write {"path": "out.txt", "content": "x"}')
        await runtime.agent.turn("s1", '/tool nonexistent {"x": 1}')

    write, unknown = of_kind(audit_lines(config), "tool_call_finished")
    assert (write["approval"], write["outcome"]) == ("unavailable", "blocked")
    assert write["blocked_by"]
    assert not (config.workspace / "out.txt").exists()
    assert unknown["owner"] is None
    assert unknown["outcome"] != "success"


async def test_a_call_outside_a_turn_is_audited_too(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await runtime.call_tool("cli", ToolCall("c1", "file_list", {}), origin="cli")

    (call,) = of_kind(audit_lines(config), "tool_call_finished")
    assert (call["tool"], call["turn_id"], call["owner"]) == ("file_list", "cli", "native")


def test_zeroclaw_tools_call_writes_its_line(config: Config, tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'data_dir = "{config.data_dir}"\n[tools]\nautonomy = "full"\n')
    (config.workspace / "a.txt").write_text("from the cli")

    done = CliRunner().invoke(
        app, ["-c", str(config_file), "tools", "call", "file_read", "--args", '{"path": "a.txt"}']
    )

    assert done.exit_code == 0, done.output
    (call,) = of_kind(audit_lines(config), "tool_call_finished")
    assert (call["tool"], call["owner"], call["result"]["output"]) == (
        "file_read",
        "native",
        "from the cli",
    )


# -- redaction ----------------------------------------------------------------------------


async def test_no_secret_reaches_the_file_or_the_audit_logger(
    config: Config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PROVIDER_KEY)
    monkeypatch.setenv("LOCAL_LLM_KEY", LOCAL_KEY)
    config.llm.providers = {"local": ProviderConfig(kind="openai", api_key_env="LOCAL_LLM_KEY")}
    # Configured but not enabled: its secrets are known to the redactor all the same.
    config.mcp.servers = [
        McpServerConfig(name="a", command="true", env={"K": MCP_ENV_VALUE}, enabled=False),
        McpServerConfig(
            name="b",
            transport="streamable-http",
            url="http://127.0.0.1:9/mcp",
            headers={"Authorization": f"Bearer {MCP_HEADER_TOKEN}"},
            enabled=False,
        ),
    ]
    secrets = (
        PROVIDER_KEY,
        LOCAL_KEY,
        MCP_ENV_VALUE,
        MCP_HEADER_TOKEN,
        "tok-12345678",
        "sk-abcdefghij",
        "eyAbCdEfGhIjKlMnOp",
    )
    command = (
        f"echo {PROVIDER_KEY} {LOCAL_KEY} {MCP_ENV_VALUE} {MCP_HEADER_TOKEN} token=tok-12345678 "
        "sk-abcdefghijklmnopqrstuvwx Bearer eyAbCdEfGhIjKlMnOp"
    )
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        result = await runtime.agent.turn("s1", "/tool shell " + json.dumps({"command": command}))
    # The tool really ran and echoed every secret back to the model...
    assert PROVIDER_KEY in result.exchanges[0].result.output

    # ...but neither the file nor the logger has any of them.
    text = config.audit_path.read_text()
    for secret in secrets:
        assert secret not in text
        assert secret not in caplog.text
    (call,) = of_kind(audit_lines(config), "tool_call_finished")
    assert call["arguments"]["command"].startswith(f"echo {REDACTED} {REDACTED} {REDACTED}")
    assert "Bearer " + REDACTED in call["result"]["output"]
    audit = [r for r in caplog.records if r.name == AUDIT_LOGGER]
    assert [r.getMessage() for r in audit] == [f"tool_call_finished {text.strip()}"]


def test_the_value_of_a_secret_key_is_redacted_whatever_it_looks_like(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "a.jsonl", Redactor(), max_bytes=1 << 20, backups=1, max_chars=500)
    event = finished(
        "http_request",
        {
            "url": "https://api.example.com/x",
            "headers": {"Authorization": "x", "X-Api-Key": "short", "Accept": "json"},
            "password": "hunter2",
            "max_tokens": 256,
        },
        ToolResult.ok('{"client_secret": "shh it is secret", "ok": true}'),
    )
    line = json.loads(audit.line(event))
    audit.close()

    assert line["arguments"] == {
        "url": "https://api.example.com/x",
        "headers": {"Authorization": REDACTED, "X-Api-Key": REDACTED, "Accept": "json"},
        "password": REDACTED,
        "max_tokens": 256,  # a count, not a token
    }
    assert line["result"]["output"] == f'{{"client_secret": "{REDACTED}", "ok": true}}'


def test_long_text_is_redacted_where_it_is_cut(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "a.jsonl", Redactor(), max_bytes=1 << 20, backups=1, max_chars=64)
    output = "x" * 60 + " sk-abcdefghijklmnopqrstuvwx" + "y" * 500
    line = json.loads(audit.line(finished("t", {}, ToolResult.ok(output))))
    audit.close()

    # The key straddled the cut: redacted first, it cannot leave a prefix behind.
    assert "sk-abc" not in line["result"]["output"]
    assert line["result"]["output"].startswith("x" * 60)
    assert line["result"]["output"].endswith("more chars]")


def test_a_megabyte_of_hostile_tool_output_makes_a_cut_redacted_line(tmp_path: Path) -> None:
    # A run the former key-name pattern scanned from each of its positions (hours at this
    # size), then a secret: the line is written, cut, and the secret is not in it.
    audit = AuditLog(tmp_path / "a.jsonl", Redactor(), max_bytes=1 << 20, backups=1, max_chars=64)
    output = "token=hunter22 " + "a-" * 500_000
    line = json.loads(audit.line(finished("t", {}, ToolResult.ok(output))))
    audit.close()

    # Only the start is redacted; the window's end falls in the run, dropped whole.
    assert line["result"]["output"].startswith(f"token={REDACTED} …")
    assert "hunter22" not in line["result"]["output"]
    assert line["result"]["output"].endswith("more chars]")


# -- rotation -----------------------------------------------------------------------------


def test_the_file_rotates_by_size_and_keeps_a_bounded_number_of_old_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit" / "audit.jsonl"
    audit = AuditLog(path, Redactor(), max_bytes=2048, backups=2, max_chars=2000)
    for index in range(100):
        audit.record(finished("t", {"n": index, "pad": "p" * 100}, ToolResult.ok("ok")))
    audit.close()

    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    numbers: list[int] = []
    for name in ("audit.jsonl.2", "audit.jsonl.1", "audit.jsonl"):
        file = path.parent / name
        assert file.stat().st_size <= 2048
        numbers += [json.loads(line)["arguments"]["n"] for line in file.read_text().splitlines()]
    # Oldest to newest, whole lines only, the newest last; what rotated out is gone.
    assert numbers == list(range(100 - len(numbers), 100))
    assert 0 < len(numbers) < 100


# -- failures -----------------------------------------------------------------------------


def test_an_unwritable_path_stops_start_up_naming_the_key(config: Config) -> None:
    (config.data_dir / "taken").write_text("a file, not a directory")
    config.audit.path = "taken/audit.jsonl"

    with pytest.raises(AuditLogError) as caught:
        AgentRuntime.from_config(config, approver=AllowApprover())
    assert "taken/audit.jsonl" in caught.value.message
    assert "audit.path" in (caught.value.hint or "")


def test_the_cli_reports_an_unwritable_path_in_one_line(config: Config, tmp_path: Path) -> None:
    (config.data_dir / "taken").write_text("a file, not a directory")
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'data_dir = "{config.data_dir}"\n[audit]\npath = "taken/a.jsonl"\n')

    done = CliRunner().invoke(app, ["-c", str(config_file), "tools", "call", "file_list"])

    assert done.exit_code == 1
    assert "cannot write the audit log" in done.output
    assert "Traceback" not in done.output


async def test_a_full_disk_loses_lines_but_never_a_turn(
    config: Config, small_disk: SmallDisk, caplog: pytest.LogCaptureFixture
) -> None:
    config.audit.path = str(small_disk.path / "audit.jsonl")
    (config.workspace / "notes.txt").write_text("hello")
    read = '/tool file_read {"path": "notes.txt"}'

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        small_disk.fill()
        full = await runtime.agent.turn("s1", read)
        small_disk.free()
        again = await runtime.agent.turn("s1", read)
        assert runtime.audit is not None
        failures = runtime.audit.failures

    assert full.exchanges[0].result.output == again.exchanges[0].result.output == "hello"
    assert failures >= 1
    assert "cannot be written" in caplog.text
    assert "is written again" in caplog.text
    # The line of the call after the disk had room again is whole and readable.
    assert of_kind(audit_lines(config), "tool_call_finished")[-1]["result"]["output"] == "hello"


def test_audit_off_writes_nothing(config: Config) -> None:
    config.audit.enabled = False
    runtime = AgentRuntime.from_config(config, approver=AllowApprover())
    runtime.close()

    assert runtime.audit is None
    assert not config.audit_path.exists()


# -- the old command_logger keys ----------------------------------------------------------


def test_command_logger_keys_stand_for_the_audit_keys() -> None:
    old = parse(
        '[hooks.command_logger]\nenabled = true\npath = "old/calls.jsonl"\nmax_chars = 300\n'
    )
    assert (old.audit.enabled, old.audit.path, old.audit.max_chars) == (
        True,
        "old/calls.jsonl",
        300,
    )
    both = parse('[hooks.command_logger]\npath = "old/calls.jsonl"\n[audit]\npath = "new.jsonl"\n')
    assert both.audit.path == "new.jsonl"
    assert not parse("[hooks.command_logger]\nenabled = false\n").audit.enabled


def parse(text: str) -> Config:
    return parse_config(text, source=Path("config.toml"))


def finished(tool: str, arguments: dict[str, Any], result: ToolResult) -> ToolCallFinished:
    return ToolCallFinished("s", "t", "c", tool, arguments, result, 1.0, owner="native")


# -- hooks and the doctor ---------------------------------------------------------------------


async def test_a_skipped_fail_open_hook_is_audited(config: Config) -> None:
    @hook(Event.BEFORE_TOOL_CALL, name="flaky_guard", failure_policy="fail_open")
    def flaky_guard(payload: object) -> None:
        raise RuntimeError("the guard broke")

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        runtime.hooks.register(flaky_guard)
        await runtime.call_tool("cli", ToolCall("c1", "file_list", {}), origin="cli")

    (skipped,) = of_kind(audit_lines(config), "hook_skipped")
    assert (skipped["handler"], skipped["source"], skipped["hook_event"]) == (
        "flaky_guard",
        "native",
        "before_tool_call",
    )
    assert "the guard broke" in skipped["cause"]
    # the call went on without the guard, and says so in its own line
    (call,) = of_kind(audit_lines(config), "tool_call_finished")
    assert call["outcome"] == "success"


def test_the_doctor_checks_that_the_audit_path_is_writable(config: Config) -> None:
    assert _audit_check(config).status == "ok"
    (config.data_dir / "taken").write_text("a file, not a directory")
    config.audit.path = "taken/audit.jsonl"

    check = _audit_check(config)
    assert check.status == "fail"
    assert "cannot write the audit log" in check.detail
    assert "audit.path" in check.detail

    config.audit.enabled = False
    assert _audit_check(config).status == "ok"


def test_zeroclaw_doctor_fails_on_an_unwritable_audit_path(config: Config, tmp_path: Path) -> None:
    (config.data_dir / "taken").write_text("a file, not a directory")
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'data_dir = "{config.data_dir}"\n[audit]\npath = "taken/a.jsonl"\n')

    done = CliRunner().invoke(app, ["-c", str(config_file), "doctor", "--offline"])

    assert done.exit_code == 1
    assert "audit log: cannot write the audit log" in done.output
    assert "Traceback" not in done.output


def _audit_check(config: Config) -> Check:
    (check,) = [c for c in run_checks(config, source="test") if c.name == "audit log"]
    return check
