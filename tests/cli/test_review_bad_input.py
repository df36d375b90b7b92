"""Bad input from the outside gets `error:` + `hint:` and a non-zero exit, never a
traceback: bytes that are not UTF-8 on the command line (Python turns them into lone
surrogates), `\\ud800` escapes in JSON options, a data_dir that cannot be created, a
`--url` or token that httpx cannot use, and something that is not a gateway at --url."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from zeroclaw.cli import app

LONE = "\udcff"  # what an argv byte 0xff becomes under Python's surrogateescape


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('data_dir = "data"\n')
    return path


def run(config_file: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["--config", str(config_file), *args], input=stdin)


def assert_clean_error(result: Result, *expected: str, exit_code: int = 1) -> None:
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert "error:" in result.output
    for text in expected:
        assert text in result.output, result.output


def test_agent_message_that_is_not_utf8(config_file: Path) -> None:
    result = run(config_file, "agent", "-m", f"hi{LONE}")
    assert_clean_error(result, "--message is not valid UTF-8 text", "hint:")
    # Refused before anything was opened or stored.
    assert not (config_file.parent / "data" / "zeroclaw.db").exists()


def test_agent_session_that_is_not_utf8(config_file: Path) -> None:
    result = run(config_file, "agent", "-m", "hi", "--session", f"s{LONE}")
    assert_clean_error(result, "--session is not valid UTF-8 text")


def test_tools_call_args_with_a_lone_surrogate_escape(config_file: Path) -> None:
    result = run(config_file, "tools", "call", "file_read", "--args", '{"path": "\\ud800"}')
    assert_clean_error(result, "--args.path is not valid UTF-8 text", exit_code=2)


def test_hooks_explain_payload_with_a_lone_surrogate_escape(config_file: Path) -> None:
    payload = {"session_id": "\\ud800", "channel": "t", "system_prompt": "x", "context": []}
    raw = json.dumps(payload).replace("\\\\ud800", "\\ud800")
    result = run(config_file, "hooks", "explain", "before_prompt_build", "-p", raw)
    assert_clean_error(result, "--payload.session_id is not valid UTF-8 text")


def test_gateway_host_that_is_not_utf8(config_file: Path) -> None:
    result = run(config_file, "gateway", "--host", f"h{LONE}", "--port", "0")
    assert_clean_error(result, "--host is not valid UTF-8 text")


@pytest.mark.parametrize("errors", ["surrogateescape", "strict"])
def test_hash_token_stdin_that_is_not_utf8(config_file: Path, errors: str) -> None:
    # A real process: how stdin decodes a bad byte depends on its error handler.
    result = subprocess.run(
        [sys.executable, "-m", "zeroclaw", "gateway", "hash-token", "--stdin"],
        input=b"tok\xff\n",
        check=False,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": f"utf-8:{errors}"},
        timeout=60,
    )
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    assert "error: the token on stdin is not valid UTF-8 text" in err
    assert result.stdout == b""


@pytest.mark.parametrize(
    "args",
    [
        ["agent", "-m", "hi"],
        ["tools", "call", "file_list"],
        ["hooks", "list"],
        ["gateway", "--port", "0"],
    ],
)
def test_a_data_dir_that_cannot_be_created(tmp_path: Path, args: list[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'data_dir = "{blocker / "data"}"\n')

    result = run(config_file, *args)

    assert_clean_error(result, "cannot use", str(blocker / "data"), "zeroclaw doctor")
    assert blocker.read_text() == "not a directory"


def test_plugins_status_with_a_url_httpx_cannot_parse(config_file: Path) -> None:
    result = run(config_file, "plugins", "status", "--url", "http://[::1", "--token", "t")
    assert_clean_error(result, "is not a gateway URL", "--url")


def test_plugins_reload_with_a_token_a_header_cannot_carry(config_file: Path) -> None:
    for token in ("tökén", f"t{LONE}", "a\nb"):
        result = run(
            config_file, "plugins", "reload", "--url", "http://127.0.0.1:1", "--token", token
        )
        assert_clean_error(result, "the gateway token holds characters")


class _NotAGateway(BaseHTTPRequestHandler):
    body = b"hello"

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def not_a_gateway() -> Iterator[tuple[str, type[_NotAGateway]]]:
    handler = type("Handler", (_NotAGateway,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("body", "why"), [(b"hello", "is not JSON"), (b'{"a": 1}', "is not a PluginsStatus")]
)
def test_plugins_status_of_something_that_is_not_a_gateway(
    config_file: Path,
    not_a_gateway: tuple[str, type[_NotAGateway]],
    body: bytes,
    why: str,
) -> None:
    url, handler = not_a_gateway
    handler.body = body
    result = run(config_file, "plugins", "status", "--url", url, "--token", "t")
    assert_clean_error(result, "does not look like a ZeroClaw gateway", why)


def test_interactive_line_that_is_not_utf8_is_refused_and_the_chat_goes_on(
    config_file: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zeroclaw", "--config", str(config_file), "agent"],
        input=b"hi\xff\nhello\n/exit\n",
        check=False,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:surrogateescape"},
        timeout=60,
    )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "Traceback" not in out + result.stderr.decode()
    assert "that line is not valid UTF-8 text, so it was not sent" in out
    assert "You said: hello" in out
