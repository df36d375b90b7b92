"""`POST /v1/responses` attacked with the official `openai` SDK (and httpx where the SDK
would refuse to send the request), against a real gateway under uvicorn on 127.0.0.1.

Tokens are operator credentials (docs/gateway.md: every accepted token may use every
session), so the lines held here are between *sessions*: a response id or a tool result
of one conversation never reads or moves another; whatever a hostile id holds (a NUL,
controls, path tricks, 100,000 characters) is a 400 naming it, never a 500; two requests
racing to continue one response: one continues it, the others are refused as they would
be one after the other (each used to run on the others' turns: a fork that was none).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from gateway_harness import TOKEN, Gateway, make_config, running_gateway, tool_command

pytestmark = pytest.mark.slow

WEATHER: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    config = make_config(tmp_path_factory.mktemp("responses-attacks"))
    config.gateway.rate_limit_per_minute = 0
    with running_gateway(config) as running:
        yield running


def _history(gateway: Gateway, session: str) -> list[dict[str, Any]]:
    with gateway.client() as http:
        answer = http.get(f"/api/sessions/{session}")
    assert answer.status_code == 200, answer.text
    messages: list[dict[str, Any]] = answer.json()["messages"]
    return messages


@pytest.mark.parametrize(
    "hostile",
    ["resp_\x00", "resp_\x1b[2J\u202e", "../../responses/resp_x", "resp_" + "x" * 100_000, " "],
    ids=["nul", "controls", "path", "100k", "blank"],
)
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_hostile_previous_response_id_is_a_400(
    gateway: Gateway, hostile: str, stream: bool
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().responses.create(
            model="zeroclaw", input="hi", previous_response_id=hostile, stream=stream
        )
    assert raised.value.code == "previous_response_not_found"
    assert raised.value.status_code == 400


def test_a_tool_result_for_another_sessions_call_moves_nothing(gateway: Gateway) -> None:
    client = gateway.openai()
    alice = client.responses.create(
        model="zeroclaw",
        input=tool_command("get_weather", city="Oslo"),
        tools=[WEATHER],
        extra_headers={"X-Session-Id": "alice-weather"},
    )
    (call,) = [item for item in alice.output if item.type == "function_call"]
    before = _history(gateway, "alice-weather")

    # mallory answers alice's call in her own session, by the call id alone ...
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(
            model="zeroclaw",
            input=[{"type": "function_call_output", "call_id": call.call_id, "output": "-40C"}],
            tools=[WEATHER],
            extra_headers={"X-Session-Id": "mallory"},
        )
    assert raised.value.code == "invalid_tool_results"
    # ... and by alice's response id while naming her own session
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(
            model="zeroclaw",
            input=[{"type": "function_call_output", "call_id": call.call_id, "output": "-40C"}],
            tools=[WEATHER],
            previous_response_id=alice.id,
            extra_headers={"X-Session-Id": "mallory"},
        )
    assert raised.value.code == "invalid_value"
    assert "not of 'mallory'" in raised.value.message

    # alice's conversation is as she left it, and her own answer still completes it
    assert _history(gateway, "alice-weather") == before
    done = client.responses.create(
        model="zeroclaw",
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "18C"}],
        tools=[WEATHER],
        previous_response_id=alice.id,
    )
    assert done.status == "completed"
    assert "-40C" not in json.dumps(_history(gateway, "alice-weather"))


def test_two_requests_racing_to_continue_one_response_lose_nothing(gateway: Gateway) -> None:
    client = gateway.openai()
    first = client.responses.create(model="zeroclaw", input="start of the line")
    statuses: list[int] = []
    lock = threading.Lock()

    def cont(index: int) -> None:
        with httpx.Client(base_url=gateway.base_url, timeout=60) as http:
            answer = http.post(
                "/v1/responses",
                headers={"Authorization": f"Bearer {TOKEN}"},
                json={
                    "model": "zeroclaw",
                    "input": f"racer {index}",
                    "previous_response_id": first.id,
                },
            )
        with lock:
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=cont, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # a conversation is one line of turns: the first to hold the session continues it,
    # the others are told that the response is no longer the latest (as if sequential)
    assert sorted(statuses) == [200, 400, 400, 400, 400, 400], statuses
    session = first.model_extra["zeroclaw"]["session_id"]  # type: ignore[index]
    users = [m["content"] for m in _history(gateway, session) if m["role"] == "user"]
    assert users[0] == "start of the line"
    assert len(users) == 2
    assert users[1].startswith("racer ")
