"""The OpenAI Responses request (`POST /v1/responses`), as the gateway reads it.

Our own pydantic models, as for Chat Completions: the `openai` package's request types
(`ResponseCreateParams`) are TypedDicts, which validate nothing. What the gateway answers
is the package's own `Response` (responses_replies).

The sampling parameters carry OpenAI's bounds, as in openai_api; what they mean for the
turn (reach the model, or refused naming them) is decided in responses_params, which
maps them onto the Chat Completions parameters so both endpoints refuse alike. Input items
and tools are typed loosely here (a `type` and the fields of the types we take) so that a
type we do not take is refused by name there, as a 400, rather than as a 422 listing
every member of a union.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from zeroclaw.gateway.openai_api import TOOL_NAME, unicode_text
from zeroclaw.gateway.session_ids import SessionId


class _Lenient(BaseModel):
    # Fields we do not know are kept (`model_extra`) so they can be refused by name.
    model_config = ConfigDict(extra="allow")


class InputPart(_Lenient):
    """A content part: input_text / output_text are text; the others are refused."""

    type: str
    text: str | None = None

    _text_is_unicode = field_validator("text")(unicode_text)


class InputItem(_Lenient):
    """One item of `input`: a message (`type` may be left out), a `function_call` of an
    earlier response, or the client's `function_call_output` for one."""

    type: str = "message"
    role: Literal["user", "assistant", "system", "developer"] | None = None
    content: str | list[InputPart] | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | list[InputPart] | None = None

    @field_validator("content", "output")
    @classmethod
    def _is_unicode(cls, value: object) -> object:
        return unicode_text(value) if isinstance(value, str) else value


class Tool(_Lenient):
    """A tool of the request; only `function` tools are taken (responses_params)."""

    type: str
    name: str | None = Field(None, pattern=TOOL_NAME)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: StrictBool | None = None


class NamedTool(_Lenient):
    type: str
    name: str | None = None


class TextFormat(_Lenient):
    type: Literal["text", "json_object", "json_schema"]
    name: str = Field("response", pattern=TOOL_NAME)
    description: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")
    strict: StrictBool | None = None


class TextConfig(_Lenient):
    format: TextFormat | None = None


class ResponseStreamOptions(_Lenient):
    # Obfuscation pads events against a side channel of OpenAI's; nothing to pad here.
    include_obfuscation: StrictBool | None = None


class ResponseRequest(_Lenient):
    model: str = Field(
        min_length=1,
        description='"zeroclaw" (the configured default), "PROVIDER", "PROVIDER/MODEL" or '
        '"hint:NAME", as for /v1/chat/completions.',
    )
    input: str | list[InputItem] = Field(
        description="Text, or items: the last user message is the turn's input, or the "
        "trailing function_call_output items (the turn resumes with them)."
    )
    instructions: str | None = Field(
        None, description="Not used: the agent has its own system prompt (docs/gateway.md)."
    )
    previous_response_id: str | None = Field(
        None, description="Continue the conversation (the session) of that response."
    )
    max_output_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    text: TextConfig | None = None
    tools: list[Tool] | None = Field(None, max_length=128)
    tool_choice: Literal["none", "auto", "required"] | NamedTool | None = None
    parallel_tool_calls: StrictBool | None = None
    store: StrictBool | None = None
    metadata: dict[str, str] | None = Field(None, max_length=16)
    stream: StrictBool = False
    stream_options: ResponseStreamOptions | None = None
    top_logprobs: int | None = Field(None, ge=0, le=20)
    truncation: Literal["auto", "disabled"] | None = None
    include: list[str] | None = None
    background: StrictBool | None = None
    reasoning: dict[str, Any] | None = None
    user: str | None = Field(
        None, description="The session when no other is given, as for chat completions."
    )
    session_id: SessionId | None = Field(None, description="The session (X-Session-Id wins).")

    _unicode = field_validator("instructions", "user")(unicode_text)
