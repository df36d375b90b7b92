"""Provider plugins as providers: a real WAT component answering chat, resolved by the
provider factory (native names first, then plugin:NAME and bare names no native provider
claims), wrapped by the resilient and router wrappers like any provider."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig, RouteConfig
from zeroclaw.hooks import Event, ModelResolve, hook
from zeroclaw.messages import ChatMessage, ToolSpec, Usage
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.providers import (
    AllProvidersFailedError,
    ChatRequest,
    ProviderError,
    ProviderFactory,
    StreamEnd,
    TextDelta,
    UnknownProviderError,
    build_provider,
)

from .conftest import MakeProviderPlugin

MESSAGES = (ChatMessage("system", "be brief"), ChatMessage("user", "hi"))


@pytest.fixture
def registry(config: Config) -> Iterator[PluginRegistry]:
    with PluginRegistry.for_config(config) as registry:
        yield registry


@pytest.fixture
def snapshot(
    make_provider_plugin: MakeProviderPlugin, registry: PluginRegistry, config: Config
) -> PluginSnapshot:
    make_provider_plugin("fixed", "provider_fixed")
    make_provider_plugin("down", "provider_down")
    make_provider_plugin("trapping", "provider_info")  # its chat traps
    make_provider_plugin("guard", "hook_guard", package="zeroclaw:hooks@1.0.0")
    return registry.load(config.plugins)


async def no_sleep(_: float) -> None:
    return None


def request(model: str = "", **options: object) -> ChatRequest:
    return ChatRequest(messages=MESSAGES, model=model, **options)  # type: ignore[arg-type]


async def test_a_provider_plugin_answers_chat(snapshot: PluginSnapshot) -> None:
    provider = snapshot.provider("fixed")
    assert provider is not None
    tools = [ToolSpec("echo", "Echoes", {"type": "object"})]

    response = await provider.chat(ChatRequest(MESSAGES, "fixed-2", tools))

    assert provider.name == "plugin:fixed"
    assert response.text == "hello from wasm"
    assert response.usage == Usage(2, 1)  # the fixture reports (messages, tools) it got
    assert response.model == "fixed-2"
    assert (response.tool_calls, response.finish_reason) == ((), "stop")


async def test_an_empty_model_is_the_plugins_default_model(snapshot: PluginSnapshot) -> None:
    provider = snapshot.provider("fixed")
    assert provider is not None

    response = await provider.chat(request())

    assert response.model == "fixed-1"


async def test_stream_is_the_whole_answer_at_once(snapshot: PluginSnapshot) -> None:
    provider = snapshot.provider("fixed")
    assert provider is not None

    events = [event async for event in provider.stream(request())]

    assert events[0] == TextDelta("hello from wasm")
    assert isinstance(events[1], StreamEnd)
    assert events[1].response.text == "hello from wasm"


async def test_a_provider_error_of_the_plugin_is_a_provider_error(
    snapshot: PluginSnapshot,
) -> None:
    provider = snapshot.provider("down")
    assert provider is not None

    with pytest.raises(ProviderError) as caught:
        await provider.chat(request())

    assert caught.value.retryable is True  # unavailable: worth retrying
    assert caught.value.message == (
        "provider 'plugin:down': the API is unavailable (unavailable): down for maintenance"
    )


async def test_a_trapping_provider_plugin_is_a_provider_error_not_a_crash(
    snapshot: PluginSnapshot,
) -> None:
    provider = snapshot.provider("trapping")
    assert provider is not None

    with pytest.raises(ProviderError) as caught:
        await provider.chat(request())

    assert caught.value.retryable is False
    assert "plugin 'trapping' trapped in chat" in caught.value.message


async def test_an_answer_over_the_cap_is_cut_with_the_tool_output_marker(
    make_provider_plugin: MakeProviderPlugin,
    registry: PluginRegistry,
    config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_provider_plugin("huge", "provider_huge")
    provider = registry.load(config.plugins).provider("huge")
    assert provider is not None
    cap = config.plugins.limits.max_answer_bytes

    response = await provider.chat(request("text"))

    assert response.text is not None
    assert response.text.startswith("a" * 1000)
    assert response.text.endswith(
        f"[... truncated: showing {cap} of 2000000 bytes] (plugins.limits.max_answer_bytes)"
    )
    assert len(response.text.encode()) < cap + 100
    assert "plugin 'huge' answered 2,000,000 bytes of text; cut to 1,048,576" in caplog.text


async def test_tool_call_arguments_over_the_cap_fail_the_call_naming_size_and_cap(
    make_provider_plugin: MakeProviderPlugin, registry: PluginRegistry, config: Config
) -> None:
    make_provider_plugin("huge", "provider_huge")
    snapshot = registry.load(config.plugins)
    provider = snapshot.provider("huge")
    assert provider is not None

    with pytest.raises(ProviderError) as caught:
        await provider.chat(request("tools"))

    assert caught.value.retryable is False
    assert (
        "plugin 'huge' returned an unusable result in chat: the arguments of tool call 'echo' "
        "are 2,000,000 bytes, over the cap of 1,048,576 bytes "
        "(plugins.limits.max_answer_bytes)"
    ) in caught.value.message
    assert "raise plugins.limits.max_answer_bytes" in (caught.value.hint or "")
    plugin = snapshot.plugins["huge"]
    assert plugin.calls.breaker_status().consecutive_failures == 1  # counted against it


# -- resolving names ------------------------------------------------------------------------


def test_plugin_prefix_and_bare_names_resolve_to_plugins(
    snapshot: PluginSnapshot, config: Config
) -> None:
    factory = ProviderFactory(config.llm, plugin_resolver=snapshot.provider)

    assert factory.create("plugin:fixed").name == "plugin:fixed"
    assert factory.create("fixed").name == "plugin:fixed"
    assert factory.create("offline").name == "offline"  # native


def test_a_native_provider_wins_over_a_plugin_of_the_same_name(
    make_provider_plugin: MakeProviderPlugin, registry: PluginRegistry, config: Config
) -> None:
    make_provider_plugin("offline", "provider_fixed")
    snapshot = registry.load(config.plugins)
    factory = ProviderFactory(config.llm, plugin_resolver=snapshot.provider)

    assert factory.create("offline").name == "offline"
    assert factory.create("plugin:offline").name == "plugin:offline"


def test_names_that_are_not_providers_are_clear_errors(
    snapshot: PluginSnapshot, config: Config
) -> None:
    factory = ProviderFactory(config.llm, plugin_resolver=snapshot.provider)

    with pytest.raises(UnknownProviderError, match="unknown provider 'plugin:nope'"):
        factory.create("plugin:nope")
    with pytest.raises(UnknownProviderError, match="plugin 'guard' is not a provider plugin"):
        factory.create("plugin:guard")


def test_a_provider_plugin_that_failed_to_load_is_named_with_its_error(
    make_provider_plugin: MakeProviderPlugin, registry: PluginRegistry, config: Config
) -> None:
    # a provider plugin built as a tools component: its exports do not match
    make_provider_plugin("broken", "tool_echo")
    snapshot = registry.load(config.plugins)
    factory = ProviderFactory(config.llm, plugin_resolver=snapshot.provider)

    with pytest.raises(UnknownProviderError) as caught:
        factory.create("plugin:broken")

    assert "provider plugin 'broken' is not available: it failed to load" in caught.value.message


# -- the wrappers ---------------------------------------------------------------------------


async def test_a_failing_plugin_provider_falls_back_to_a_native_one(
    snapshot: PluginSnapshot, config: Config, tmp_path: Path
) -> None:
    config.llm.provider = "plugin:down"
    config.llm.fallbacks = ["offline"]
    config.llm.retry.max_attempts = 2
    provider = build_provider(config.llm, plugin_resolver=snapshot.provider, sleep=no_sleep)

    response = await provider.chat(request())

    assert provider.name == "plugin:down"
    assert response.text is not None
    assert "offline" in response.text.lower()
    down = snapshot.plugins["down"].calls.stats()
    assert down.calls == 2  # tried twice (unavailable is retried), then the fallback


async def test_a_trapping_plugin_provider_falls_back_without_retrying(
    snapshot: PluginSnapshot, config: Config
) -> None:
    config.llm.provider = "trapping"
    config.llm.fallbacks = ["offline"]
    provider = build_provider(config.llm, plugin_resolver=snapshot.provider, sleep=no_sleep)

    await provider.chat(request())

    assert snapshot.plugins["trapping"].calls.stats().calls == 1


async def test_when_every_provider_fails_each_failure_is_listed(
    snapshot: PluginSnapshot, config: Config, tmp_path: Path
) -> None:
    script = tmp_path / "script.json"
    script.write_text('[{"error": {"status": 401, "message": "bad key"}}]')
    config.llm.providers["broken"] = ProviderConfig(kind="scripted", script=script)
    config.llm.provider = "broken"
    config.llm.fallbacks = ["plugin:trapping"]
    provider = build_provider(config.llm, plugin_resolver=snapshot.provider, sleep=no_sleep)

    with pytest.raises(AllProvidersFailedError) as caught:
        await provider.chat(request())

    assert [name for name, _ in caught.value.failures] == ["broken", "plugin:trapping"]


async def test_a_router_sends_a_hint_to_a_plugin_provider(
    snapshot: PluginSnapshot, config: Config
) -> None:
    config.llm.provider = "offline"
    config.llm.routes = {"wasm": RouteConfig(provider="plugin:fixed", model="fixed-large")}
    provider = build_provider(config.llm, plugin_resolver=snapshot.provider, sleep=no_sleep)

    routed = await provider.chat(request("hint:wasm"))
    default = await provider.chat(request("offline"))

    assert (routed.text, routed.model) == ("hello from wasm", "fixed-large")
    assert default.text != "hello from wasm"


def test_with_plugins_off_a_plugin_name_is_refused_as_before(config: Config) -> None:
    config.plugins.enabled = False
    config.llm.provider = "plugin:fixed"

    with pytest.raises(UnknownProviderError, match="would come from a plugin, and plugins are off"):
        build_provider(config.llm)


# -- in the agent ---------------------------------------------------------------------------


async def test_a_turn_runs_on_a_plugin_provider_named_by_llm_provider(
    make_provider_plugin: MakeProviderPlugin, config: Config
) -> None:
    make_provider_plugin("fixed", "provider_fixed")
    config.llm.provider = "plugin:fixed"

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        result = await runtime.agent.turn("s1", "hello?")

    assert result.reply == "hello from wasm"
    assert result.usage.output_tokens > 0  # the fixture reports the tools it was offered


async def test_before_model_resolve_may_switch_a_turn_to_a_plugin_provider(
    make_provider_plugin: MakeProviderPlugin, config: Config
) -> None:
    make_provider_plugin("fixed", "provider_fixed")

    def to_plugin(choice: ModelResolve) -> ModelResolve:
        return ModelResolve(choice.session_id, "plugin:fixed", "fixed-9")

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        runtime.hooks.register(hook(Event.BEFORE_MODEL_RESOLVE, name="switch")(to_plugin))
        result = await runtime.agent.turn("s1", "hello?")

    assert runtime.provider.name == "offline"
    assert result.reply == "hello from wasm"


async def test_each_snapshot_builds_its_own_provider_chain(
    make_provider_plugin: MakeProviderPlugin, config: Config, plugins_dir: Path
) -> None:
    make_provider_plugin("fixed", "provider_fixed")
    config.llm.provider = "fixed"

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        registry = runtime.plugins
        assert registry is not None
        before = runtime.live_providers()
        assert runtime.live_providers() is before
        registry.publish(registry.build(config.plugins))
        after = runtime.live_providers()
        answer = await before.default.chat(request())  # the old chain still answers

    assert after is not before
    assert after.default.name == before.default.name == "fixed"
    assert answer.text == "hello from wasm"


async def test_a_reload_that_drops_the_configured_provider_plugin_is_rolled_back(
    make_provider_plugin: MakeProviderPlugin, config: Config, plugins_dir: Path
) -> None:
    make_provider_plugin("fixed", "provider_fixed")
    config.llm.provider = "plugin:fixed"

    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        assert runtime.reloader is not None
        shutil.rmtree(plugins_dir / "fixed")

        report = runtime.reloader.reload("test")
        result = await runtime.agent.turn("s1", "still there?")

    assert not report.swapped
    assert "plugin:fixed" in (report.reason or "")
    assert result.reply == "hello from wasm"
