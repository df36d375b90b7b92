"""Settings from ZEROCLAW_ variables and a .env file over the config file: precedence,
errors that name the variable, and where each value came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from zeroclaw.config import ConfigError, load_config
from zeroclaw.config.effective import load_effective


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        '[llm]\nprovider = "openai"\nmodel = "from-file"\n\n[agent]\nmax_tool_iterations = 4\n',
        encoding="utf-8",
    )
    return path


def test_the_environment_overrides_the_file_and_nests_with_double_underscores(
    config_file: Path,
) -> None:
    environ = {
        "ZEROCLAW_LLM__MODEL": "from-env",
        "zeroclaw_agent__compaction__max_history_tokens": "9000",  # any case
        "ZEROCLAW_TOOLS__ALLOWED": '["shell", "file_read"]',
        "ZEROCLAW_PLUGINS__ENABLED": "yes",
        "ZEROCLAW_LLM__PROVIDERS__MINE__KIND": "openai",
    }
    effective = load_effective(config_file, environ)
    config = effective.config
    assert config.llm.model == "from-env"
    assert config.llm.provider == "openai"  # the file's, not overridden
    assert config.agent.max_tool_iterations == 4
    assert config.agent.compaction.max_history_tokens == 9000
    assert config.tools.allowed == ["shell", "file_read"]
    assert config.plugins.enabled is True
    assert config.llm.providers["mine"].kind == "openai"
    assert "openai" in config.llm.providers  # built-ins stay
    assert effective.origin(("llm", "model")).describe() == "ZEROCLAW_LLM__MODEL in the environment"
    assert effective.origin(("llm", "provider")).kind == "file"
    assert effective.origin(("llm", "retry", "max_attempts")).kind == "default"


def test_precedence_is_default_then_file_then_dotenv_then_environment(
    config_file: Path,
) -> None:
    (config_file.parent / ".env").write_text(
        "# comment\nZEROCLAW_LLM__MODEL=from-dotenv\nZEROCLAW_MEMORY__RECALL_LIMIT=7\n"
        "OPENAI_API_KEY=not-a-setting\n",
        encoding="utf-8",
    )
    effective = load_effective(config_file, {"ZEROCLAW_MEMORY__RECALL_LIMIT": "9"})
    assert effective.config.llm.model == "from-dotenv"
    assert effective.config.memory.recall_limit == 9
    assert effective.env_file == config_file.parent / ".env"
    origin = effective.origin(("llm", "model"))
    assert (origin.kind, origin.variable) == (".env", "ZEROCLAW_LLM__MODEL")
    assert effective.origin(("memory", "recall_limit")).kind == "environment"


def test_a_dotenv_in_the_working_directory_is_not_read(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "someone-elses-checkout"
    workdir.mkdir()
    (workdir / ".env").write_text("ZEROCLAW_TOOLS__AUTONOMY=full\n", encoding="utf-8")
    monkeypatch.chdir(workdir)
    assert load_effective(config_file, {}).config.tools.autonomy == "supervised"
    named = load_effective(config_file, {"ZEROCLAW_ENV_FILE": ".env"})
    assert named.config.tools.autonomy == "full"


def test_a_named_env_file_must_exist_and_empty_means_none(config_file: Path) -> None:
    (config_file.parent / ".env").write_text("ZEROCLAW_LLM__MODEL=x\n", encoding="utf-8")
    assert load_effective(config_file, {"ZEROCLAW_ENV_FILE": ""}).config.llm.model == "from-file"
    with pytest.raises(ConfigError, match=r"ZEROCLAW_ENV_FILE names .*missing\.env"):
        load_effective(config_file, {"ZEROCLAW_ENV_FILE": str(config_file.parent / "missing.env")})


def test_bad_values_are_reported_with_their_key_and_variable(config_file: Path) -> None:
    environ = {
        "ZEROCLAW_LLM__RETRY__MAX_ATTEMPTS": "lots",
        "ZEROCLAW_TOOLS__AUTONOMY": "yolo",
        "ZEROCLAW_LLM__PROVIDR": "x",
        "ZEROCLAW_LMM__PROVIDER": "x",
    }
    with pytest.raises(ConfigError) as caught:
        load_effective(config_file, environ)
    message = caught.value.message
    assert (
        '`llm.retry.max_attempts`: expected integer, got "lots" '
        "(from ZEROCLAW_LLM__RETRY__MAX_ATTEMPTS in the environment)" in message
    )
    assert '`tools.autonomy`: expected one of "read_only", "supervised" or "full"' in message
    assert "`llm.providr`: unknown key in [llm] (did you mean `provider`?)" in message
    assert "`lmm`: unknown key at the top level (did you mean `llm`?)" in message
    assert "(from ZEROCLAW_LMM__PROVIDER in the environment)" in message


def test_a_list_that_is_not_json_names_its_variable(config_file: Path) -> None:
    with pytest.raises(ConfigError, match=r"ZEROCLAW_PLUGINS__DIRS .*`plugins.dirs`.*not JSON"):
        load_effective(config_file, {"ZEROCLAW_PLUGINS__DIRS": "plugins"})


def test_other_zeroclaw_variables_and_empty_ones_are_left_alone(config_file: Path) -> None:
    environ = {
        "ZEROCLAW_CONFIG": str(config_file),
        "ZEROCLAW_GATEWAY_TOKEN": "secret-token",
        "ZEROCLAW_LLM__MODEL": "",
    }
    effective = load_effective(None, environ)
    assert effective.layers == ()
    assert effective.config.llm.model == "from-file"


def test_the_file_is_still_checked_strictly_on_its_own(config_file: Path) -> None:
    config_file.write_text('[agent]\nmax_tool_iterations = "8"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=str(config_file)):
        load_effective(config_file, {"ZEROCLAW_LLM__MODEL": "x"})


def test_load_config_reads_the_process_environment(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEROCLAW_AGENT__MAX_TOOL_ITERATIONS", "11")
    assert load_config(config_file).agent.max_tool_iterations == 11


def test_relative_paths_from_the_environment_are_anchored_at_the_config_dir(
    config_file: Path,
) -> None:
    config = load_effective(config_file, {"ZEROCLAW_DATA_DIR": "data"}).config
    assert config.data_dir == (config_file.parent / "data").resolve()
