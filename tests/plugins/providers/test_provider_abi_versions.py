"""zeroclaw:providers 1.0 and 1.1 side by side, the ABI's minor-version rule in use: a
plugin built for 1.0 still loads on this 1.1 host and is called with 1.0 records; a 1.1
plugin receives the options 1.1 added (top-p, seed, penalties, response-format,
tool-choice). Through the gateway, with the real `openai` SDK as the client, an option a
plugin's version cannot carry is a 400 naming it, never dropped."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from zeroclaw.config import Config
from zeroclaw.gateway.auth import hash_token
from zeroclaw.messages import ChatMessage
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.providers import ChatOptions, ChatRequest, ResponseFormat, ToolChoice

from .conftest import MakeProviderPlugin

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "gateway"))
from gateway_harness import TOKEN, running_gateway

MESSAGES = (ChatMessage("user", "hi"),)
SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}}


@pytest.fixture
def snapshot(make_provider_plugin: MakeProviderPlugin, config: Config) -> Iterator[PluginSnapshot]:
    make_provider_plugin("old", "provider_fixed", package="zeroclaw:providers@1.0.0")
    make_provider_plugin("new", "provider_options", package="zeroclaw:providers@1.1.0")
    with PluginRegistry.for_config(config) as registry:
        yield registry.load(config.plugins)


def test_a_1_0_and_a_1_1_plugin_load_side_by_side(snapshot: PluginSnapshot) -> None:
    assert {name: str(p.package) for name, p in snapshot.plugins.items()} == {
        "old": "zeroclaw:providers@1.0.0",
        "new": "zeroclaw:providers@1.1.0",
    }


async def test_a_1_1_plugin_receives_the_options_1_1_added(snapshot: PluginSnapshot) -> None:
    provider = snapshot.provider("new")
    assert provider is not None
    options = ChatOptions(
        top_p=0.25,
        seed=4242,
        response_format=ResponseFormat("json_schema", SCHEMA, "answer", strict=True),
        tool_choice=ToolChoice("get_weather"),
    )

    response = await provider.chat(ChatRequest(MESSAGES, "", options=options))
    required = await provider.chat(
        ChatRequest(MESSAGES, "", options=ChatOptions(tool_choice=ToolChoice()))
    )
    unset = await provider.chat(ChatRequest(MESSAGES, ""))

    assert response.text == "get_weather"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (4242, 25)
    assert json.loads(response.model) == SCHEMA
    assert required.text == "required"
    assert (unset.text, unset.usage.input_tokens, unset.usage.output_tokens) == (None, 0, 0)


async def test_a_1_0_plugin_is_called_with_1_0_records(snapshot: PluginSnapshot) -> None:
    old, new = snapshot.provider("old"), snapshot.provider("new")
    assert old is not None
    assert new is not None
    options = ChatOptions(temperature=0.5, max_tokens=9, stop=("x",), seed=1)

    response = await old.chat(ChatRequest(MESSAGES, "", options=options))

    assert response.text == "hello from wasm"
    assert old.honoured_options("") == {"temperature", "max_tokens", "stop", "tools"}
    assert {"seed", "top_p", "response_format", "tool_choice"} <= new.honoured_options("")


def test_through_the_gateway_an_option_a_1_0_plugin_cannot_carry_is_a_400(
    make_provider_plugin: MakeProviderPlugin, config: Config
) -> None:
    make_provider_plugin("old", "provider_fixed", package="zeroclaw:providers@1.0.0")
    make_provider_plugin("new", "provider_options", package="zeroclaw:providers@1.1.0")
    config.gateway.tokens = [hash_token(TOKEN)]
    config.observability.backend = "noop"
    hi = [{"role": "user", "content": "hi"}]
    with running_gateway(config) as gateway:
        client = gateway.openai()
        answered = client.chat.completions.create(model="plugin:new", messages=hi, seed=77)  # type: ignore[arg-type]
        with pytest.raises(openai.BadRequestError) as raised:
            client.chat.completions.create(model="plugin:old", messages=hi, seed=77)  # type: ignore[arg-type]
        old = client.chat.completions.create(model="plugin:old", messages=hi, temperature=0.1)  # type: ignore[arg-type]

    assert answered.usage is not None
    assert answered.usage.prompt_tokens == 77
    assert (raised.value.code, raised.value.param) == ("unsupported_parameter", "seed")
    assert "'plugin:old'" in raised.value.message
    assert old.choices[0].message.content == "hello from wasm"
