from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_llm_server import FakeLLMServer

from zeroclaw.config.models import LLMConfig, ProviderConfig, RetryConfig, RouteConfig
from zeroclaw.messages import ChatMessage
from zeroclaw.providers import (
    NATIVE_KINDS,
    ChatRequest,
    MissingCredentialsError,
    OfflineProvider,
    Provider,
    ProviderFactory,
    ScriptedProvider,
    UnknownProviderError,
    build_provider,
)
from zeroclaw.providers.anthropic_native import AnthropicProvider
from zeroclaw.providers.openai_compat import OpenAIProvider


def request(model: str = "") -> ChatRequest:
    return ChatRequest(messages=[ChatMessage("user", "hi")], model=model)


def script(tmp_path: Path, name: str, entries: list[dict[str, Any]]) -> ProviderConfig:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(entries))
    return ProviderConfig(kind="scripted", script=path, model=f"{name}-default")


class Resolver:
    """A stand-in for the plugin runtime: knows some plugin providers, records lookups."""

    def __init__(self, known: dict[str, Provider]) -> None:
        self.known = known
        self.asked: list[str] = []

    def __call__(self, name: str) -> Provider | None:
        self.asked.append(name)
        return self.known.get(name)


def test_native_kinds_cover_every_config_kind() -> None:
    assert set(NATIVE_KINDS) == {"offline", "scripted", "openai", "anthropic"}


def test_native_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk")
    factory = ProviderFactory(LLMConfig())
    assert isinstance(factory.create("offline"), OfflineProvider)
    openai = factory.create("openai")
    assert isinstance(openai, OpenAIProvider)
    assert openai.base_url == "https://api.openai.com/v1"
    assert isinstance(factory.create("anthropic"), AnthropicProvider)
    ollama = factory.create("ollama")
    assert isinstance(ollama, OpenAIProvider)
    assert ollama.base_url == "http://127.0.0.1:11434/v1"
    assert factory.create("openai") is openai  # one instance (and connection pool) per name


def test_custom_openai_kind_entry() -> None:
    config = LLMConfig(
        providers={
            "local": ProviderConfig(
                kind="openai", base_url="http://127.0.0.1:1234/v1", model="qwen"
            )
        }
    )
    factory = ProviderFactory(config)
    local = factory.create("local")
    assert isinstance(local, OpenAIProvider)
    assert (local.name, local.base_url) == ("local", "http://127.0.0.1:1234/v1")
    assert factory.default_model("local") == "qwen"


def test_default_model_prefers_llm_model_for_the_default_provider_only() -> None:
    factory = ProviderFactory(LLMConfig(provider="openai", model="gpt-special"))
    assert factory.default_model("openai") == "gpt-special"
    assert factory.default_model("anthropic") == "claude-sonnet-4-5"
    assert factory.default_model("plugin:x") is None


def test_plugin_prefix_goes_to_the_resolver_even_for_a_native_name() -> None:
    plugin_provider = OfflineProvider("from-plugin")
    resolver = Resolver({"x": plugin_provider, "offline": plugin_provider})
    factory = ProviderFactory(LLMConfig(), plugin_resolver=resolver)
    assert factory.create("plugin:x") is plugin_provider
    assert factory.create("plugin:offline") is plugin_provider
    assert resolver.asked == ["x", "offline"]


def test_bare_names_no_native_provider_claims_go_to_the_resolver() -> None:
    plugin_provider = OfflineProvider("from-plugin")
    resolver = Resolver({"mistral": plugin_provider})
    factory = ProviderFactory(LLMConfig(), plugin_resolver=resolver)
    assert factory.create("mistral") is plugin_provider
    assert isinstance(factory.create("offline"), OfflineProvider)
    assert resolver.asked == ["mistral"]  # native first: never asked about "offline"


def test_unknown_name_lists_the_known_names() -> None:
    resolver = Resolver({})
    factory = ProviderFactory(LLMConfig(), plugin_resolver=resolver)
    with pytest.raises(UnknownProviderError) as exc:
        factory.create("opneai")
    assert "'opneai'" in exc.value.message
    assert "anthropic, offline, ollama, openai, openrouter" in exc.value.message
    assert "[llm.providers.opneai]" in (exc.value.hint or "")
    assert resolver.asked == ["opneai"]


def test_without_a_resolver_plugin_names_say_how_to_enable_plugins() -> None:
    factory = ProviderFactory(LLMConfig())
    with pytest.raises(UnknownProviderError) as exc:
        factory.create("plugin:x")
    assert "plugins.enabled = true" in (exc.value.hint or "")
    with pytest.raises(UnknownProviderError, match="known providers"):
        factory.create("nope")


def test_missing_key_is_reported_when_the_provider_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingCredentialsError, match="OPENAI_API_KEY"):
        build_provider(LLMConfig(provider="offline", fallbacks=["openai"]))


async def test_default_runtime_provider_is_offline() -> None:
    response = await build_provider(LLMConfig()).chat(request())
    assert "not a language model" in (response.text or "")
    assert response.model == "offline"


async def test_built_provider_resolves_models_and_falls_back(tmp_path: Path) -> None:
    config = LLMConfig(
        provider="flaky",
        model="big",
        fallbacks=["backup"],
        retry=RetryConfig(max_attempts=2, initial_backoff_ms=10, max_backoff_ms=10),
        providers={
            "flaky": script(tmp_path, "flaky", [{"error": {"status": 503, "message": "down"}}] * 2),
            "backup": script(tmp_path, "backup", [{"text": "from backup"}]),
        },
    )
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    provider = build_provider(config, sleep=sleep)
    response = await provider.chat(request())
    assert response.text == "from backup"
    assert response.model == "backup-default"  # the fallback's own model, not llm.model
    assert len(waits) == 1


async def test_built_provider_routes_hints(tmp_path: Path) -> None:
    config = LLMConfig(
        routes={"fast": RouteConfig(provider="quick", model="tiny")},
        providers={"quick": script(tmp_path, "quick", [{"text": "quick answer"}])},
    )
    response = await build_provider(config).chat(request("hint:fast"))
    assert (response.text, response.model) == ("quick answer", "tiny")


async def test_built_provider_reaches_plugin_providers(tmp_path: Path) -> None:
    plugin = ScriptedProvider([{"text": "from plugin"}], name="plugin:echo")
    config = LLMConfig(provider="plugin:echo")
    provider = build_provider(config, plugin_resolver=Resolver({"echo": plugin}))
    assert (await provider.chat(request())).text == "from plugin"
    assert plugin.requests[0].model == ""  # a plugin provider picks its own default


async def test_custom_openai_entry_end_to_end(
    llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_KEY", "k-local")
    config = LLMConfig(
        provider="local",
        providers={
            "local": ProviderConfig(
                kind="openai",
                base_url=f"{llm_server.url}/v1",
                api_key_env="LOCAL_KEY",
                model="qwen",
            )
        },
    )
    llm_server.reply_json(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "qwen",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "hi!"},
                    "finish_reason": "stop",
                }
            ],
        }
    )
    response = await build_provider(config).chat(request())
    assert response.text == "hi!"
    assert llm_server.requests[0].body["model"] == "qwen"
    assert llm_server.requests[0].headers["authorization"] == "Bearer k-local"
