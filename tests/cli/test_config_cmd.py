"""`zeroclaw config init | show | validate | path`, driven through the real CLI app."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from zeroclaw.cli import app
from zeroclaw.config import Config, parse_config
from zeroclaw.config.loader import anchor_paths
from zeroclaw.config.template import render_template

OPENAI_KEY = "sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789QRST"


@pytest.fixture
def home(isolated_home: Path) -> Path:
    return isolated_home


@pytest.fixture
def default_path(home: Path) -> Path:
    return home / ".config" / "zeroclaw" / "config.toml"


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def flat(text: str) -> str:
    """Rich wraps long error lines to the console width; compare without the wrapping."""
    return " ".join(text.split())


# --- path -------------------------------------------------------------------------------


def test_path_defaults_to_the_platform_config_dir(default_path: Path) -> None:
    result = run("config", "path")
    assert result.exit_code == 0
    assert result.stdout == f"{default_path}\n"


def test_path_follows_the_environment_then_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEROCLAW_CONFIG", str(tmp_path / "env.toml"))
    assert run("config", "path").stdout == f"{tmp_path / 'env.toml'}\n"
    assert run("--config", str(tmp_path / "cli.toml"), "config", "path").stdout == (
        f"{tmp_path / 'cli.toml'}\n"
    )


# --- init -------------------------------------------------------------------------------


def test_init_writes_the_template_at_the_resolved_path(default_path: Path) -> None:
    result = run("config", "init")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {default_path}\n"
    text = default_path.read_text(encoding="utf-8")
    assert text == render_template()
    assert parse_config(text, source=default_path) == anchor_paths(Config(), default_path.parent)


def test_init_writes_where_config_points(tmp_path: Path) -> None:
    target = tmp_path / "cli.toml"
    assert run("--config", str(target), "config", "init").exit_code == 0
    assert target.read_text(encoding="utf-8") == render_template()


def test_init_path_option_wins(tmp_path: Path, default_path: Path) -> None:
    target = tmp_path / "sub" / "zc.toml"
    assert run("config", "init", "--path", str(target)).exit_code == 0
    assert target.exists()
    assert not default_path.exists()


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("agent.max_tool_iterations = 3\n", encoding="utf-8")

    result = run("config", "init", "--path", str(target))
    assert result.exit_code == 1
    assert "already exists" in flat(result.stderr)
    assert "--force" in result.stderr
    assert "Traceback" not in result.output
    assert target.read_text(encoding="utf-8") == "agent.max_tool_iterations = 3\n"

    assert run("config", "init", "--path", str(target), "--force").exit_code == 0
    assert target.read_text(encoding="utf-8") == render_template()


# --- validate ---------------------------------------------------------------------------


def test_validate_good_file(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[agent]\nmax_tool_iterations = 4\n", encoding="utf-8")
    result = run("config", "validate", str(good))
    assert result.exit_code == 0
    assert result.stdout == f"OK: {good}\n"


def test_validate_bad_file_lists_the_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('agent.max_tool_iterations = "lots"\nagent.bogus = 1\n', encoding="utf-8")
    result = run("config", "validate", str(bad))
    assert result.exit_code == 1
    assert result.stdout == ""
    errors = flat(result.stderr)
    assert f"error: {bad} has 2 invalid setting(s):" in errors
    assert '- `agent.max_tool_iterations`: expected integer, got "lots"' in errors
    assert "- `agent.bogus`: unknown key in [agent]" in errors
    assert "hint:" in errors
    assert "Traceback" not in result.output


def test_validate_bad_toml_syntax(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[agent\n", encoding="utf-8")
    result = run("config", "validate", str(bad))
    assert result.exit_code == 1
    assert f"{bad} is not valid TOML" in flat(result.stderr)


def test_validate_missing_named_file(tmp_path: Path) -> None:
    result = run("config", "validate", str(tmp_path / "nope.toml"))
    assert result.exit_code == 1
    assert "does not exist" in flat(result.stderr)
    assert "zeroclaw config init --path" in flat(result.stderr)


def test_validate_without_a_file_checks_the_resolved_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_path: Path
) -> None:
    result = run("config", "validate")
    assert result.exit_code == 0
    assert result.stdout == f"OK: no file at {default_path}; the defaults apply\n"

    bad = tmp_path / "bad.toml"
    bad.write_text("tools.autonomy = 'yolo'\n", encoding="utf-8")
    monkeypatch.setenv("ZEROCLAW_CONFIG", str(bad))
    result = run("config", "validate")
    assert result.exit_code == 1
    assert "`tools.autonomy`" in result.stderr


# --- show -------------------------------------------------------------------------------


def test_show_without_a_file_says_defaults(default_path: Path, home: Path) -> None:
    result = run("config", "show")
    assert result.exit_code == 0, result.output
    assert f"# source: defaults, no file at {default_path}\n" in result.stdout
    shown = tomllib.loads(result.stdout)
    data_dir = home / ".local" / "share" / "zeroclaw"
    assert shown["data_dir"] == str(data_dir)
    # Unset paths are shown where they resolve to, not left out.
    assert shown["tools"]["workspace"] == str(data_dir / "workspace")
    assert shown["memory"]["path"] == str(data_dir / "zeroclaw.db")
    assert shown["plugins"]["enabled"] is False


def test_show_names_the_file_and_reads_back_as_the_same_config(tmp_path: Path) -> None:
    conf = tmp_path / "config.toml"
    conf.write_text(
        'data_dir = "state"\n[agent]\nmax_tool_iterations = 3\n'
        '[llm.providers.local]\nkind = "openai"\nbase_url = "http://127.0.0.1:8080/v1"\n',
        encoding="utf-8",
    )
    result = run("--config", str(conf), "config", "show")
    assert result.exit_code == 0, result.output
    assert f"# source: {conf}\n" in result.stdout

    shown = parse_config(result.stdout, source=tmp_path / "elsewhere" / "x.toml")
    assert shown.data_dir == (tmp_path / "state").resolve()  # anchored, so absolute
    assert shown.agent.max_tool_iterations == 3
    assert shown.llm.providers["local"].base_url == "http://127.0.0.1:8080/v1"
    assert "openai" in shown.llm.providers


def test_show_masks_api_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "config.toml"
    conf.write_text(
        '[llm.providers.mine]\nkind = "openai"\napi_key_env = "MINE_API_KEY"\n', encoding="utf-8"
    )
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("MINE_API_KEY", "tiny-secret")
    result = run("--config", str(conf), "config", "show")
    assert result.exit_code == 0, result.output

    assert OPENAI_KEY[:-4] not in result.output
    assert "tiny-secret" not in result.output
    lines = {
        line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("#   ")
    }
    assert lines["openai"].endswith(f"OPENAI_API_KEY      …QRST ({len(OPENAI_KEY)} chars)")
    assert lines["anthropic"].endswith("ANTHROPIC_API_KEY   (not set)")
    assert lines["mine"].endswith("MINE_API_KEY        (set, 11 chars)")


def test_show_with_a_bad_file_is_a_clean_error(tmp_path: Path) -> None:
    conf = tmp_path / "config.toml"
    conf.write_text("plugins.limits.timeout_ms = 0\n", encoding="utf-8")
    result = run("--config", str(conf), "config", "show")
    assert result.exit_code == 1
    assert "`plugins.limits.timeout_ms`: expected a value >= 1, got 0" in flat(result.stderr)
    assert "Traceback" not in result.output
