"""The Provider protocol: one chat call to a language model, whole or streamed.

A provider turns a `ChatRequest` into a `ChatResponse` (text and/or tool calls, usage).
`stream` yields `TextDelta` events as text arrives and ends with exactly one `StreamEnd`
that carries the complete response, so callers never reassemble tool calls themselves.
What a request may ask of the model beyond its messages (`ChatOptions`) and which of it a
provider honours are in `options.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from zeroclaw.errors import ZeroClawError
from zeroclaw.messages import ChatMessage, ToolCall, ToolSpec, Usage
from zeroclaw.named_env import NamedEnv
from zeroclaw.providers.options import ChatOptions

FinishReason = Literal["stop", "tool_calls", "length", "error"]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    messages: Sequence[ChatMessage]
    model: str
    tools: Sequence[ToolSpec] = ()
    options: ChatOptions = field(default_factory=ChatOptions)


@dataclass(frozen=True, slots=True)
class ChatResponse:
    text: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: FinishReason = "stop"


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    response: ChatResponse


StreamEvent = TextDelta | StreamEnd


@runtime_checkable
class Provider(Protocol):
    """A language model behind some wire format."""

    name: str

    async def chat(self, request: ChatRequest) -> ChatResponse: ...

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]: ...


class ProviderError(ZeroClawError):
    """A provider call failed.

    `retryable` marks failures worth trying again (429, 5xx, timeouts, connection errors);
    `retry_after` is the server's Retry-After in seconds, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(f"provider {provider!r}: {message}", hint=hint)
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class MissingCredentialsError(ProviderError):
    """The provider needs an API key and its variable is set neither in the environment
    nor in the .env file."""

    def __init__(self, provider: str, env_var: str) -> None:
        super().__init__(
            f"no API key: environment variable {env_var} is not set",
            provider=provider,
            hint=f"export {env_var}=..., or put it in the .env file beside the config "
            "(or choose another provider with llm.provider)",
        )
        self.env_var = env_var


async def stream_whole(provider: Provider, request: ChatRequest) -> AsyncIterator[StreamEvent]:
    """A `stream` for providers that only answer whole: one delta, then the end."""
    response = await provider.chat(request)
    if response.text:
        yield TextDelta(response.text)
    yield StreamEnd(response)


def read_api_key(provider: str, env_var: str, env: NamedEnv) -> str:
    """The API key held by `env_var` (read through `env`, the config's); a missing or empty
    variable is a clear error."""
    key = env.getenv(env_var)
    if not key:
        raise MissingCredentialsError(provider, env_var)
    return key


def model_to_ask(provider: str, model: str | None) -> str:
    """The model a request names, or a clear error when neither it nor the config has one."""
    if not model:
        raise ProviderError(
            "no model to ask for",
            provider=provider,
            hint=f"set llm.model or llm.providers.{provider}.model",
        )
    return model
