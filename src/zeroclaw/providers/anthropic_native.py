"""The Anthropic Messages wire format, over the official `anthropic` SDK.

The Messages API shapes a conversation differently from ours: the system prompt is a
field of its own, tool results are `tool_result` blocks inside a user message, tool calls
are `tool_use` blocks inside an assistant message, and roles must alternate (consecutive
messages of one role are merged). The SDK's own retries are off: `ResilientProvider`
retries, with one policy for every provider.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types import (
    Message,
    MessageParam,
    TextBlockParam,
    ToolChoiceParam,
    ToolParam,
    ToolResultBlockParam,
    ToolUseBlockParam,
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
from zeroclaw.tool_arguments import parse_tool_arguments

DEFAULT_API_KEY_ENV = "ANTHROPIC_API_KEY"
# The Messages API requires max_tokens; this fits every current Claude model.
DEFAULT_MAX_TOKENS = 4096

# The Messages API has no seed, penalties or JSON mode: those are refused, not dropped.
HONOURED = frozenset({"temperature", "top_p", "max_tokens", "stop", "tool_choice", "tools"})

# The user turn put before a history that starts with the assistant.
CONTINUATION = "(continuing the conversation)"

_Block = TextBlockParam | ToolUseBlockParam | ToolResultBlockParam


class AnthropicProvider:
    """Claude models through the Messages API."""

    def __init__(
        self, name: str, config: ProviderConfig, *, env: NamedEnv = ENVIRONMENT_ONLY
    ) -> None:
        self.name = name
        self.default_model = config.model or ""
        self.base_url = config.base_url
        self._timeout_s = config.timeout_s
        self._client = AsyncAnthropic(
            api_key=read_api_key(name, config.api_key_env or DEFAULT_API_KEY_ENV, env),
            base_url=config.base_url,
            timeout=config.timeout_s,
            max_retries=0,
        )

    def honoured_options(self, model: str) -> frozenset[str]:
        return HONOURED

    async def chat(self, request: ChatRequest) -> ChatResponse:
        model = self._model(request)
        system, messages = to_anthropic_messages(request.messages)
        try:
            message = await self._client.messages.create(
                model=model,
                max_tokens=request.options.max_tokens or DEFAULT_MAX_TOKENS,
                messages=messages,
                system=system or anthropic.omit,
                tools=to_anthropic_tools(request.tools) if request.tools else anthropic.omit,
                stop_sequences=list(request.options.stop) or anthropic.omit,
                tool_choice=_tool_choice(request),
                extra_body=_sampling(request),
            )
        except anthropic.APIError as exc:
            raise self._error(exc) from exc
        return _response(message)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        model = self._model(request)
        system, messages = to_anthropic_messages(request.messages)
        text: list[str] = []
        calls: dict[int, _PartialCall] = {}
        input_tokens = output_tokens = 0
        stop_reason: str | None = None
        try:
            events = await self._client.messages.create(
                model=model,
                max_tokens=request.options.max_tokens or DEFAULT_MAX_TOKENS,
                messages=messages,
                system=system or anthropic.omit,
                tools=to_anthropic_tools(request.tools) if request.tools else anthropic.omit,
                stop_sequences=list(request.options.stop) or anthropic.omit,
                tool_choice=_tool_choice(request),
                extra_body=_sampling(request),
                stream=True,
            )
            async with events:
                async for event in events:
                    if event.type == "message_start":
                        model = event.message.model or model
                        input_tokens = _input_tokens(event.message.usage)
                    elif event.type == "content_block_start":
                        block = event.content_block
                        if block.type == "tool_use":
                            calls[event.index] = _PartialCall(block.id, block.name)
                    elif event.type == "content_block_delta":
                        delta = event.delta
                        if delta.type == "text_delta" and delta.text:
                            text.append(delta.text)
                            yield TextDelta(delta.text)
                        elif delta.type == "input_json_delta" and event.index in calls:
                            calls[event.index].input_json += delta.partial_json
                    elif event.type == "message_delta":
                        stop_reason = event.delta.stop_reason or stop_reason
                        # Counts on message_delta are running totals, not increments.
                        output_tokens = event.usage.output_tokens
                        if event.usage.input_tokens is not None:
                            input_tokens = _input_tokens(event.usage)
        except anthropic.APIError as exc:
            raise self._error(exc) from exc
        tool_calls = tuple(
            ToolCall(partial.id, partial.name, parse_tool_arguments(partial.input_json))
            for _, partial in sorted(calls.items())
        )
        yield StreamEnd(
            ChatResponse(
                text="".join(text) or None,
                tool_calls=tool_calls,
                usage=Usage(input_tokens, output_tokens),
                model=model,
                finish_reason=_finish_reason(stop_reason, bool(tool_calls)),
            )
        )

    def _model(self, request: ChatRequest) -> str:
        return model_to_ask(self.name, request.model or self.default_model)

    def _error(self, exc: anthropic.APIError) -> ProviderError:
        return sdk_error(
            anthropic,
            exc,
            provider=self.name,
            timeout_s=self._timeout_s,
            where=self.base_url or "the Anthropic API",
        )


@dataclass
class _PartialCall:
    id: str
    name: str
    input_json: str = ""


def to_anthropic_messages(
    messages: Sequence[ChatMessage],
) -> tuple[str, list[MessageParam]]:
    """(system prompt, alternating user/assistant messages)."""
    system = "\n\n".join(m.content for m in messages if m.role == "system" and m.content)
    turns: list[tuple[Literal["user", "assistant"], list[_Block]]] = []
    for message in messages:
        if message.role == "system":
            continue
        role: Literal["user", "assistant"] = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    if turns and turns[0][0] == "assistant":
        # The API wants a user turn first; a compacted history may start with the assistant.
        turns.insert(0, ("user", [{"type": "text", "text": CONTINUATION}]))
    wire: list[MessageParam] = []
    for role, blocks in turns:
        if role == "user":
            wire.append({"role": "user", "content": blocks})
        else:
            wire.append({"role": "assistant", "content": blocks})
    return system, wire


def _blocks(message: ChatMessage) -> list[_Block]:
    if message.role == "tool":
        result: ToolResultBlockParam = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id or "",
            "content": message.content,
        }
        return [result]
    # The API rejects empty text blocks.
    blocks: list[_Block] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls:
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
    return blocks


def to_anthropic_tools(tools: Iterable[ToolSpec]) -> list[ToolParam]:
    return [
        {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
        for tool in tools
    ]


def _response(message: Message) -> ChatResponse:
    text = "".join(block.text for block in message.content if block.type == "text")
    calls = tuple(
        ToolCall(block.id, block.name, _tool_input(block.input))
        for block in message.content
        if block.type == "tool_use"
    )
    return ChatResponse(
        text=text or None,
        tool_calls=calls,
        usage=Usage(_input_tokens(message.usage), message.usage.output_tokens),
        model=message.model,
        finish_reason=_finish_reason(message.stop_reason, bool(calls)),
    )


def _tool_input(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return {str(key): item for key, item in value.items()}
    # Not an object: keep it raw, as the OpenAI path does with invalid JSON.
    return parse_tool_arguments(str(value))


class _UsageCounts(Protocol):
    """What `Usage` (whole message) and `MessageDeltaUsage` (stream) have in common."""

    @property
    def input_tokens(self) -> int | None: ...
    @property
    def cache_creation_input_tokens(self) -> int | None: ...
    @property
    def cache_read_input_tokens(self) -> int | None: ...


def _input_tokens(usage: _UsageCounts) -> int:
    # input_tokens excludes cached prompt parts; the prompt's size is the sum of all three.
    return (
        (usage.input_tokens or 0)
        + (usage.cache_creation_input_tokens or 0)
        + (usage.cache_read_input_tokens or 0)
    )


def _finish_reason(reason: str | None, has_tool_calls: bool) -> FinishReason:
    if has_tool_calls or reason == "tool_use":
        return "tool_calls"
    if reason in ("max_tokens", "model_context_window_exceeded"):
        return "length"
    if reason == "refusal":
        return "error"
    return "stop"


def _sampling(request: ChatRequest) -> dict[str, float] | None:
    # This SDK version has no `temperature` argument any more; the API still takes it.
    options = request.options
    sampling = {"temperature": options.temperature, "top_p": options.top_p}
    given = {key: value for key, value in sampling.items() if value is not None}
    return given or None


def _tool_choice(request: ChatRequest) -> ToolChoiceParam | anthropic.Omit:
    choice = request.options.tool_choice
    if choice is None or not request.tools:
        return anthropic.omit
    if choice.function:
        return {"type": "tool", "name": choice.function}
    return {"type": "any"}
