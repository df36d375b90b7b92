"""Retries and fallbacks around a chain of providers.

The policy lives in `ResilientProvider.chat` (a whole answer) and `stream` (a streamed
one): one loop each, the same steps, with the request of each provider (`_for_link`), the
retry decision (`_delay`) and the final error (`_all_failed`) shared. `chat` is a plain
loop rather than `stream` collected: it is on every model call of every turn, and the
async generators cost more than the rest of this wrapper.

- each provider of the chain gets up to `retry.max_attempts` tries; only a retryable
  `ProviderError` (429, 5xx, timeout, connection) is tried again, after an exponential
  backoff (`initial_backoff_ms`, doubling, at most `max_backoff_ms`, plus up to 10 % jitter);
- a server's Retry-After is honoured: the wait is at least that long. A Retry-After longer
  than `MAX_RETRY_AFTER_S` means "not soon": we move on to the next provider instead of
  sleeping that long or retrying too early;
- a non-retryable error, or the last try, moves on to the next provider. The primary gets
  the request's model; a fallback gets its own default model (another provider does not
  know the primary's model names);
- when every provider failed, `AllProvidersFailedError` lists each one's last failure (a
  chain of one raises that provider's last error as it is);
- streaming: once a text delta has reached the caller, a failure is raised as it is, since
  a retry would repeat text the caller already has.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from zeroclaw.config.models import RetryConfig
from zeroclaw.providers.base import (
    ChatRequest,
    ChatResponse,
    Provider,
    ProviderError,
    StreamEvent,
    TextDelta,
)
from zeroclaw.providers.options import honoured

MAX_RETRY_AFTER_S = 60.0
JITTER = 0.1

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One provider of the chain and the model it asks for: always for a fallback, and for
    the primary when the request names none (None: the provider's own default)."""

    name: str
    provider: Provider
    model: str | None = None


class AllProvidersFailedError(ProviderError):
    """Every provider of the chain failed; `failures` holds each one's last error."""

    def __init__(self, failures: Sequence[tuple[str, ProviderError]]) -> None:
        lines = "\n".join(f"  - {error.message}" for _, error in failures)
        hint = next((error.hint for _, error in failures if error.hint), None)
        names = " -> ".join(name for name, _ in failures)
        super().__init__(f"every provider failed:\n{lines}", provider=names, hint=hint)
        self.failures = list(failures)


class ResilientProvider:
    def __init__(
        self,
        chain: Sequence[ChainLink | tuple[str, Provider, str | None]],
        retry: RetryConfig,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not chain:
            raise ValueError("a ResilientProvider needs at least one provider")
        self._chain = [link if isinstance(link, ChainLink) else ChainLink(*link) for link in chain]
        self._retry = retry
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.name = self._chain[0].name

    def honoured_options(self, model: str) -> frozenset[str]:
        """What every provider of the chain honours: any of them may end up answering."""
        able = honoured(self._chain[0].provider, model or self._chain[0].model or "")
        for link in self._chain[1:]:
            able &= honoured(link.provider, link.model or "")
        return able

    async def chat(self, request: ChatRequest) -> ChatResponse:
        failures: list[tuple[str, ProviderError]] = []
        for position, link in enumerate(self._chain):
            attempt_request = _for_link(request, position, link)
            for attempt in range(1, self._retry.max_attempts + 1):
                try:
                    return await link.provider.chat(attempt_request)
                except ProviderError as error:
                    delay = self._delay(error, attempt)
                    if delay is None:
                        failures.append((link.name, error))
                        break
                    await self._sleep(delay)
        raise _all_failed(failures)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        failures: list[tuple[str, ProviderError]] = []
        for position, link in enumerate(self._chain):
            attempt_request = _for_link(request, position, link)
            for attempt in range(1, self._retry.max_attempts + 1):
                text_sent = False
                try:
                    async for event in link.provider.stream(attempt_request):
                        text_sent = text_sent or isinstance(event, TextDelta)
                        yield event
                    return
                except ProviderError as error:
                    if text_sent:
                        raise
                    delay = self._delay(error, attempt)
                    if delay is None:
                        failures.append((link.name, error))
                        break
                    await self._sleep(delay)
        raise _all_failed(failures)

    def _delay(self, error: ProviderError, attempt: int) -> float | None:
        """Seconds to wait before trying the same provider again; None to move on."""
        if not error.retryable or attempt >= self._retry.max_attempts:
            return None
        if error.retry_after is not None and error.retry_after > MAX_RETRY_AFTER_S:
            return None
        base = self._retry.initial_backoff_ms * 2.0 ** (attempt - 1)
        jittered = base * (1 + self._rng.uniform(0, JITTER))
        backoff = min(jittered, self._retry.max_backoff_ms) / 1000
        return max(backoff, error.retry_after or 0.0)


def _for_link(request: ChatRequest, position: int, link: ChainLink) -> ChatRequest:
    """The primary gets the request's model (or its own default); a fallback its own."""
    wants = request.model if position == 0 else ""
    model = wants or link.model or ""
    # Most often the model asked for already: no copy of the request to make.
    return request if model == request.model else replace(request, model=model)


def _all_failed(failures: list[tuple[str, ProviderError]]) -> ProviderError:
    if len(failures) == 1:
        return failures[0][1]  # one provider: its own error says it best
    return AllProvidersFailedError(failures)
