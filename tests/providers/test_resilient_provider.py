from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from zeroclaw.config.models import RetryConfig
from zeroclaw.messages import ChatMessage
from zeroclaw.providers import (
    MAX_RETRY_AFTER_S,
    AllProvidersFailedError,
    ChatRequest,
    ChatResponse,
    ProviderError,
    ResilientProvider,
    ScriptedProvider,
    StreamEnd,
    StreamEvent,
    TextDelta,
)


class Sleeps:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def error(status: int, message: str = "failed", **extra: Any) -> dict[str, Any]:
    return {"error": {"status": status, "message": message, **extra}}


def request(model: str = "") -> ChatRequest:
    return ChatRequest(messages=[ChatMessage("user", "hi")], model=model)


def retry(attempts: int = 3, initial_ms: int = 100, max_ms: int = 1000) -> RetryConfig:
    return RetryConfig(max_attempts=attempts, initial_backoff_ms=initial_ms, max_backoff_ms=max_ms)


def resilient(*links: tuple[str, Any, str | None], config: RetryConfig, sleeps: Sleeps) -> Any:
    return ResilientProvider(list(links), config, sleep=sleeps, rng=random.Random(7))


async def test_retries_retryable_errors_with_exponential_backoff() -> None:
    primary = ScriptedProvider([error(503), error(429), {"text": "ok"}])
    sleeps = Sleeps()
    provider = resilient(("p", primary, "m"), config=retry(), sleeps=sleeps)
    response = await provider.chat(request())
    assert response.text == "ok"
    assert len(primary.requests) == 3
    first, second = sleeps.waits
    assert 0.1 <= first <= 0.11  # initial backoff, plus at most 10 % jitter
    assert 0.2 <= second <= 0.22  # doubled


async def test_backoff_is_capped() -> None:
    primary = ScriptedProvider([error(500), error(500), error(500), {"text": "ok"}])
    sleeps = Sleeps()
    provider = resilient(("p", primary, None), config=retry(4, 500, 800), sleeps=sleeps)
    await provider.chat(request())
    assert 0.5 <= sleeps.waits[0] <= 0.55
    assert sleeps.waits[1:] == [0.8, 0.8]


async def test_retry_after_is_honoured_as_a_minimum() -> None:
    primary = ScriptedProvider(
        [error(429, retry_after=5), error(429, retry_after=0.001), {"text": "ok"}]
    )
    sleeps = Sleeps()
    await resilient(("p", primary, None), config=retry(), sleeps=sleeps).chat(request())
    assert sleeps.waits[0] == 5
    assert 0.2 <= sleeps.waits[1] <= 0.22  # the backoff is longer than that Retry-After


async def test_retry_after_beyond_the_cap_moves_to_the_next_provider() -> None:
    primary = ScriptedProvider([error(429, retry_after=MAX_RETRY_AFTER_S + 1)])
    fallback = ScriptedProvider([{"text": "from fallback"}])
    sleeps = Sleeps()
    provider = resilient(("p", primary, None), ("f", fallback, None), config=retry(), sleeps=sleeps)
    assert (await provider.chat(request())).text == "from fallback"
    assert sleeps.waits == []
    assert len(primary.requests) == 1


async def test_non_retryable_error_falls_back_at_once_with_the_fallbacks_model() -> None:
    primary = ScriptedProvider([error(400, "bad request")])
    fallback = ScriptedProvider([{"text": "rescued"}])
    sleeps = Sleeps()
    provider = resilient(
        ("p", primary, "p-default"), ("f", fallback, "f-default"), config=retry(), sleeps=sleeps
    )
    response = await provider.chat(request("p-special"))
    assert response.text == "rescued"
    assert sleeps.waits == []
    assert [r.model for r in primary.requests] == ["p-special"]
    assert [r.model for r in fallback.requests] == ["f-default"]


async def test_empty_model_means_each_providers_default() -> None:
    primary = ScriptedProvider([{"text": "ok"}])
    provider = resilient(("p", primary, "p-default"), config=retry(), sleeps=Sleeps())
    await provider.chat(request(""))
    assert primary.requests[0].model == "p-default"


async def test_fallback_without_a_default_model_lets_the_provider_choose() -> None:
    primary = ScriptedProvider([error(401)])
    fallback = ScriptedProvider([{"text": "ok"}])
    provider = resilient(
        ("p", primary, "m"), ("f", fallback, None), config=retry(), sleeps=Sleeps()
    )
    await provider.chat(request("m"))
    assert fallback.requests[0].model == ""


