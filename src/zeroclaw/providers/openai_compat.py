"""The OpenAI chat-completions wire format, over the official `openai` SDK.

Any OpenAI-compatible server works through `base_url`: OpenAI, OpenRouter, vLLM,
llama.cpp, LM Studio, Ollama (`/v1`). The SDK's own retries are off (`max_retries=0`):
`ResilientProvider` retries, with one policy for every provider.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from openai import AsyncOpenAI
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionAssistantMessageParam,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
)

from zeroclaw.config.models import ProviderConfig
from zeroclaw.messages import ChatMessage, ToolCall, ToolSpec, Usage
from zeroclaw.named_env import ENVIRONMENT_ONLY, NamedEnv
from zeroclaw.providers.base import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    ProviderError,
    StreamEnd,
    StreamEvent,
    TextDelta,
    model_to_ask,
    read_api_key,
)
from zeroclaw.providers.http_errors import sdk_error
from zeroclaw.providers.options import EVERY_OPTION, ChatOptions
from zeroclaw.tool_arguments import arguments_to_wire, parse_tool_arguments

_T = TypeVar("_T")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, llama.cpp, vLLM) need no key, but the SDK insists on one.
PLACEHOLDER_API_KEY = "zeroclaw-no-key"


class OpenAIProvider:
    """Chat completions against an OpenAI-compatible server."""

    def __init__(
        self, name: str, config: ProviderConfig, *, env: NamedEnv = ENVIRONMENT_ONLY
    ) -> None:
        self.name = name
        self.default_model = config.model or ""
        self.base_url = config.base_url or DEFAULT_BASE_URL
        self._timeout_s = config.timeout_s
        api_key = read_api_key(name, config.api_key_env, env) if config.api_key_env else None
        self._client = AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_API_KEY,
            base_url=self.base_url,
            timeout=config.timeout_s,
            max_retries=0,
        )

    def honoured_options(self, model: str) -> frozenset[str]:
        # The server decides what it supports; whatever it refuses comes back as its 400.
        return EVERY_OPTION

    async def chat(self, request: ChatRequest) -> ChatResponse:
        model = self._model(request)
        try:
            completion = await self._client.chat.completions.create(
                model=model,
                messages=to_openai_messages(request.messages),
                tools=to_openai_tools(request.tools) if request.tools else openai.omit,
                **to_openai_options(request.options, tools=bool(request.tools)),
            )
        except openai.APIError as exc:
            raise self._error(exc) from exc
        return self._response(completion, model)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        model = self._model(request)
        text: list[str] = []
        calls: dict[int, _PartialCall] = {}
        usage = Usage()
        finish: str | None = None
        try:
            chunks = await self._client.chat.completions.create(
                model=model,
                messages=to_openai_messages(request.messages),
                tools=to_openai_tools(request.tools) if request.tools else openai.omit,
                **to_openai_options(request.options, tools=bool(request.tools)),
                stream=True,
                stream_options={"include_usage": True},
            )
            async with chunks:
                async for chunk in chunks:
                    if chunk.usage is not None:
                        usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    for choice in chunk.choices[:1]:
                        delta = choice.delta
                        if delta.content:
                            text.append(delta.content)
                            yield TextDelta(delta.content)
                        # A tool call arrives in pieces; `index` says which call a piece extends.
                        for piece in delta.tool_calls or ():
                            partial = calls.setdefault(piece.index, _PartialCall())
                            partial.id = partial.id or piece.id or ""
                            if piece.function is not None:
                                partial.name = partial.name or piece.function.name or ""
                                partial.arguments += piece.function.arguments or ""
                        finish = choice.finish_reason or finish
        except openai.APIError as exc:
            raise self._error(exc) from exc
        tool_calls = tuple(
            ToolCall(
                partial.id or f"call_{index}", partial.name, parse_tool_arguments(partial.arguments)
            )
            for index, partial in sorted(calls.items())
        )
        yield StreamEnd(
            ChatResponse(
                text="".join(text) or None,
                tool_calls=tool_calls,
                usage=usage,
                model=model,
                finish_reason=_finish_reason(finish, bool(tool_calls)),
            )
        )

    def _model(self, request: ChatRequest) -> str:
        return model_to_ask(self.name, request.model or self.default_model)

    def _response(self, completion: ChatCompletion, model: str) -> ChatResponse:
        if not completion.choices:
            raise ProviderError("the server answered without any choice", provider=self.name)
        choice = completion.choices[0]
        calls = tuple(
            ToolCall(call.id, call.function.name, parse_tool_arguments(call.function.arguments))
            for call in choice.message.tool_calls or ()
            if call.type == "function"
        )
        usage = completion.usage
        return ChatResponse(
            text=choice.message.content or None,
            tool_calls=calls,
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else Usage(),
            model=completion.model or model,
            finish_reason=_finish_reason(choice.finish_reason, bool(calls)),
        )

    def _error(self, exc: openai.APIError) -> ProviderError:
        return sdk_error(
            openai, exc, provider=self.name, timeout_s=self._timeout_s, where=self.base_url
        )


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


def to_openai_messages(messages: Sequence[ChatMessage]) -> list[ChatCompletionMessageParam]:
    return [_to_openai_message(message) for message in messages]


def _to_openai_message(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "user":
        return {"role": "user", "content": message.content}
    if message.role == "tool":
        return {
            "role": "tool",
            "content": message.content,
            "tool_call_id": message.tool_call_id or "",
        }
    assistant: ChatCompletionAssistantMessageParam = {
        "role": "assistant",
        # Servers reject an empty string next to tool calls; null is the documented form.
        "content": message.content or None,
    }
    if message.tool_calls:
        assistant["tool_calls"] = [_to_openai_call(call) for call in message.tool_calls]
    return assistant


def _to_openai_call(call: ToolCall) -> ChatCompletionMessageFunctionToolCallParam:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": arguments_to_wire(call)},
    }


def to_openai_tools(tools: Iterable[ToolSpec]) -> list[ChatCompletionFunctionToolParam]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in tools
    ]


def to_openai_options(options: ChatOptions, *, tools: bool) -> dict[str, Any]:
    """The request's options as `chat.completions.create` arguments (unset: left out)."""
    wire: dict[str, Any] = {
        "temperature": _given(options.temperature),
        "top_p": _given(options.top_p),
        # `max_tokens`, not `max_completion_tokens`: every compatible server knows it.
        "max_tokens": _given(options.max_tokens),
        "stop": list(options.stop) if options.stop else openai.omit,
        "seed": _given(options.seed),
        "presence_penalty": _given(options.presence_penalty),
        "frequency_penalty": _given(options.frequency_penalty),
    }
    fmt = options.response_format
    if fmt is not None and fmt.type == "json_schema" and fmt.schema is not None:
        wire["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": fmt.name, "schema": dict(fmt.schema), "strict": fmt.strict},
        }
    elif fmt is not None:
        wire["response_format"] = {"type": "json_object"}
    choice = options.tool_choice
    if choice is not None and tools:
        wire["tool_choice"] = (
            {"type": "function", "function": {"name": choice.function}}
            if choice.function
            else "required"
        )
    return wire


def _finish_reason(reason: str | None, has_tool_calls: bool) -> FinishReason:
    # Some compatible servers say "stop" next to tool calls; the calls are what counts.
    if has_tool_calls:
        return "tool_calls"
    if reason == "length":
        return "length"
    if reason == "content_filter":
        return "error"
    return "stop"


def _given(value: _T | None) -> _T | openai.Omit:
    return openai.omit if value is None else value
