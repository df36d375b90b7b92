"""command_logger: every tool call of a real turn is logged, and no secret reaches the log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig
from zeroclaw.hooks import AfterToolCall, Event, HookRunner
from zeroclaw.hooks.builtin import AUDIT_LOGGER, REDACTED, CommandLogger, HookSetupError, Redactor
from zeroclaw.messages import ToolResult

# Shaped like nothing the patterns know: only the env-value net can catch it.
PROVIDER_KEY = "Plain7Looking9Value"
LOCAL_KEY = "zz-local-model-passphrase"


async def test_a_key_value_never_appears_in_the_log(
    config: Config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PROVIDER_KEY)
    monkeypatch.setenv("LOCAL_LLM_KEY", LOCAL_KEY)
    config.llm.providers = {"local": ProviderConfig(kind="openai", api_key_env="LOCAL_LLM_KEY")}
    config.hooks.command_logger.path = "audit/calls.jsonl"
    command = (
        f"echo {PROVIDER_KEY} {LOCAL_KEY} token=tok-12345678 "
        "sk-abcdefghijklmnopqrstuvwx Bearer eyAbCdEfGhIjKlMnOp"
    )
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        result = await runtime.agent.turn("s1", "/tool shell " + json.dumps({"command": command}))
    # The tool really ran and echoed every secret back to the model...
    assert PROVIDER_KEY in result.exchanges[0].result.output

    # ...but neither the file nor the logger has any of them.
    log_file = config.data_dir / "audit" / "calls.jsonl"
    lines = log_file.read_text().splitlines()
    assert len(lines) == 1
    logged = caplog.text + log_file.read_text()
    for secret in (PROVIDER_KEY, LOCAL_KEY, "tok-12345678", "sk-abcdefghij", "eyAbCdEfGhIjKlMnOp"):
        assert secret not in logged
    record = json.loads(lines[0])
    assert record["tool"] == "shell"
    assert record["session_id"] == "s1"
    assert record["success"] is True
    assert record["arguments"]["command"].startswith(f"echo {REDACTED} {REDACTED} token=")
    assert "Bearer " + REDACTED in record["output"]
    audit = [r for r in caplog.records if r.name == AUDIT_LOGGER]
    assert len(audit) == 1
    assert audit[0].getMessage() == f"tool_call {lines[0]}"


async def test_the_value_of_a_secret_key_is_redacted_whatever_it_looks_like() -> None:
    logger = CommandLogger(Redactor(), max_chars=500)
    call = AfterToolCall(
        "s1",
        "http_request",
        {
            "url": "https://api.example.com/x",
            "headers": {"Authorization": "x", "X-Api-Key": "short", "Accept": "json"},
            "password": "hunter2",
            "max_tokens": 256,
        },
        ToolResult.ok('{"client_secret": "shh it is secret", "ok": true}'),
        1.5,
    )
    record = logger.record(call)

    assert record["arguments"] == {
        "url": "https://api.example.com/x",
        "headers": {"Authorization": REDACTED, "X-Api-Key": REDACTED, "Accept": "json"},
        "password": REDACTED,
        "max_tokens": 256,  # a count, not a token
    }
    assert record["output"] == f'{{"client_secret": "{REDACTED}", "ok": true}}'


@pytest.mark.parametrize(
    "text",
    [
        "GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ",
        "aws AKIAABCDEFGHIJKLMNOP",
        "hmac 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "random Zx9QmW2rT8yLp4KvB7nH3jD6fG1sA5cE0uI",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
        "xoxb-1234567890-abcdefghij",
    ],
)
def test_strings_shaped_like_credentials_are_redacted(text: str) -> None:
    secret = text.split(maxsplit=1)[-1].rsplit("=", maxsplit=1)[-1]
    redacted = Redactor().text(text)
    assert secret not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    [
        "/home/User1/projects/some_long_directory_name_here/notes.txt",
        "test_config_reference_is_up_to_date_with_the_models",
        "max_tokens=4096 and the total of 12 files",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor().text(text) == text


async def test_long_output_is_cut_after_redaction(tmp_path: Path) -> None:
    runner = HookRunner()
    path = tmp_path / "log.jsonl"
    runner.register(CommandLogger(Redactor(), max_chars=64, path=path))
    output = "x" * 60 + " sk-abcdefghijklmnopqrstuvwx" + "y" * 500
    runner.emit(Event.ON_AFTER_TOOL_CALL, AfterToolCall("s", "t", {}, ToolResult.ok(output), 1.0))
    await runner.drain(2)

    record = json.loads(path.read_text())
    # The key straddled the cut: redacted first, it cannot leave a prefix behind.
    assert "sk-abc" not in record["output"]
    assert record["output"].startswith("x" * 60)
    assert record["output"].endswith("more chars]")
    assert len(record["output"]) < 100


def test_an_unwritable_log_path_is_an_error_naming_the_key(config: Config) -> None:
    (config.data_dir / "taken").write_text("a file, not a directory")
    config.hooks.command_logger.path = "taken/calls.jsonl"

    with pytest.raises(HookSetupError) as caught:
        AgentRuntime.from_config(config, approver=AllowApprover())
    assert caught.value.key == "hooks.command_logger.path"
    assert "taken/calls.jsonl" in caught.value.message


def test_disabled_command_logger_is_not_registered(config: Config) -> None:
    config.hooks.command_logger.enabled = False
    runtime = AgentRuntime.from_config(config, approver=AllowApprover())
    try:
        assert "command_logger" not in [r.spec.name for r in runtime.live_hooks().handlers()]
    finally:
        runtime.close()
