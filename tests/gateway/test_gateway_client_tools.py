"""Client-side tools, as OpenAI clients use function calling, driven by the real `openai`
SDK: the client's functions are offered beside the agent's; a call of one stops the turn
with `tool_calls` (whole or as stream deltas); the client's `role: tool` results continue
the same session's turn to a final answer; before_tool_call hooks see client calls and
may refuse them; tool_choice is honoured; a name clash and results that answer nothing
are 400s."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from gateway_harness import Gateway, tool_command

from zeroclaw.hooks import Cancel, Event, ToolCallRequest, hook

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def get_weather(city: str) -> str:
    return f"18C and sunny in {city}"


def run_client_tools(
    client: openai.OpenAI, messages: list[dict[str, Any]], **params: Any
) -> tuple[Any, list[dict[str, Any]], int]:
    """An OpenAI client's tool loop: run each requested function here, send the results,
    until the model answers. Returns (the last completion, the messages, rounds)."""
    rounds = 0
    while True:
        completion = client.chat.completions.create(
            model="zeroclaw", messages=messages, tools=[WEATHER], **params
        )
        choice = completion.choices[0]
        if choice.finish_reason != "tool_calls":
            return completion, messages, rounds
        rounds += 1
        messages.append(choice.message.model_dump(exclude_none=True))
        for call in choice.message.tool_calls or ():
            arguments = json.loads(call.function.arguments)
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": get_weather(**arguments)}
            )


def test_a_client_tool_loop_runs_to_completion_in_one_session(gateway: Gateway) -> None:
    ask = [{"role": "user", "content": tool_command("get_weather", city="Paris")}]

    completion, messages, rounds = run_client_tools(
        gateway.openai(), ask, extra_headers={"X-Session-Id": "weather"}
    )

    assert rounds == 1
    assert completion.choices[0].finish_reason == "stop"
    assert "18C and sunny in Paris" in (completion.choices[0].message.content or "")
    call = messages[1]["tool_calls"][0]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    with gateway.client() as http:
        stored = http.get("/api/sessions/weather").json()["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant", "tool", "assistant"]
    assert stored[2]["tool_call_id"] == call["id"]
    assert stored[2]["content"] == "18C and sunny in Paris"
    # memory says whose tool it was: the client's, run on the client, no approval here
    provenance = stored[1]["tool_calls"][0]["provenance"]
    assert (provenance["owner_kind"], provenance["approval"]) == ("client", "not_needed")
    assert (provenance["blocked_by"], provenance["hooks"]) == (None, [])


def test_a_stateless_client_loop_works_from_the_resent_conversation(gateway: Gateway) -> None:
    ask = [{"role": "user", "content": tool_command("get_weather", city="Oslo")}]

    completion, _, rounds = run_client_tools(gateway.openai(), ask)

    assert rounds == 1
    assert "18C and sunny in Oslo" in (completion.choices[0].message.content or "")


def test_tool_calls_stream_as_deltas(gateway: Gateway) -> None:
    stream = gateway.openai().chat.completions.create(
        model="zeroclaw",
        messages=[{"role": "user", "content": tool_command("get_weather", city="Rome")}],
        tools=[WEATHER],  # type: ignore[list-item]
        stream=True,
    )
    chunks = list(stream)

    deltas = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or ()]
    assert [(d.index, d.function.name) for d in deltas if d.function] == [(0, "get_weather")]
    assert deltas[0].id
    assert json.loads(deltas[0].function.arguments or "") == {"city": "Rome"}  # type: ignore[union-attr]
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert [f for f in finishes if f] == ["tool_calls"]


def test_agent_tools_still_run_on_the_server_beside_client_tools(gateway: Gateway) -> None:
    completion = gateway.openai().chat.completions.create(
        model="zeroclaw",
        messages=[{"role": "user", "content": tool_command("file_list")}],
        tools=[WEATHER],  # type: ignore[list-item]
    )

    assert completion.choices[0].finish_reason == "stop"
    assert "Tool `file_list` returned" in (completion.choices[0].message.content or "")


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("required", "get_weather"),
        ({"type": "function", "function": {"name": "get_weather"}}, "get_weather"),
    ],
)
def test_tool_choice_forces_a_call(gateway: Gateway, tool_choice: Any, expected: str) -> None:
    completion = gateway.openai().chat.completions.create(
        model="zeroclaw",
        messages=[{"role": "user", "content": "what should I wear today?"}],
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice=tool_choice,
    )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [c.function.name for c in choice.message.tool_calls or ()] == [expected]  # type: ignore[union-attr]


def test_a_guard_hook_sees_and_refuses_a_client_tool_call(gateway: Gateway) -> None:
    seen: list[str] = []

    @hook(Event.BEFORE_TOOL_CALL, name="no-weather-for-atlantis")
    def guard(call: ToolCallRequest) -> Cancel | None:
        seen.append(call.tool)
        if call.arguments.get("city") == "Atlantis":
            return Cancel("Atlantis is off limits")
        return None

    gateway.state.runtime.hooks.register(guard)
    completion = gateway.openai().chat.completions.create(
        model="zeroclaw",
        messages=[{"role": "user", "content": tool_command("get_weather", city="Atlantis")}],
        tools=[WEATHER],  # type: ignore[list-item]
        extra_headers={"X-Session-Id": "atlantis"},
    )

    assert seen == ["get_weather"]
    with gateway.client() as http:
        stored = http.get("/api/sessions/atlantis").json()["messages"]
    provenance = stored[1]["tool_calls"][0]["provenance"]
    assert provenance["owner_kind"] == "client"
    assert provenance["blocked_by"] == "hook:no-weather-for-atlantis"
    assert [(h["handler"], h["verdict"], h["detail"]) for h in provenance["hooks"]] == [
        ("no-weather-for-atlantis", "blocked", "Atlantis is off limits")
    ]
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.tool_calls is None
    assert "blocked by hook: Atlantis is off limits" in (choice.message.content or "")


def test_a_client_tool_named_like_an_agent_tool_is_a_400(gateway: Gateway) -> None:
    clash = {"type": "function", "function": {"name": "file_list", "parameters": {}}}
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().chat.completions.create(
            model="zeroclaw",
            messages=[{"role": "user", "content": "hi"}],
            tools=[clash],  # type: ignore[list-item]
            extra_headers={"X-Session-Id": "clash"},
        )

    assert raised.value.code == "tool_name_conflict"
    assert "'file_list'" in raised.value.message
    assert (
        gateway.state.runtime.memory.blocking(gateway.state.runtime.memory.get_session("clash"))
        is None
    )


def test_results_for_no_pending_call_are_a_400(gateway: Gateway) -> None:
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "tool", "tool_call_id": "call_nope", "content": "42"},
    ]
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().chat.completions.create(
            model="zeroclaw",
            messages=messages,  # type: ignore[arg-type]
            tools=[WEATHER],  # type: ignore[list-item]
            extra_headers={"X-Session-Id": "no-pending"},
        )

    assert raised.value.code == "invalid_tool_results"
    assert raised.value.param == "messages"  # type: ignore[attr-defined]
    assert "call_nope" in raised.value.message


def test_tool_choice_naming_no_tool_is_a_400(gateway: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().chat.completions.create(
            model="zeroclaw",
            messages=[{"role": "user", "content": "hi"}],
            tools=[WEATHER],  # type: ignore[list-item]
            tool_choice={"type": "function", "function": {"name": "get_wind"}},
        )

    assert (raised.value.code, raised.value.param) == ("invalid_value", "tool_choice")
