"""The variables the config names (API keys, ZEROCLAW_DATABASE_URL, ZEROCLAW_GATEWAY_TOKEN,
the webhook secret, plugins' secrets) are read from the process environment, else from the
.env file beside the config: one lookup (`Config.env`, zeroclaw.named_env) for every reader.
The file belongs to the config it was found for: two configs in one process never see
each other's. A real .env file in a temp dir, loaded by the real config loader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zeroclaw.config import Config
from zeroclaw.config.api_keys import api_key_statuses
from zeroclaw.config.effective import load_effective
from zeroclaw.gateway.lifecycle.server import configured_authenticator
from zeroclaw.memory.location import InvalidDatabaseUrlError
from zeroclaw.named_env import NamedEnv
from zeroclaw.observability.redaction import REDACTED, Redactor
from zeroclaw.providers.base import MissingCredentialsError, read_api_key

KEY_IN_FILE = "sk-from-dotenv-0123456789abcd"
KEY_IN_ENV = "sk-from-environment-98765wxyz"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        '[llm.providers.mine]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key_env = "MINE_KEY"\nmodel = "m"\n',
        encoding="utf-8",
    )
    (path.parent / ".env").write_text(
        f"# secrets\nMINE_KEY={KEY_IN_FILE}\nexport ZEROCLAW_GATEWAY_TOKEN='zc_from_dotenv'\n"
        "UNRELATED=whatever\nBLANK=   \n",
        encoding="utf-8",
    )
    return path


def test_a_named_variable_comes_from_the_env_file_when_the_environment_lacks_it(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINE_KEY", raising=False)
    env = load_effective(config_file, {}).config.env
    found = env.lookup("MINE_KEY")
    assert found is not None
    assert found.value == KEY_IN_FILE
    assert found.origin == f".env file {config_file.parent / '.env'}"
    assert read_api_key("mine", "MINE_KEY", env) == KEY_IN_FILE
    assert env.getenv("ZEROCLAW_GATEWAY_TOKEN") == "zc_from_dotenv"  # quotes, `export`
    assert env.getenv("BLANK") is None
    # The file's values are not exported to the process (nor to what it starts).
    assert "MINE_KEY" not in os.environ
    # Nothing of the secret in a repr that may end up in a log.
    assert KEY_IN_FILE not in repr(found)
    assert KEY_IN_FILE not in repr(env)


def test_the_real_environment_wins_and_an_empty_variable_falls_through(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = load_effective(config_file, {}).config.env
    monkeypatch.setenv("MINE_KEY", KEY_IN_ENV)
    assert read_api_key("mine", "MINE_KEY", env) == KEY_IN_ENV
    found = env.lookup("MINE_KEY")
    assert found is not None
    assert found.origin == "the environment"
    monkeypatch.setenv("MINE_KEY", "  ")
    assert read_api_key("mine", "MINE_KEY", env) == KEY_IN_FILE


def test_without_an_env_file_a_missing_key_is_still_a_clear_error(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINE_KEY", raising=False)
    assert load_effective(config_file, {}).config.env.getenv("MINE_KEY") == KEY_IN_FILE
    # The same file loaded with the .env turned off has none of the file's values.
    env = load_effective(config_file, {"ZEROCLAW_ENV_FILE": ""}).config.env
    assert env.env_file is None
    with pytest.raises(MissingCredentialsError, match="MINE_KEY") as raised:
        read_api_key("mine", "MINE_KEY", env)
    assert ".env file" in (raised.value.hint or "")


def test_config_show_statuses_mask_the_key_and_say_where_it_came_from(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINE_KEY", raising=False)
    config = load_effective(config_file, {}).config
    (status,) = [s for s in api_key_statuses(config) if s.provider == "mine"]
    assert status.present
    assert status.masked == f"…abcd ({len(KEY_IN_FILE)} chars)"
    assert status.origin is not None
    assert status.origin.startswith(".env file ")


def test_the_gateway_accepts_the_token_of_the_env_file(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZEROCLAW_GATEWAY_TOKEN", raising=False)
    config = load_effective(config_file, {}).config
    authenticator = configured_authenticator(config)
    assert authenticator.verify("zc_from_dotenv") is not None
    assert authenticator.verify("zc_other") is None


def test_a_secret_from_the_env_file_is_redacted(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINE_KEY", raising=False)
    config = load_effective(config_file, {}).config
    redactor = Redactor(["MINE_KEY"], env=config.env)
    assert redactor.text(f"called with {KEY_IN_FILE}!") == f"called with {REDACTED}!"


def test_the_database_url_of_the_env_file_is_named_in_its_error(config_file: Path) -> None:
    (config_file.parent / ".env").write_text(
        "ZEROCLAW_DATABASE_URL=mysql://u:secretpw@db/x\n", encoding="utf-8"
    )
    config_file.write_text('[memory]\nbackend = "postgres"\n', encoding="utf-8")
    config = load_effective(config_file, {}).config
    with pytest.raises(InvalidDatabaseUrlError) as raised:
        config.memory_location({})
    message = raised.value.message
    assert "ZEROCLAW_DATABASE_URL in .env file" in message
    assert "secretpw" not in message + (raised.value.hint or "")


def test_two_configs_in_one_process_keep_their_own_env_files(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINE_KEY", raising=False)
    monkeypatch.delenv("ZEROCLAW_GATEWAY_TOKEN", raising=False)
    other_file = tmp_path / "other" / "config.toml"
    other_file.parent.mkdir()
    other_file.write_text(config_file.read_text(encoding="utf-8"), encoding="utf-8")
    (other_file.parent / ".env").write_text("MINE_KEY=sk-other-file-000000000000\n")

    first = load_effective(config_file, {}).config
    second = load_effective(other_file, {}).config  # loaded last: it changes nothing of first

    assert first.env.getenv("MINE_KEY") == KEY_IN_FILE
    assert second.env.getenv("MINE_KEY") == "sk-other-file-000000000000"
    # The gateway token is in the first file only: a replica of the second config does
    # not accept it.
    assert configured_authenticator(first).verify("zc_from_dotenv") is not None
    assert configured_authenticator(second).verify("zc_from_dotenv") is None
    # A config made in code reads the environment alone.
    assert Config().env == NamedEnv()
    assert Config().env.getenv("MINE_KEY") is None
