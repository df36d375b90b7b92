"""A second real client: LangChain's `ChatOpenAI` (langchain-openai) against the gateway
on 127.0.0.1, for chat, streaming (with usage), function tools through `bind_tools` run
to completion by the client, and the same over the Responses API (`use_responses_api`)."""

from __future__ import annotations

from typing import Any

import pytest
from gateway_harness import TOKEN, Gateway, tool_command
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"18C and sunny in {city}"


def chat_model(gateway: Gateway, **options: Any) -> ChatOpenAI:
    return ChatOpenAI(
        model="zeroclaw",
        base_url=f"{gateway.base_url}/v1",
        api_key=TOKEN,  # type: ignore[arg-type]
        max_retries=0,
        **options,
    )


@pytest.mark.parametrize("responses_api", [False, True], ids=["chat", "responses"])
def test_invoke_answers(gateway: Gateway, responses_api: bool) -> None:
    reply = chat_model(gateway, use_responses_api=responses_api).invoke("hello from langchain")

    assert "hello from langchain" in reply.text
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["total_tokens"] > 0


@pytest.mark.parametrize("responses_api", [False, True], ids=["chat", "responses"])
def test_stream_yields_the_reply_in_chunks_with_usage(
    gateway: Gateway, responses_api: bool
) -> None:
    model = chat_model(gateway, use_responses_api=responses_api, stream_usage=True)
    chunks = list(model.stream("stream from langchain"))

    assert len(chunks) > 2
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert "stream from langchain" in whole.text
    assert whole.usage_metadata is not None
    assert whole.usage_metadata["output_tokens"] > 0


@pytest.mark.parametrize("responses_api", [False, True], ids=["chat", "responses"])
def test_bind_tools_runs_a_client_tool_to_completion(gateway: Gateway, responses_api: bool) -> None:
    model = chat_model(gateway, use_responses_api=responses_api).bind_tools([get_weather])
    messages: list[BaseMessage] = [HumanMessage(tool_command("get_weather", city="Lisbon"))]

    reply = model.invoke(messages)
    assert isinstance(reply, AIMessage)
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [
        ("get_weather", {"city": "Lisbon"})
    ]
    messages.append(reply)
    for call in reply.tool_calls:
        result = get_weather.invoke(call["args"])
        messages.append(ToolMessage(result, tool_call_id=call["id"]))
    final = model.invoke(messages)

    assert not final.tool_calls  # type: ignore[attr-defined]
    assert "18C and sunny in Lisbon" in final.text
