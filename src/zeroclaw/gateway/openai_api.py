"""The OpenAI Chat Completions wire format: request, response, stream chunk, model list.

Requests accept (and ignore) the many optional parameters OpenAI clients send
(temperature, tools, ...): the agent has its own prompt, tools and limits. What it needs
is typed and checked here, once: the model name, the messages, `stream`, and the session
(`user`, or our `session_id` extension). What is typed is strict: a flag is a JSON
boolean, not "yes", "on", "1" or 1, which lax parsing would have read as true.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    field_validator,
    model_serializer,
)

from zeroclaw.agent.loop import StopReason, TurnResult
from zeroclaw.gateway.session_ids import SessionId
from zeroclaw.messages import Usage

DEFAULT_MODEL = "zeroclaw"

FinishReason = Literal["stop", "length", "content_filter"]

# max_iterations: the turn ran out of model calls; blocked: a hook refused the message.
FINISH_REASONS: dict[StopReason, FinishReason] = {
    "answer": "stop",
    "max_iterations": "length",
    "blocked": "content_filter",
}


def finish_reason(result: TurnResult) -> FinishReason:
    # A reply a hook withheld (on_message_sending) is filtered content.
    return FINISH_REASONS[result.stop_reason] if result.delivered else "content_filter"


class _Lenient(BaseModel):
    # Clients send fields we do not use (and new ones appear): tolerated, not rejected.
    model_config = ConfigDict(extra="allow")


def unicode_text(value: str | None) -> str | None:
    """Refuse text with a lone surrogate (a `\\ud800` escape in the JSON): the strict
    `str` fields refuse it while parsing, but inside a union it gets through, and nothing
    can store it or send it to a provider."""
    if value is not None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                "the text holds a lone surrogate (an escape such as \\ud800 that is not "
                "half of a pair), which is not valid Unicode; send UTF-8 text"
            ) from None
    return value


class ContentPart(_Lenient):
    type: str
    text: str | None = None

    _text_is_unicode = field_validator("text")(unicode_text)


class RequestMessage(_Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None

    @field_validator("content")
    @classmethod
    def _content_is_unicode(cls, value: object) -> object:
        return unicode_text(value) if isinstance(value, str) else value

    def text(self) -> str:
        """The text of the message; non-text parts (images, audio) are left out."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text or "" for part in self.content if part.type == "text")


class StreamOptions(_Lenient):
    include_usage: StrictBool = False


class ChatCompletionRequest(_Lenient):
    model: str = Field(
        min_length=1,
        description='"zeroclaw" (the configured default), '
        '"PROVIDER", "PROVIDER/MODEL" or "hint:NAME".',
    )
    messages: list[RequestMessage] = Field(
        min_length=1,
        description="The last user message is the turn's input; earlier ones seed a session "
        "that has no history yet.",
    )
    # Strict: "yes", "1" or 1 is a client's mistake worth a 422, not a stream.
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(
        None,
        description="Used as the session id when none is given; it must then be one "
        "(see session_id).",
    )

    _user_is_unicode = field_validator("user")(unicode_text)
    session_id: SessionId | None = Field(None, description="The session (X-Session-Id wins).")


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, usage: Usage) -> CompletionUsage:
        return cls(
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
        )


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: FinishReason
    logprobs: None = None


class TurnInfo(BaseModel):
    """Our extension of a completion: where the turn ran and how it ended."""

    session_id: str
    turn_id: str
    stop_reason: StopReason
    tool_calls: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage
    zeroclaw: TurnInfo

    @classmethod
    def of(cls, result: TurnResult, *, model: str) -> ChatCompletion:
        return cls(
            id=completion_id(),
            created=now(),
            model=model,
            choices=[
                Choice(
                    message=AssistantMessage(content=result.reply),
                    finish_reason=finish_reason(result),
                )
            ],
            usage=CompletionUsage.of(result.usage),
            zeroclaw=TurnInfo(
                session_id=result.session_id,
                turn_id=result.turn_id,
                stop_reason=result.stop_reason,
                tool_calls=len(result.exchanges),
            ),
        )


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # OpenAI sends the role once, in the first chunk; later deltas carry only content.
        return {key: value for key, value in handler(self).items() if value is not None}


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: FinishReason | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def now() -> int:
    return int(time.time())
