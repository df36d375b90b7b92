"""`zeroclaw gateway` refuses what it must; `zeroclaw gateway hash-token`."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeroclaw.cli import app
from zeroclaw.config import load_config
from zeroclaw.config.loader import ConfigError
from zeroclaw.gateway.auth import hash_token
from zeroclaw.gateway.lifecycle.bind import GatewayBindError, check_bind, is_loopback


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('data_dir = "data"\n')
    return path


def test_non_loopback_bind_is_refused_without_a_token(config_file: Path) -> None:
    result = CliRunner().invoke(
        app, ["--config", str(config_file), "gateway", "--host", "0.0.0.0", "--port", "0"]
    )

    assert result.exit_code == 1
    assert "refusing to listen on 0.0.0.0" in result.output
    assert "hash-token" in result.output
    assert "Traceback" not in result.output
    # Refused before anything was opened.
    assert not (config_file.parent / "data" / "zeroclaw.db").exists()


def test_a_gateway_nobody_could_use_is_refused(config_file: Path) -> None:
    config_file.write_text('data_dir = "data"\n[gateway]\npairing = false\n')
    result = CliRunner().invoke(app, ["--config", str(config_file), "gateway", "--port", "0"])

    assert result.exit_code == 1
    assert "would accept no token" in result.output


def test_bind_rules() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("::")
    check_bind("127.0.0.1", has_tokens=False)
    check_bind("0.0.0.0", has_tokens=True)
    with pytest.raises(GatewayBindError):
        check_bind("192.0.2.10", has_tokens=False)


def test_busy_port_is_a_clear_error(config_file: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app, ["--config", str(config_file), "gateway", "--port", str(port)]
        )

    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert not (config_file.parent / "data" / "zeroclaw.db").exists()


def test_hash_token_makes_a_token_and_its_hash() -> None:
    result = CliRunner().invoke(app, ["gateway", "hash-token"])

    assert result.exit_code == 0, result.output
    token = result.output.split("token: ")[1].split()[0]
    digest = result.output.split("hash:  ")[1].split()[0]
    assert digest == hash_token(token)
    assert f'tokens = ["{digest}"]' in result.output


def test_hash_token_from_stdin(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["gateway", "hash-token", "--stdin"], input="my-token\n")

    assert result.exit_code == 0
    assert "token:" not in result.output
    digest = hash_token("my-token")
    assert digest in result.output

    config_file.write_text(f'[gateway]\ntokens = ["{digest}"]\n')
    assert load_config(config_file).gateway.tokens == [digest]


def test_a_token_in_clear_in_the_config_is_rejected_without_echoing_it(
    config_file: Path,
) -> None:
    config_file.write_text('[gateway]\ntokens = ["hunter2-secret"]\n')
    with pytest.raises(ConfigError) as raised:
        load_config(config_file)

    message = str(raised.value)
    assert "gateway.tokens[0]" in message
    assert "zeroclaw gateway hash-token" in message
    assert "hunter2-secret" not in message
