"""`zeroclaw config set | get | unset` and `config show --sources | --json`, through the
real CLI app on real files."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from zeroclaw.cli import app
from zeroclaw.config.template import render_template

OPENAI_KEY = "sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789QRST"

COMMENTED = """\
# My config: keep this comment.
[llm]
provider = "offline"  # the offline one, on purpose

[agent]
# Be brief.
max_tool_iterations = 4
"""


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


def run(conf: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["--config", str(conf), *args], env=env)


def test_set_round_trips_keeping_comments_and_layout(conf: Path) -> None:
    result = run(conf, "config", "set", "agent.max_tool_iterations", "9")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"set agent.max_tool_iterations = 9 in {conf} (was 4)\n"
    assert conf.read_text(encoding="utf-8") == COMMENTED.replace(
        "max_tool_iterations = 4", "max_tool_iterations = 9"
    )
    assert run(conf, "config", "get", "agent.max_tool_iterations").stdout == "9\n"


def test_set_text_needs_no_quotes_and_new_tables_are_added(conf: Path) -> None:
    assert run(conf, "config", "set", "llm.model", "gpt-4o-mini").exit_code == 0
    assert run(conf, "config", "set", "llm.retry.max_attempts", "5").exit_code == 0
    assert run(conf, "config", "set", "tools.allowed", '["shell", "file_read"]').exit_code == 0
    text = conf.read_text(encoding="utf-8")
    assert text.startswith("# My config: keep this comment.\n")
    assert '# the offline one, on purpose\nmodel = "gpt-4o-mini"\n' in text
    data = tomllib.loads(text)
    assert data["llm"]["retry"] == {"max_attempts": 5}
    assert data["tools"]["allowed"] == ["shell", "file_read"]
    assert run(conf, "config", "get", "llm.model").stdout == "gpt-4o-mini\n"
    assert run(conf, "config", "get", "tools.allowed").stdout == '["shell", "file_read"]\n'


def test_an_invalid_value_changes_nothing_and_says_why(conf: Path) -> None:
    before = conf.read_bytes()
    for key, value, expected in [
        ("agent.max_tool_iterations", "lots", 'expected integer, got "lots"'),
        ("agent.max_tool_iterations", "1000", "expected a value <= 100, got 1000"),
        ("tools.autonomy", "yolo", 'expected one of "read_only", "supervised" or "full"'),
        ("agent.max_tool_iteration", "3", "did you mean `max_tool_iterations`?"),
    ]:
        result = run(conf, "config", "set", key, value)
        assert result.exit_code == 1, (key, result.output)
        assert expected in " ".join(result.stderr.split())
        assert "Traceback" not in result.output
    assert conf.read_bytes() == before


def test_a_table_or_a_new_named_entry_is_explained(conf: Path) -> None:
    result = run(conf, "config", "set", "llm.retry", "3")
    assert result.exit_code == 1
    assert "llm.retry is a table" in result.stderr
    result = run(conf, "config", "set", "llm.routes.fast.model", "m")
    assert result.exit_code == 1
    assert "set it whole, as an inline table" in " ".join(result.stderr.split())
    entry = '{provider = "openai", model = "gpt-4o-mini"}'
    assert run(conf, "config", "set", "llm.routes.fast", entry).exit_code == 0
    assert run(conf, "config", "get", "llm.routes.fast.provider").stdout == "openai\n"


def test_set_on_the_template_puts_the_key_below_its_example(tmp_path: Path) -> None:
    conf = tmp_path / "config.toml"
    conf.write_text(render_template(), encoding="utf-8")
    assert run(conf, "config", "set", "llm.model", "gpt-4o").exit_code == 0
    assert '\n# model = "gpt-4o-mini"\nmodel = "gpt-4o"\n' in conf.read_text(encoding="utf-8")
    assert run(conf, "config", "unset", "llm.model").exit_code == 0
    assert conf.read_text(encoding="utf-8") == render_template()


def test_set_creates_a_missing_file_and_keeps_an_existing_files_mode(tmp_path: Path) -> None:
    conf = tmp_path / "new" / "config.toml"
    result = run(conf, "config", "set", "gateway.port", "9000")
    assert result.exit_code == 0, result.output
    assert "(new file)" in result.stdout
    assert tomllib.loads(conf.read_text(encoding="utf-8")) == {"gateway": {"port": 9000}}
    os.chmod(conf, 0o600)
    assert run(conf, "config", "set", "gateway.port", "9001").exit_code == 0
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600


def test_unset_removes_the_key_and_empty_tables(conf: Path) -> None:
    result = run(conf, "config", "unset", "agent.max_tool_iterations")
    assert result.exit_code == 0, result.output
    assert "was 4" in result.stdout
    text = conf.read_text(encoding="utf-8")
    assert "max_tool_iterations" not in text
    assert "[agent]" not in text
    assert "# the offline one, on purpose" in text
    assert run(conf, "config", "get", "agent.max_tool_iterations").stdout == "8\n"  # default
    again = run(conf, "config", "unset", "agent.max_tool_iterations")
    assert again.exit_code == 0
    assert "not set in" in again.stdout


def test_get_an_unknown_key_suggests_the_closest(conf: Path) -> None:
    result = run(conf, "config", "get", "llm.modle")
    assert result.exit_code == 1
    assert "did you mean `model`?" in result.stderr


def test_get_shows_the_environment_and_set_says_when_it_overrides(conf: Path) -> None:
    env = {"ZEROCLAW_LLM__PROVIDER": "anthropic"}
    assert run(conf, "config", "get", "llm.provider", env=env).stdout == "anthropic\n"
    shown = json.loads(run(conf, "config", "get", "llm.provider", "--json", env=env).stdout)
    assert shown == {
        "key": "llm.provider",
        "value": "anthropic",
        "source": {"kind": "environment", "path": None, "variable": "ZEROCLAW_LLM__PROVIDER"},
    }
    result = run(conf, "config", "set", "llm.provider", "openai", env=env)
    assert result.exit_code == 0
    assert "ZEROCLAW_LLM__PROVIDER in the environment overrides" in result.stderr


def test_show_sources_names_each_values_origin_and_never_a_secret(conf: Path) -> None:
    (conf.parent / ".env").write_text("ZEROCLAW_MEMORY__RECALL_LIMIT=7\n", encoding="utf-8")
    env = {"ZEROCLAW_LLM__MODEL": "from-env", "OPENAI_API_KEY": OPENAI_KEY}
    result = run(conf, "config", "show", "--sources", env=env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert 'model = "from-env" # env ZEROCLAW_LLM__MODEL\n' in out
    assert "recall_limit = 7 # .env ZEROCLAW_MEMORY__RECALL_LIMIT\n" in out
    assert "max_tool_iterations = 4 # file\n" in out
    assert "history_messages = 200 # default\n" in out
    assert OPENAI_KEY not in result.output
    assert tomllib.loads(out)["llm"]["model"] == "from-env"  # still TOML

    shown = json.loads(run(conf, "config", "show", "--json", env=env).stdout)
    assert shown["file"] == str(conf)
    assert shown["env_file"] == str(conf.parent / ".env")
    assert shown["config"]["memory"]["recall_limit"] == 7
    assert shown["sources"]["llm.model"]["variable"] == "ZEROCLAW_LLM__MODEL"
    assert shown["sources"]["agent.max_tool_iterations"]["kind"] == "file"
    openai = next(key for key in shown["api_keys"] if key["provider"] == "openai")
    assert openai["set"] is True
    assert OPENAI_KEY not in json.dumps(shown)


def test_a_bad_environment_is_an_error_naming_the_variable(conf: Path) -> None:
    env = {"ZEROCLAW_GATEWAY__PORT": "eighty"}
    result = run(conf, "config", "show", env=env)
    assert result.exit_code == 1
    assert "ZEROCLAW_GATEWAY__PORT in the environment" in " ".join(result.stderr.split())
    as_json = run(conf, "config", "show", "--json", env=env)
    assert as_json.exit_code == 1
    assert as_json.stdout == ""
    error = json.loads(as_json.stderr)["error"]
    assert "`gateway.port`: expected integer" in error["message"]
    assert error["hint"]


# -- secrets are never echoed --------------------------------------------------------------

BEARER = "Bearer tok-Zyxwvutsrqponm-9876"
ENV_SECRET = "ghp-secret-Abcdefghij-4321"
SERVERS = (
    f'[{{name = "gh", transport = "streamable-http", url = "https://mcp.example/mcp", '
    f'headers = {{Authorization = "{BEARER}"}}}}, '
    f'{{name = "local", command = "server", env = {{GITHUB_TOKEN = "{ENV_SECRET}"}}}}]'
)


def assert_masked(output: str) -> None:
    assert BEARER not in output
    assert "tok-Zyxwvutsrqponm" not in output
    assert ENV_SECRET not in output
    assert "…9876 (" in output  # masked, not dropped: one can still tell it is set
    assert "…4321 (" in output


def test_set_get_unset_and_show_mask_mcp_headers_and_env_values(conf: Path) -> None:
    written = run(conf, "config", "set", "mcp.servers", SERVERS)
    assert written.exit_code == 0, written.output
    assert_masked(written.output)
    # the file itself holds the real values: only what is printed is masked
    servers = tomllib.loads(conf.read_text(encoding="utf-8"))["mcp"]["servers"]
    assert servers[0]["headers"]["Authorization"] == BEARER

    for command in (
        ("config", "get", "mcp.servers"),
        ("config", "get", "mcp.servers", "--json"),
        ("config", "get", "mcp"),
        ("config", "show"),
        ("config", "show", "--sources"),
        ("config", "show", "--json"),
    ):
        shown = run(conf, *command)
        assert shown.exit_code == 0, (command, shown.output)
        assert_masked(shown.output)

    replaced = run(conf, "config", "set", "mcp.servers", "[]")
    assert replaced.exit_code == 0, replaced.output
    assert_masked(replaced.output)  # the "(was ...)" part

    run(conf, "config", "set", "mcp.servers", SERVERS)
    removed = run(conf, "config", "unset", "mcp.servers")
    assert removed.exit_code == 0, removed.output
    assert "removed mcp.servers" in removed.output
    assert_masked(removed.output)


def test_secrets_from_the_environment_are_masked_too(conf: Path) -> None:
    servers = json.dumps(
        [
            {
                "name": "gh",
                "transport": "streamable-http",
                "url": "https://mcp.example/mcp",
                "headers": {"Authorization": BEARER},
            },
            {"name": "local", "command": "server", "env": {"GITHUB_TOKEN": ENV_SECRET}},
        ]
    )
    env = {"ZEROCLAW_MCP__SERVERS": servers}
    for command in (("config", "get", "mcp.servers"), ("config", "show", "--sources")):
        shown = run(conf, *command, env=env)
        assert shown.exit_code == 0, (command, shown.output)
        assert_masked(shown.output)


def test_set_and_unset_json_report_the_change_masked(conf: Path) -> None:
    written = run(
        conf,
        "config",
        "set",
        "agent.max_tool_iterations",
        "6",
        "--json",
        env={"ZEROCLAW_AGENT__MAX_TOOL_ITERATIONS": "9"},
    )
    assert written.exit_code == 0, written.output
    change = json.loads(written.stdout)
    assert change == {
        "key": "agent.max_tool_iterations",
        "file": str(conf),
        "created": False,
        "value": 6,
        "was": 4,
        "overridden_by": {
            "kind": "environment",
            "path": None,
            "variable": "ZEROCLAW_AGENT__MAX_TOOL_ITERATIONS",
        },
    }

    secret = json.loads(run(conf, "config", "set", "mcp.servers", SERVERS, "--json").stdout)
    assert secret["value"][0]["headers"]["Authorization"].startswith("…9876 (")
    assert_masked(json.dumps(secret, ensure_ascii=False))

    removed = json.loads(run(conf, "config", "unset", "mcp.servers", "--json").stdout)
    assert removed["removed"] is True
    assert removed["overridden_by"] is None
    assert_masked(json.dumps(removed, ensure_ascii=False))
    again = json.loads(run(conf, "config", "unset", "mcp.servers", "--json").stdout)
    assert (again["removed"], again["was"]) == (False, None)