async def test_exhausted_retries_move_to_the_next_provider() -> None:
    primary = ScriptedProvider([error(503), error(503)])
    fallback = ScriptedProvider([{"text": "ok"}])
    sleeps = Sleeps()
    provider = resilient(
        ("p", primary, None), ("f", fallback, None), config=retry(attempts=2), sleeps=sleeps
    )
    assert (await provider.chat(request())).text == "ok"
    assert len(primary.requests) == 2
    assert len(sleeps.waits) == 1


async def test_when_all_fail_the_error_lists_each_providers_last_failure() -> None:
    primary = ScriptedProvider([error(503, "first try"), error(503, "still down")])
    fallback = ScriptedProvider([error(401, "bad key")])
    provider = resilient(
        ("primary", primary, None),
        ("backup", fallback, None),
        config=retry(attempts=2),
        sleeps=Sleeps(),
    )
    with pytest.raises(AllProvidersFailedError) as exc:
        await provider.chat(request())
    message = str(exc.value)
    assert "primary" in message
    assert "still down" in message
    assert "first try" not in message
    assert "backup" in message
    assert "bad key" in message
    assert [name for name, _ in exc.value.failures] == ["primary", "backup"]
    assert exc.value.retryable is False


async def test_stream_retries_before_any_delta() -> None:
    primary = ScriptedProvider([error(503), {"text": "two words"}])
    sleeps = Sleeps()
    provider = resilient(("p", primary, None), config=retry(), sleeps=sleeps)
    events = [event async for event in provider.stream(request())]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "two words"
    assert isinstance(events[-1], StreamEnd)
    assert len(sleeps.waits) == 1


async def test_stream_falls_back_as_chat_does_and_fails_the_same_way() -> None:
    """`stream` runs its own loop of the same policy as `chat`: the fallback gets its own
    model, and when every provider failed, the error lists each one."""
    primary = ScriptedProvider([error(400, "bad request")])
    fallback = ScriptedProvider([{"text": "rescued"}])
    provider = resilient(
        ("p", primary, None), ("f", fallback, "f-default"), config=retry(), sleeps=Sleeps()
    )
    events = [event async for event in provider.stream(request("p-special"))]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "rescued"
    assert [r.model for r in primary.requests] == ["p-special"]
    assert [r.model for r in fallback.requests] == ["f-default"]

    down = resilient(
        ("primary", ScriptedProvider([error(401, "no key")]), None),
        ("backup", ScriptedProvider([error(400, "bad key")]), None),
        config=retry(),
        sleeps=Sleeps(),
    )
    with pytest.raises(AllProvidersFailedError) as exc:
        await drain(down.stream(request()), [])
    assert [name for name, _ in exc.value.failures] == ["primary", "backup"]


async def test_a_request_goes_as_it_is_when_its_model_is_already_the_one() -> None:
    primary = ScriptedProvider([{"text": "ok"}])
    provider = resilient(("p", primary, "p-default"), config=retry(), sleeps=Sleeps())
    asked = request("p-special")
    await provider.chat(asked)
    assert primary.requests[0] is asked


async def drain(events: AsyncIterator[StreamEvent], seen: list[StreamEvent]) -> None:
    async for event in events:
        seen.append(event)


class FailsMidStream:
    """Streams one delta, then fails with a retryable error."""

    name = "mid"

    def __init__(self) -> None:
        self.calls = 0

    async def chat(self, request: ChatRequest) -> ChatResponse:
        raise AssertionError("not used")

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.calls += 1
        yield TextDelta("partial ")
        raise ProviderError("connection dropped", provider=self.name, retryable=True)


async def test_stream_does_not_retry_or_fall_back_after_a_delta() -> None:
    primary = FailsMidStream()
    fallback = ScriptedProvider([{"text": "never"}])
    sleeps = Sleeps()
    provider = resilient(("p", primary, None), ("f", fallback, None), config=retry(), sleeps=sleeps)
    seen: list[StreamEvent] = []
    with pytest.raises(ProviderError, match="connection dropped"):
        await drain(provider.stream(request()), seen)
    assert seen == [TextDelta("partial ")]
    assert primary.calls == 1
    assert fallback.requests == []
    assert sleeps.waits == []


def test_a_chain_needs_a_provider() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ResilientProvider([], retry())


async def test_a_chain_of_one_raises_its_providers_own_error() -> None:
    only = ScriptedProvider([error(401, "bad key")], name="solo")
    provider = resilient(("solo", only, None), config=retry(), sleeps=Sleeps())
    with pytest.raises(ProviderError) as exc:
        await provider.chat(request())
    assert not isinstance(exc.value, AllProvidersFailedError)
    assert (exc.value.status, exc.value.provider) == (401, "solo")
    assert "bad key" in exc.value.message
