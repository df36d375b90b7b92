"""`kill -9` of a real gateway in the middle of a turn, three times over: after each
restart everything committed before the kill is there, the SQLite file passes its
integrity check, and the cut-off session takes a new turn."""

from __future__ import annotations

import re
import signal
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from gateway_harness import TOKEN, tool_command, wait_until

from gateway_processes import GatewayStarter, gateway_processes
from zeroclaw.gateway.auth import hash_token

pytestmark = pytest.mark.slow

_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
data_dir = "data"

[tools]
autonomy = "full"

[tools.shell]
allowed_commands = ["sleep"]

[gateway]
tokens = ["{hash_token(TOKEN)}"]
"""
    )
    return path


@pytest.fixture
def start_gateway() -> Iterator[GatewayStarter]:
    with gateway_processes() as start:
        yield start


def _chat(base_url: str, session_id: str, message: str) -> httpx.Response:
    body = {"message": message, "session_id": session_id}
    return httpx.post(f"{base_url}/webhook", json=body, headers=HEADERS, timeout=60)


def _roles(base_url: str, session_id: str) -> list[str]:
    response = httpx.get(f"{base_url}/api/sessions/{session_id}", headers=HEADERS, timeout=10)
    if response.status_code != 200:
        return []
    return [m["role"] for m in response.json()["messages"]]


def _integrity(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def test_kill_9_mid_turn_loses_nothing_committed(
    tmp_path: Path, start_gateway: GatewayStarter
) -> None:
    config = _config(tmp_path)
    committed: dict[str, list[str]] = {}
    for round_number in range(3):
        process, base_url = start_gateway(config)
        # What the rounds before stored survived their kill and this restart.
        for session_id, roles in committed.items():
            assert _roles(base_url, session_id)[: len(roles)] == roles, session_id
        done = f"done-{round_number}"
        assert _chat(base_url, done, "stored before the kill").status_code == 200
        committed[done] = _roles(base_url, done)
        assert committed[done] == ["user", "assistant"]

        cut = f"cut-{round_number}"
        with ThreadPoolExecutor(1) as pool:
            pool.submit(_chat, base_url, cut, tool_command("shell", command="sleep 30"))
            # The turn is running once its user message is stored.
            wait_until(lambda: _roles(base_url, cut) != [], timeout_s=30)  # noqa: B023
            committed[cut] = _roles(base_url, cut)
            process.send_signal(signal.SIGKILL)
            process.wait()

        assert _integrity(tmp_path / "data" / "zeroclaw.db") == "ok"

    process, base_url = start_gateway(config)
    for session_id, roles in committed.items():
        assert _roles(base_url, session_id)[: len(roles)] == roles, session_id
    # A session cut off mid-turn takes the next turn: its turn never settled, so memory
    # holds its question alone (no tool call without a result), closed now by the
    # unsettled-turn answer before the new question.
    assert committed["cut-2"] == ["user"]
    again = _chat(base_url, "cut-2", "and now?")
    assert again.status_code == 200, again.text
    assert _roles(base_url, "cut-2") == ["user", "assistant", "user", "assistant"]
