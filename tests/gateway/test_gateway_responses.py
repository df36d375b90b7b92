"""The Responses API (`POST /v1/responses`) driven by the official `openai` SDK: text in,
output items out; streaming events in OpenAI's order; `previous_response_id` continues the
session (and survives a restart: the id is in the memory database); a client function
tool loop runs to completion, with previous_response_id and stateless; parameters the
provider cannot honour, unknown parameters, `store: false`, other tool types and
non-text content are 400s naming them."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from gateway_harness import Gateway, running_gateway, tool_command

from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig

WEATHER: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def get_weather(city: str) -> str:
    return f"18C and sunny in {city}"


def test_text_in_a_message_item_out(gateway: Gateway) -> None:
    response = gateway.openai().responses.create(model="zeroclaw", input="hello there")

    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert [item.type for item in response.output] == ["message"]
    assert "hello there" in response.output_text
    assert response.usage is not None
    assert response.usage.total_tokens > 0
    assert response.model == "zeroclaw"


def test_a_stream_sends_openais_events_in_order(gateway: Gateway) -> None:
    stream = gateway.openai().responses.create(model="zeroclaw", input="stream me", stream=True)
    events = list(stream)

    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert "response.output_text.delta" in kinds
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    final = events[-1].response  # type: ignore[union-attr]
    assert final.output_text == text
    assert "stream me" in text
    assert final.usage is not None
    assert final.usage.output_tokens > 0
    assert final.id == events[0].response.id  # type: ignore[union-attr]


def test_previous_response_id_continues_the_session(gateway: Gateway) -> None:
    client = gateway.openai()
    first = client.responses.create(model="zeroclaw", input="my name is Ada")
    second = client.responses.create(
        model="zeroclaw", input="what is my name?", previous_response_id=first.id
    )

    assert second.previous_response_id == first.id
    session = first.model_extra["zeroclaw"]["session_id"]  # type: ignore[index]
    assert second.model_extra["zeroclaw"]["session_id"] == session  # type: ignore[index]
    with gateway.client() as http:
        stored = http.get(f"/api/sessions/{session}").json()["messages"]
    assert [m["content"] for m in stored if m["role"] == "user"] == [
        "my name is Ada",
        "what is my name?",
    ]


def test_only_the_latest_response_of_a_conversation_can_be_continued(gateway: Gateway) -> None:
    client = gateway.openai()
    first = client.responses.create(model="zeroclaw", input="one")
    client.responses.create(model="zeroclaw", input="two", previous_response_id=first.id)

    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="zeroclaw", input="fork", previous_response_id=first.id)
    assert raised.value.code == "invalid_value"
    assert "not the latest response" in raised.value.message


def test_an_unknown_previous_response_id_is_a_400_as_openai_gives(gateway: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().responses.create(
            model="zeroclaw", input="hi", previous_response_id="resp_never"
        )

    assert raised.value.code == "previous_response_not_found"
    assert raised.value.param == "previous_response_id"  # type: ignore[attr-defined]


def test_a_response_id_survives_a_restart(config: Config) -> None:
    with running_gateway(config) as before:
        first = before.openai().responses.create(model="zeroclaw", input="remember me")
    with running_gateway(config) as after:
        second = after.openai().responses.create(
            model="zeroclaw", input="still there?", previous_response_id=first.id
        )
    assert second.status == "completed"
    session = first.model_extra["zeroclaw"]["session_id"]  # type: ignore[index]
    assert second.model_extra["zeroclaw"]["session_id"] == session  # type: ignore[index]


def run_function_loop(client: openai.OpenAI, ask: str, *, chained: bool) -> tuple[Any, int]:
    """An SDK user's function tool loop: run each function_call here, send its output,
    until the model answers. `chained`: with previous_response_id; else the whole input
    each time (stateless)."""
    items: list[Any] = [{"role": "user", "content": ask}]
    response = client.responses.create(model="zeroclaw", input=items, tools=[WEATHER])
    rounds = 0
    while calls := [item for item in response.output if item.type == "function_call"]:
        rounds += 1
        outputs = [
            {
                "type": "function_call_output",
                "call_id": call.call_id,
                "output": get_weather(**json.loads(call.arguments)),
            }
            for call in calls
        ]
        if chained:
            response = client.responses.create(
                model="zeroclaw",
                input=outputs,  # type: ignore[arg-type]
                tools=[WEATHER],
                previous_response_id=response.id,
            )
        else:
            items += [*response.output, *outputs]
            response = client.responses.create(model="zeroclaw", input=items, tools=[WEATHER])
    return response, rounds


@pytest.mark.parametrize("chained", [True, False], ids=["previous_response_id", "stateless"])
def test_a_client_function_tool_loop_runs_to_completion(gateway: Gateway, chained: bool) -> None:
    response, rounds = run_function_loop(
        gateway.openai(), tool_command("get_weather", city="Paris"), chained=chained
    )

    assert rounds == 1
    assert response.status == "completed"
    assert "18C and sunny in Paris" in response.output_text


def test_a_function_call_stops_the_turn_with_a_function_call_item(gateway: Gateway) -> None:
    response = gateway.openai().responses.create(
        model="zeroclaw", input=tool_command("get_weather", city="Rome"), tools=[WEATHER]
    )

    calls = [item for item in response.output if item.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_weather", {"city": "Rome"})]
    assert calls[0].call_id
    assert calls[0].status == "completed"


def test_an_output_for_no_pending_call_is_a_400_in_the_responses_words(gateway: Gateway) -> None:
    first = gateway.openai().responses.create(
        model="zeroclaw", input=tool_command("get_weather", city="Oslo"), tools=[WEATHER]
    )
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().responses.create(
            model="zeroclaw",
            input=[{"type": "function_call_output", "call_id": "call_nope", "output": "42"}],
            tools=[WEATHER],
            previous_response_id=first.id,
        )

    assert raised.value.code == "invalid_tool_results"
    assert raised.value.param == "input"  # type: ignore[attr-defined]
    assert "'call_nope'" in raised.value.message
    # Chat Completions' words for the same thing would mislead a Responses client.
    assert "role: tool" not in raised.value.message
    assert "messages" not in raised.value.message


def test_function_calls_stream_as_items_with_argument_events(gateway: Gateway) -> None:
    events = list(
        gateway.openai().responses.create(
            model="zeroclaw",
            input=tool_command("get_weather", city="Oslo"),
            tools=[WEATHER],
            stream=True,
        )
    )

    kinds = [event.type for event in events]
    assert "response.function_call_arguments.delta" in kinds
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(done.arguments) == {"city": "Oslo"}
    final = events[-1]
    assert final.type == "response.completed"
    assert [item.type for item in final.response.output][-1] == "function_call"


def test_tool_choice_required_forces_a_call(gateway: Gateway) -> None:
    response = gateway.openai().responses.create(
        model="zeroclaw", input="what should I wear?", tools=[WEATHER], tool_choice="required"
    )

    assert [item.type for item in response.output] == ["function_call"]


def test_max_output_tokens_reaches_the_model(gateway: Gateway) -> None:
    response = gateway.openai().responses.create(
        model="zeroclaw", input="a long question " * 20, max_output_tokens=2
    )

    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert len(response.output_text) <= 8


def test_json_schema_text_format_reaches_the_model(gateway: Gateway) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
    }
    response = gateway.openai().responses.create(
        model="zeroclaw",
        input="answer in JSON",
        text={"format": {"type": "json_schema", "name": "reply", "schema": schema}},
    )

    assert set(json.loads(response.output_text)) == {"answer"}


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"temperature": 0.5}, "temperature", "unsupported_parameter"),
        ({"store": False}, "store", "unsupported_parameter"),
        ({"truncation": "auto"}, "truncation", "unsupported_parameter"),
        ({"tools": [{"type": "web_search"}]}, "tools[0]", "unsupported_parameter"),
        ({"extra_body": {"verbosity_x": 1}}, "verbosity_x", "unsupported_parameter"),
        ({"temperature": 2.5}, "temperature", None),
    ],
)
def test_what_cannot_be_honoured_is_a_400_naming_it(
    gateway: Gateway, params: dict[str, Any], param: str, code: str | None
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().responses.create(model="zeroclaw", input="hi", **params)

    body: Any = raised.value.body
    assert body["param"] == param
    if code is not None:
        assert body["code"] == code


def test_a_streamed_request_is_refused_before_the_stream_starts(gateway: Gateway) -> None:
    # A 400, not an error event after a 200: the provider's check runs before the stream.
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().responses.create(
            model="zeroclaw", input="hi", top_p=0.5, max_output_tokens=5, stream=True
        )

    assert raised.value.code == "unsupported_parameter"
    assert "'top_p'" in raised.value.message


def test_an_image_part_is_a_400_naming_its_type(gateway: Gateway) -> None:
    image = {"type": "input_image", "image_url": "https://example.com/cat.png"}
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().responses.create(
            model="zeroclaw",
            input=[{"role": "user", "content": [{"type": "input_text", "text": "see"}, image]}],
        )

    assert raised.value.code == "unsupported_content"
    assert "'input_image'" in raised.value.message
    assert raised.value.param == "input[0].content[1]"  # type: ignore[attr-defined]


def test_a_provider_refusal_names_the_responses_parameter(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # anthropic has no response_format; the refusal names what the client sent. It comes
    # before any model call: the key is never used.
    monkeypatch.setenv("ZC_TEST_ANTHROPIC_KEY", "sk-ant-never-used")
    config.llm.providers = {
        "claude": ProviderConfig(kind="anthropic", api_key_env="ZC_TEST_ANTHROPIC_KEY")
    }
    with running_gateway(config) as gateway, pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().responses.create(
            model="claude", input="hi", text={"format": {"type": "json_object"}}
        )

    assert raised.value.code == "unsupported_parameter"
    assert raised.value.param == "text.format"  # type: ignore[attr-defined]
    assert "'text.format'" in raised.value.message
    assert "response_format" not in raised.value.message
