"""The variables the config names, read from a real .env file beside the config by the
real CLI (`python -m zeroclaw` in a subprocess, as a user runs it): a provider's API key
(config show, doctor), and ZEROCLAW_GATEWAY_TOKEN (a real gateway accepting it, and the
client commands sending it). The real environment wins; a secret is never printed whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from gateway_processes import gateway_output, gateway_processes

KEY = "sk-from-dotenv-0123456789abcd"
ENV_KEY = "sk-from-the-environment-9876wxyz"
TOKEN = "zc_token_from_dotenv_0123456789"


def zeroclaw(config: Path, *args: str, env: dict[str, str] | None = None) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("MINE_KEY",)}
    environ.pop("ZEROCLAW_GATEWAY_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "zeroclaw", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**environ, "COLUMNS": "300", **(env or {})},
    )
    return result.stdout + result.stderr


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        'data_dir = "data"\n\n[llm]\nprovider = "mine"\n\n[llm.providers.mine]\n'
        'kind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "MINE_KEY"\n'
        'model = "m"\n\n[gateway]\npairing = false\n',
        encoding="utf-8",
    )
    (path.parent / ".env").write_text(
        f"MINE_KEY={KEY}\nZEROCLAW_GATEWAY_TOKEN={TOKEN}\n", encoding="utf-8"
    )
    return path


def test_config_show_reads_the_api_key_from_the_env_file_masked(config: Path) -> None:
    shown = zeroclaw(config, "config", "show")
    (line,) = [line for line in shown.splitlines() if line.startswith("#   mine ")]
    assert f"…abcd ({len(KEY)} chars)" in line
    assert f"from .env file {config.parent / '.env'}" in line
    assert KEY not in shown
    # The real environment wins over the file.
    shown = zeroclaw(config, "config", "show", env={"MINE_KEY": ENV_KEY})
    (line,) = [line for line in shown.splitlines() if line.startswith("#   mine ")]
    assert f"…wxyz ({len(ENV_KEY)} chars)" in line
    assert ".env file" not in line
    assert ENV_KEY not in shown


def test_doctor_finds_the_key_in_the_env_file_and_misses_it_without(config: Path) -> None:
    with_file = zeroclaw(config, "doctor")
    assert "provider mine" in with_file
    assert "MINE_KEY is set neither" not in with_file
    assert KEY not in with_file
    without = zeroclaw(config, "doctor", env={"ZEROCLAW_ENV_FILE": ""})
    assert "MINE_KEY is set neither in the environment nor in the .env file" in without


def test_the_gateway_and_its_client_commands_use_the_token_of_the_env_file(
    config: Path,
) -> None:
    with gateway_processes() as start:
        # pairing is off: without the token in .env the gateway would refuse to start.
        saved = os.environ.pop("ZEROCLAW_GATEWAY_TOKEN", None)
        try:
            process, url = start(config)
        finally:
            if saved is not None:
                os.environ["ZEROCLAW_GATEWAY_TOKEN"] = saved
        path = "/api/plugins/status"
        assert httpx.get(url + path, headers={"Authorization": f"Bearer {TOKEN}"}).is_success
        refused = httpx.get(url + path, headers={"Authorization": "Bearer zc_wrong"})
        assert refused.status_code == 401
        # The client command, without --token and without the variable, sends the file's.
        status = zeroclaw(config, "plugins", "status", "--url", url)
        assert "refused the token" not in status
        assert "no token" not in status
        # A token given in the environment wins over the file's (and is refused here).
        wrong = zeroclaw(
            config, "plugins", "status", "--url", url, env={"ZEROCLAW_GATEWAY_TOKEN": "zc_no"}
        )
        assert "refused the token" in wrong
        process.terminate()
        process.wait(timeout=60)
        assert TOKEN not in gateway_output(process)
