"""The OpenAI Chat Completions request, as the gateway reads it.

Our own pydantic models, not the `openai` package's: its request types are TypedDicts
(`CompletionCreateParams`), which describe what a client may send but validate nothing.
What the gateway answers is built from the package's own response types (chat_replies).

Every parameter of a request is typed and range-checked here, once, as OpenAI checks it
(`temperature` 0 to 2, `top_p` 0 to 1, the penalties -2 to 2, `max_tokens` at least 1, at
most 4 `stop` sequences): a value out of range is a 400 naming the parameter. What the
parameters mean for the turn (which reach the model, which are refused) is decided in
`chat_params.py`; a field this model does not know is kept (`model_extra`) so that it can
be refused by name there rather than dropped. What is typed is strict: a flag is a JSON
boolean, not "yes", "on", "1" or 1, which lax parsing would have read as true.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
)

from zeroclaw.gateway.session_ids import SessionId

DEFAULT_MODEL = "zeroclaw"

# The content parts the agent takes: its messages are text (chat_input refuses the rest).
TEXT_PARTS = frozenset({"text", "refusal"})


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


class FunctionCall(_Lenient):
    name: str = Field(min_length=1)
    arguments: str = ""


class RequestToolCall(_Lenient):
    """A tool call of an earlier assistant message, as the client sends it back."""

    id: str = Field(min_length=1)
    type: Literal["function"] = "function"
    function: FunctionCall


class RequestMessage(_Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[RequestToolCall] | None = None
    tool_call_id: str | None = None

    @field_validator("content")
    @classmethod
    def _content_is_unicode(cls, value: object) -> object:
        return unicode_text(value) if isinstance(value, str) else value

    def text(self) -> str:
        """The text of the message: its text parts, joined (other parts are refused by
        chat_input before this is read)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text or "" for part in self.content if part.type == "text")


class StreamOptions(_Lenient):
    include_usage: StrictBool = False


MAX_STOP = 4

# OpenAI's tool names: letters, digits, _ and -, at most 64.
TOOL_NAME = r"^[A-Za-z0-9_-]{1,64}$"


class FunctionDefinition(_Lenient):
    name: str = Field(pattern=TOOL_NAME)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: StrictBool | None = None


class FunctionTool(_Lenient):
    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(_Lenient):
    name: str = Field(min_length=1)


class NamedToolChoice(_Lenient):
    type: Literal["function"]
    function: NamedFunction


class JsonSchemaFormat(_Lenient):
    name: str = Field("response", pattern=TOOL_NAME)
    description: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")
    strict: StrictBool | None = None


class ResponseFormatParam(_Lenient):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class SamplingParams(_Lenient):
    """The parameters of the model call, as Chat Completions names and bounds them."""

    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    # At most MAX_STOP (checked in chat_params: a union's errors would not name the bound).
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    response_format: ResponseFormatParam | None = None
    tools: list[FunctionTool] | None = Field(None, max_length=128)
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: StrictBool | None = None
    n: int | None = Field(None, ge=1, le=128)
    logprobs: StrictBool | None = None
    top_logprobs: int | None = Field(None, ge=0, le=20)
    logit_bias: dict[str, int] | None = None
    store: StrictBool | None = None
    metadata: dict[str, str] | None = None


class ChatCompletionRequest(SamplingParams):
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
