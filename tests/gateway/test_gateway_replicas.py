"""Two real `zeroclaw gateway` processes on two loopback ports sharing one real PostgreSQL
database: the turns of one session never interleave whichever replica runs them, nothing
is lost, and `kill -9` of one replica mid-turn leaves the other serving (the session's
lock dies with the killed replica's connection)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
from gateway_harness import TOKEN, tool_command, wait_until

from gateway_processes import GatewayStarter, gateway_processes, wait_for_line
from postgres_server import PostgresServer
from zeroclaw.gateway.auth import hash_token
from zeroclaw.memory import UNSETTLED_TURN

pytestmark = pytest.mark.slow

HEADERS = {"Authorization": f"Bearer {TOKEN}"}
SESSIONS = 10
REQUESTS = 200


def replica_config(tmp_path: Path, name: str, database_url: str, *, per_minute: int = 0) -> Path:
    """A replica's config: its own data dir, the shared database."""
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f"""
data_dir = "{tmp_path / name}"

[memory]
backend = "postgres"
url = "{database_url}"

[observability]
backend = "noop"  # its log lines would fill the stdout pipe nobody reads after start

[tools]
autonomy = "full"

[tools.shell]
allowed_commands = ["sleep"]

[gateway]
tokens = ["{hash_token(TOKEN)}"]
pairing = true
rate_limit_per_minute = {per_minute}
request_timeout_s = 90
"""
    )
    return path


@pytest.fixture
def start_gateway() -> Iterator[GatewayStarter]:
    with gateway_processes() as start:
        yield start


def history(base_url: str, session_id: str) -> list[dict[str, str]]:
    response = httpx.get(f"{base_url}/api/sessions/{session_id}", headers=HEADERS, timeout=30)
    if response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    return [{"role": m["role"], "content": m["content"]} for m in response.json()["messages"]]


