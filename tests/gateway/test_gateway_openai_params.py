"""Chat Completions parameters reach the model or are refused by name, driven by the real
`openai` SDK: the offline provider honours max_tokens, stop and JSON; an OpenAI-compatible
server (a fake one on 127.0.0.1) receives every sampling parameter; what the chosen
provider cannot honour, values out of range, n > 1 and unknown parameters are 400s that
name the parameter, and nothing of a refused request is stored."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import openai
import pytest
from gateway_harness import Gateway, running_gateway

from zeroclaw.agent.steering import NO_STEERING
from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig
from zeroclaw.gateway.chat_params import chat_steering
from zeroclaw.gateway.openai_api import ChatCompletionRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers"))
from fake_llm_server import FakeLLMServer

HI = [{"role": "user", "content": "tell me about the weather in Paris"}]


def create(gateway: Gateway, **params: Any) -> Any:
    return gateway.openai().chat.completions.create(
        model=params.pop("model", "zeroclaw"), messages=params.pop("messages", HI), **params
    )


def refused(gateway: Gateway, **params: Any) -> dict[str, Any]:
    with pytest.raises(openai.BadRequestError) as raised:
        create(gateway, extra_headers={"X-Session-Id": "refused"}, **params)
    assert raised.value.status_code == 400
    body = raised.value.body
    assert isinstance(body, dict)
    # Nothing of a refused request is stored.
    assert (
        gateway.state.runtime.memory.blocking(gateway.state.runtime.memory.get_session("refused"))
        is None
    )
    error = body.get("error", body)
    assert isinstance(error, dict)
    return error


def test_max_tokens_cuts_the_reply_with_finish_length(gateway: Gateway) -> None:
    whole = create(gateway).choices[0]
    cut = create(gateway, max_tokens=3).choices[0]
    newer = create(gateway, max_completion_tokens=3).choices[0]

    assert whole.finish_reason == "stop"
    assert cut.finish_reason == newer.finish_reason == "length"
    assert cut.message.content == (whole.message.content or "")[:12]
    assert newer.message.content == cut.message.content


def test_stop_ends_the_reply_before_the_sequence(gateway: Gateway) -> None:
    reply = create(gateway, stop=["Paris", "never"]).choices[0]

    assert reply.finish_reason == "stop"
    assert reply.message.content is not None
    assert reply.message.content.endswith("weather in ")


def test_json_object_and_json_schema_replies_parse(gateway: Gateway) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "celsius": {"type": "integer", "minimum": -90},
            "sunny": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
        "required": ["city", "celsius", "sunny", "tags"],
        "additionalProperties": False,
    }
    as_object = create(gateway, response_format={"type": "json_object"})
    as_schema = create(
        gateway,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "weather", "schema": schema, "strict": True},
        },
    )

    assert "weather in Paris" in json.loads(as_object.choices[0].message.content)["reply"]
    value = json.loads(as_schema.choices[0].message.content)
    jsonschema.validate(value, schema)
    assert value["celsius"] == -90


def test_streamed_reply_honours_max_tokens_too(gateway: Gateway) -> None:
    chunks = list(create(gateway, max_tokens=2, stream=True))

    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["length"]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"temperature": 0.7}, "temperature"),
        ({"top_p": 0.5}, "top_p"),
        ({"presence_penalty": 1.0}, "presence_penalty"),
        ({"frequency_penalty": -1.0}, "frequency_penalty"),
    ],
)
def test_what_the_offline_provider_cannot_honour_is_refused(
    gateway: Gateway, params: dict[str, Any], param: str
) -> None:
    error = refused(gateway, **params)

    assert error["code"] == "unsupported_parameter"
    assert error["param"] == param
    assert f"cannot honour '{param}'" in error["message"]
    assert "'offline'" in error["message"]


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"temperature": 2.5}, "temperature", "invalid_value"),
        ({"top_p": 1.5}, "top_p", "invalid_value"),
        ({"presence_penalty": -3}, "presence_penalty", "invalid_value"),
        ({"max_tokens": 0}, "max_tokens", "invalid_value"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "invalid_value"),
        ({"n": 3}, "n", "unsupported_parameter"),
        ({"logprobs": True}, "logprobs", "unsupported_parameter"),
        ({"extra_body": {"frobnicate": 1}}, "frobnicate", "unsupported_parameter"),
        ({"max_tokens": 5, "max_completion_tokens": 6}, "max_completion_tokens", "invalid_value"),
    ],
)
def test_out_of_range_and_unsupported_parameters_are_400s_naming_them(
    gateway: Gateway, params: dict[str, Any], param: str, code: str
) -> None:
    error = refused(gateway, **params)

    assert (error["code"], error["param"]) == (code, param)
    assert param in error["message"]


def test_parameters_that_ask_nothing_are_accepted(gateway: Gateway) -> None:
    reply = create(gateway, n=1, logprobs=False, parallel_tool_calls=True, seed=7, store=False)

    assert reply.choices[0].finish_reason == "stop"


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    yield server
    server.stop()


def test_every_sampling_parameter_reaches_an_openai_compatible_server(
    config: Config, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPSTREAM_KEY", "sk-upstream")
    config.llm.providers = {
        "upstream": ProviderConfig(
            kind="openai", base_url=f"{llm_server.url}/v1", api_key_env="UPSTREAM_KEY", model="m"
        )
    }
    llm_server.reply_json(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": '{"ok": true}'},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
    )
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    with running_gateway(config) as gateway:
        reply = create(
            gateway,
            model="upstream/m",
            temperature=0.2,
            top_p=0.9,
            max_completion_tokens=50,
            stop="END",
            seed=42,
            presence_penalty=0.5,
            frequency_penalty=-0.5,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": True},
            },
        )

    assert reply.choices[0].message.content == '{"ok": true}'
    sent = llm_server.requests[-1].body
    assert sent["temperature"] == 0.2
    assert sent["top_p"] == 0.9
    assert sent["max_tokens"] == 50
    assert sent["stop"] == ["END"]
    assert sent["seed"] == 42
    assert (sent["presence_penalty"], sent["frequency_penalty"]) == (0.5, -0.5)
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": True},
    }


def test_a_refused_parameter_names_the_provider_of_the_chosen_model(
    config: Config, tmp_path: Path
) -> None:
    script = tmp_path / "script.json"
    script.write_text('[{"text": "scripted"}]')
    config.llm.providers = {"other": ProviderConfig(kind="scripted", script=script)}
    with running_gateway(config) as gateway:
        accepted = create(gateway, model="other", temperature=0.3)
        error = refused(gateway, model="offline", temperature=0.3)

    assert accepted.choices[0].message.content == "scripted"
    assert "'offline'" in error["message"]


def test_tool_choice_none_offers_the_model_no_tool(
    config: Config, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.llm.providers = {
        "upstream": ProviderConfig(kind="openai", base_url=f"{llm_server.url}/v1", model="m")
    }
    for _ in range(2):
        llm_server.reply_json(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "words only"},
                        "finish_reason": "stop",
                    }
                ],
            }
        )
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    with running_gateway(config) as gateway:
        create(gateway, model="upstream", tools=[tool], tool_choice="none")
        create(gateway, model="upstream", tools=[tool], tool_choice="required")

    without, forced = (request.body for request in llm_server.requests)
    assert "tools" not in without
    assert "tool_choice" not in without
    assert forced["tool_choice"] == "required"
    assert forced["tools"][0]["function"]["name"] == "get_weather"


def test_a_request_that_asks_nothing_of_the_turn_is_the_default_steering() -> None:
    def steering(**params: Any) -> object:
        messages = [{"role": "user", "content": "hi"}]
        return chat_steering(ChatCompletionRequest(model="zeroclaw", messages=messages, **params))

    # The turn skips the provider checks for it: there is nothing to check.
    assert steering() is NO_STEERING
    assert steering(tool_choice="auto", n=1) is NO_STEERING
    assert steering(temperature=None, stop=None, logit_bias={}) is NO_STEERING  # sent, but null
    assert steering(temperature=0.5) is not NO_STEERING
    assert steering(tool_choice="none") is not NO_STEERING
