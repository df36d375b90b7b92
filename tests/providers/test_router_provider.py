from __future__ import annotations

import pytest

from zeroclaw.messages import ChatMessage
from zeroclaw.providers import ChatRequest, ProviderError, RouterProvider, ScriptedProvider


def request(model: str) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage("user", "hi")], model=model)


def router() -> tuple[RouterProvider, ScriptedProvider, ScriptedProvider]:
    default = ScriptedProvider([{"text": "default"}] * 3, name="default")
    fast = ScriptedProvider([{"text": "fast"}] * 3, name="fast")
    smart = ScriptedProvider([], name="smart")
    return (
        RouterProvider(default, {"fast": (fast, "tiny-1"), "smart": (smart, "big")}),
        default,
        fast,
    )


async def test_hint_goes_to_its_route_with_the_routes_model() -> None:
    provider, default, fast = router()
    response = await provider.chat(request("hint:fast"))
    assert response.text == "fast"
    assert [r.model for r in fast.requests] == ["tiny-1"]
    assert default.requests == []


async def test_hint_routes_streams_too() -> None:
    provider, _, fast = router()
    events = [event async for event in provider.stream(request("hint:fast"))]
    assert events
    assert [r.model for r in fast.requests] == ["tiny-1"]


async def test_other_models_go_to_the_default_unchanged() -> None:
    provider, default, fast = router()
    await provider.chat(request("gpt-x"))
    await provider.chat(request(""))
    assert [r.model for r in default.requests] == ["gpt-x", ""]
    assert fast.requests == []


async def test_unknown_hint_lists_the_known_hints() -> None:
    provider, default, _ = router()
    with pytest.raises(
        ProviderError, match=r"unknown model hint 'slow' \(known hints: fast, smart\)"
    ):
        await provider.chat(request("hint:slow"))
    with pytest.raises(ProviderError, match=r"llm\.routes\.slow"):
        [event async for event in provider.stream(request("hint:slow"))]
    assert default.requests == []
