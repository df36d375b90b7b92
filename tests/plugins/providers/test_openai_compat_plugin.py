"""The example provider plugin, openai-compat (Python), against a fake OpenAI-compatible
server on 127.0.0.1: it reaches the server only through the host's http interface, when
granted that exact host, and reads its API key only as a granted named secret. Then a whole
agent turn with it as the model (llm.provider = "plugin:openai-compat")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_llm_server import FakeLLMServer
from tools.plugin_dirs import Built, example_dir, plugins_config

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.config.models import PluginOverride
from zeroclaw.messages import ChatMessage, ToolSpec, Usage
from zeroclaw.plugins.errors import ImportNotGrantedError
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.providers import ChatRequest, ProviderError

NAME = "openai-compat"
KEY = "sk-test-key-123"


@pytest.fixture
def config(tmp_path: Path, built_provider: Built, llm_server: FakeLLMServer) -> Config:
    directory = example_dir(built_provider, "providers/openai-compat")
    config = plugins_config(tmp_path, [directory])
    config.plugins.capabilities.allow = ["config", "http:127.0.0.1", "secret:API_KEY"]
    config.plugins.overrides[NAME] = PluginOverride(
        config={"base_url": llm_server.url + "/v1", "model": "fake-model"},
        secrets={"API_KEY": "FAKE_LLM_KEY"},
    )
    return config


def completion(text: str | None = None, calls: list[dict[str, Any]] | None = None) -> Any:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = [
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
            }
            for index, call in enumerate(calls)
        ]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "fake-model-0613",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    }


async def test_a_granted_plugin_gets_a_completion_through_the_host_http(
    config: Config, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_LLM_KEY", KEY)
    llm_server.reply_json(completion("Hi from the fake server."))
    tools = (ToolSpec("word_count", "Counts words", {"type": "object"}),)

    with PluginRegistry.for_config(config) as registry:
        provider = registry.load(config.plugins).provider(NAME)
        assert provider is not None
        response = await provider.chat(
            ChatRequest([ChatMessage("system", "be brief"), ChatMessage("user", "hi")], "", tools)
        )

    assert response.text == "Hi from the fake server."
    assert response.usage == Usage(12, 3)
    assert response.model == "fake-model-0613"
    (sent,) = llm_server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["model"] == "fake-model"  # no model asked: the plugin's default
    assert sent.body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert sent.body["tools"][0]["function"]["name"] == "word_count"


async def test_without_the_secret_granted_no_key_is_sent(
    config: Config, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_LLM_KEY", KEY)
    config.plugins.capabilities.allow = ["config", "http:127.0.0.1"]
    llm_server.reply_json(completion("ok"))

    with PluginRegistry.for_config(config) as registry:
        provider = registry.load(config.plugins).provider(NAME)
        assert provider is not None
        await provider.chat(ChatRequest([ChatMessage("user", "hi")], ""))

    assert "authorization" not in llm_server.requests[0].headers


def test_without_an_http_grant_the_plugin_does_not_load(config: Config) -> None:
    config.plugins.capabilities.allow = ["config"]

    with PluginRegistry.for_config(config) as registry:
        snapshot = registry.load(config.plugins)

    status = snapshot.status(NAME)
    assert status is not None
    assert status.state == "failed"
    assert isinstance(status.error, ImportNotGrantedError)
    assert "zeroclaw:host/http" in str(status.error)
    assert "plugins.capabilities.allow" in str(status.error)


async def test_a_grant_for_another_host_is_a_clear_http_error_at_call(
    config: Config, llm_server: FakeLLMServer
) -> None:
    config.plugins.capabilities.allow = ["config", "http:api.openai.com"]

    with PluginRegistry.for_config(config) as registry:
        provider = registry.load(config.plugins).provider(NAME)
        assert provider is not None
        with pytest.raises(ProviderError) as caught:
            await provider.chat(ChatRequest([ChatMessage("user", "hi")], ""))

    assert caught.value.retryable is False
    assert "http denied" in caught.value.message
    assert "127.0.0.1" in caught.value.message
    assert llm_server.requests == []


def test_a_wildcard_grant_never_reaches_loopback(config: Config) -> None:
    config.plugins.capabilities.allow = ["config", "http:*"]

    with PluginRegistry.for_config(config) as registry:
        snapshot = registry.load(config.plugins)
        plugin = snapshot.plugins[NAME]

    assert not plugin.grants.allows_http_address("127.0.0.1", "127.0.0.1")


async def test_an_api_error_status_maps_to_a_provider_error(
    config: Config, llm_server: FakeLLMServer
) -> None:
    llm_server.reply_json({"error": {"message": "slow down"}}, status=429)

    with PluginRegistry.for_config(config) as registry:
        provider = registry.load(config.plugins).provider(NAME)
        assert provider is not None
        with pytest.raises(ProviderError) as caught:
            await provider.chat(ChatRequest([ChatMessage("user", "hi")], "m"))

    assert caught.value.retryable is True
    assert "(rate-limited): HTTP 429: slow down" in caught.value.message


# -- a whole turn ---------------------------------------------------------------------------


async def test_an_agent_turn_runs_with_the_plugin_provider_as_its_model(
    config: Config, llm_server: FakeLLMServer
) -> None:
    config.llm.provider = f"plugin:{NAME}"
    config.tools.autonomy = "full"
    (config.workspace / "notes.txt").write_text("plugin providers work\n")
    llm_server.reply_json(
        completion(calls=[{"name": "file_read", "arguments": {"path": "notes.txt"}}])
    )
    llm_server.reply_json(completion("The note says: plugin providers work."))

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        result = await runtime.agent.turn("s1", "what does notes.txt say?")

    assert result.reply == "The note says: plugin providers work."
    assert result.stop_reason == "answer"
    (exchange,) = result.exchanges
    assert exchange.result.output == "plugin providers work\n"
    assert result.usage == Usage(24, 6)
    first, second = (request.body for request in llm_server.requests)
    assert any(tool["function"]["name"] == "file_read" for tool in first["tools"])
    tool_message = second["messages"][-1]
    assert tool_message == {
        "role": "tool",
        "content": "plugin providers work\n",
        "tool_call_id": "call_0",
    }
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "file_read"


def test_a_configured_plugin_provider_that_did_not_load_stops_the_runtime(
    config: Config,
) -> None:
    config.llm.provider = f"plugin:{NAME}"
    config.plugins.capabilities.allow = ["config"]  # no http: the plugin fails to load

    with pytest.raises(Exception, match="provider plugin 'openai-compat' is not available"):
        AgentRuntime.from_config(config, approver=AllowApprover())