async def _chat_all(bases: list[str]) -> list[str]:
    """REQUESTS chat completions at once, on SESSIONS sessions, alternating replicas."""
    clients = [
        openai.AsyncOpenAI(base_url=f"{base}/v1", api_key=TOKEN, max_retries=0, timeout=90)
        for base in bases
    ]

    async def one(i: int) -> str:
        # Request i is for session i % SESSIONS; its replica alternates with each round,
        # so every session's turns arrive at both replicas at once.
        reply = await clients[(i // SESSIONS) % len(clients)].chat.completions.create(
            model="zeroclaw",
            messages=[{"role": "user", "content": f"message {i}"}],
            extra_headers={"X-Session-Id": f"shared-{i % SESSIONS}"},
        )
        return reply.choices[0].message.content or ""

    try:
        return await asyncio.gather(*(one(i) for i in range(REQUESTS)))
    finally:
        for client in clients:
            await client.close()


def test_turns_of_a_session_never_interleave_across_replicas(
    tmp_path: Path, postgres_url: str, start_gateway: GatewayStarter
) -> None:
    _, first = start_gateway(replica_config(tmp_path, "a", postgres_url))
    _, second = start_gateway(replica_config(tmp_path, "b", postgres_url))

    replies = asyncio.run(_chat_all([first, second]))

    assert all(f"message {i}" in reply for i, reply in enumerate(replies))
    for n in range(SESSIONS):
        # Both replicas read the one database: the same history from either.
        stored = history(first, f"shared-{n}")
        assert stored == history(second, f"shared-{n}")
        sent = {f"message {i}" for i in range(n, REQUESTS, SESSIONS)}
        assert len(stored) == 2 * len(sent), f"shared-{n}: {len(stored)} messages"
        users, assistants = stored[0::2], stored[1::2]
        assert {m["content"] for m in users} == sent
        # Interleaved turns would put two user messages in a row, or answer one turn's
        # message in another's reply (the offline provider echoes the last user message).
        assert all(m["role"] == "user" for m in users)
        for asked, answered in zip(users, assistants, strict=True):
            assert answered["role"] == "assistant"
            assert f"You said: {asked['content']}\n" in answered["content"]


def test_kill_9_of_one_replica_mid_turn_loses_nothing_and_the_other_serves(
    tmp_path: Path, postgres_url: str, start_gateway: GatewayStarter
) -> None:
    doomed, first = start_gateway(replica_config(tmp_path, "a", postgres_url))
    _, second = start_gateway(replica_config(tmp_path, "b", postgres_url))
    done = httpx.post(
        f"{first}/webhook",
        json={"message": "stored before the kill", "session_id": "done"},
        headers=HEADERS,
        timeout=30,
    )
    assert done.status_code == 200

    with ThreadPoolExecutor(1) as pool:
        pool.submit(
            httpx.post,
            f"{first}/webhook",
            json={"message": tool_command("shell", command="sleep 60"), "session_id": "cut"},
            headers=HEADERS,
            timeout=90,
        )
        # The turn is under way once its tool runs: `sleep 60`, a child of the replica.
        wait_until(lambda: _runs_below(doomed.pid, "sleep"), timeout_s=30)
        before_kill = {"done": history(second, "done"), "cut": history(second, "cut")}
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()

    # The question was committed at once; the tool call waits for the turn to settle.
    assert [m["role"] for m in before_kill["cut"]] == ["user"]
    for session_id, stored in before_kill.items():
        assert history(second, session_id)[: len(stored)] == stored
    # The killed replica held "cut"'s lock mid-turn; the server dropped it with the
    # connection, so the survivor takes the session's next turn now, not after a timeout,
    # and closes the turn that never settled.
    again = httpx.post(
        f"{second}/webhook",
        json={"message": "and now?", "session_id": "cut"},
        headers=HEADERS,
        timeout=30,
    )
    assert again.status_code == 200, again.text
    assert [(m["role"], m["content"]) for m in history(second, "cut")][1:3] == [
        ("assistant", UNSETTLED_TURN.content),
        ("user", "and now?"),
    ]
    assert [m["role"] for m in history(second, "cut")][-2:] == ["user", "assistant"]
    fresh = httpx.post(
        f"{second}/webhook", json={"message": "still here"}, headers=HEADERS, timeout=30
    )
    assert fresh.status_code == 200


def test_rate_limit_and_paired_tokens_hold_across_replicas(
    tmp_path: Path, postgres_url: str, start_gateway: GatewayStarter
) -> None:
    _, first = start_gateway(replica_config(tmp_path, "a", postgres_url, per_minute=4))
    process, second = start_gateway(replica_config(tmp_path, "b", postgres_url, per_minute=4))

    # One token's 4 requests a minute are spent on the two replicas together.
    statuses = [
        httpx.get(f"{base}/v1/models", headers=HEADERS, timeout=10).status_code
        for base in (first, second, first, second, first, second)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]

    # A token paired on one replica is accepted by the other.
    code = _pairing_code(process)
    paired = httpx.post(f"{second}/pair", json={"code": code}, timeout=10)
    assert paired.status_code == 200, paired.text
    token = paired.json()["token"]
    elsewhere = httpx.get(
        f"{first}/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert elsewhere.status_code == 200
    wrong = httpx.get(f"{first}/v1/models", headers={"Authorization": "Bearer zc_nope"})
    assert wrong.status_code == 401


def _pairing_code(process: subprocess.Popen[str]) -> str:
    """The code the replica printed after its address."""
    return wait_for_line(process, r"\b([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})\b")[1]


def test_a_database_lost_mid_turn_is_a_503_to_retry_and_never_half_a_turn(
    tmp_path: Path,
    postgres_server: PostgresServer,
    postgres_url: str,
    start_gateway: GatewayStarter,
) -> None:
    process, base = start_gateway(replica_config(tmp_path, "a", postgres_url))
    database = postgres_url.rsplit("/", 1)[1]
    asked = {"message": tool_command("shell", command="sleep 2"), "session_id": "cut"}
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(httpx.post, f"{base}/webhook", json=asked, headers=HEADERS, timeout=60)
        wait_until(lambda: _runs_below(process.pid, "sleep"), timeout_s=30)
        # The server goes away under the turn: every connection of the gateway is cut
        # (its session lock's too) and no new one is let in until the test says so.
        postgres_server.psql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        postgres_server.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE datname = '{database}'"
        )
        refused = answer.result()
    postgres_server.psql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "2"
    error = refused.json()["error"]
    assert error["code"] == "storage_unavailable"
    assert "send it again" in error["message"]
    # The tool ran, but memory holds the question alone: no call without its result.
    assert [m["role"] for m in history(base, "cut")] == ["user"]

    # The client sends it again: the turn continues on the stored question.
    again = httpx.post(f"{base}/webhook", json=asked, headers=HEADERS, timeout=60)
    assert again.status_code == 200, again.text
    stored = history(base, "cut")
    assert [m["role"] for m in stored] == ["user", "assistant", "tool", "assistant"]
    assert stored[0]["content"] == asked["message"]


def _runs_below(pid: int, program: str) -> bool:
    """Whether a descendant of process `pid` runs `program` (read from /proc)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        child = int(text.split(" ", 1)[0])
        names[child] = text[text.index("(") + 1 : text.rindex(")")]
        parents[child] = int(text[text.rindex(")") + 2 :].split()[1])
    for child, name in names.items():
        if name != program:
            continue
        ancestor = parents.get(child, 0)
        while ancestor > 1:
            if ancestor == pid:
                return True
            ancestor = parents.get(ancestor, 0)
    return False
