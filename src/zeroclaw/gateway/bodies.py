"""The bodies of the gateway's own endpoints (/webhook, /pair, /health, /api/sessions)
and the error body every endpoint uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zeroclaw.agent.loop import StopReason, TurnResult
from zeroclaw.gateway.session_ids import SessionId
from zeroclaw.memory import (
    SessionInfo,
    StoredMessage,
    StoredToolCall,
    ToolProvenance,
    stored_calls_by_message,
)


class _Strict(BaseModel):
    # Our own bodies: a misspelled field or a value of the wrong JSON type (a "1" for a
    # number, a "yes" for a boolean) is a mistake worth reporting, never coerced.
    model_config = ConfigDict(extra="forbid", strict=True)


# -- requests -----------------------------------------------------------------------------


class WebhookRequest(_Strict):
    message: str = Field(min_length=1, description="What the user says.")
    session_id: SessionId | None = Field(
        None, description="The conversation to continue; empty: a new one."
    )


class PairRequest(_Strict):
    code: str = Field(min_length=1, max_length=64, description="The code the gateway printed.")


# -- responses ----------------------------------------------------------------------------


class TokenUsage(BaseModel):
    input_tokens: int
    output_tokens: int


class ToolCallSummary(BaseModel):
    name: str
    success: bool


class WebhookResponse(BaseModel):
    session_id: str
    turn_id: str
    reply: str
    stop_reason: StopReason
    delivered: bool
    usage: TokenUsage
    tool_calls: list[ToolCallSummary]

    @classmethod
    def of(cls, result: TurnResult) -> WebhookResponse:
        return cls(
            session_id=result.session_id,
            turn_id=result.turn_id,
            reply=result.reply,
            stop_reason=result.stop_reason,
            delivered=result.delivered,
            usage=TokenUsage(
                input_tokens=result.usage.input_tokens, output_tokens=result.usage.output_tokens
            ),
            tool_calls=[
                ToolCallSummary(name=e.call.name, success=e.result.success)
                for e in result.exchanges
            ],
        )


class PairResponse(BaseModel):
    token: str = Field(description="Send it as `Authorization: Bearer <token>`.")
    token_type: Literal["bearer"] = "bearer"


class HealthResponse(BaseModel):
    status: Literal["ok", "stopping"]
    version: str
    uptime_s: float


class HookStep(BaseModel):
    event: str
    handler: str
    source: str = Field(description='"native" or "plugin:NAME".')
    verdict: Literal["passed", "modified", "blocked", "failed"]
    detail: str | None = Field(description="The cancel reason, or why the handler failed.")
    fields: list[str] = Field(description="The payload fields it changed (names only).")


class ToolCallProvenance(BaseModel):
    """Where a tool call went and what stood in its way, as memory stored it with the
    result (docs/console.md#sessions says what each value means)."""

    owner_kind: Literal["native", "plugin", "mcp", "client", "none"]
    owner_name: str | None = Field(description="The plugin's or MCP server's name.")
    owner_version: str | None = Field(description="The plugin's version.")
    approval: Literal["not_needed", "auto", "approved", "denied", "unavailable"]
    blocked_by: str | None = Field(description='"policy", "approval" or "hook:HANDLER".')
    duration_ms: float | None
    hooks: list[HookStep]

    @classmethod
    def of(cls, provenance: ToolProvenance) -> ToolCallProvenance:
        # The record's fields carry these names, its hook steps HookStep's.
        return cls.model_validate(provenance, from_attributes=True)


class HistoryToolCall(BaseModel):
    id: str
    name: str
    arguments: dict[str, Any]
    provenance: ToolCallProvenance | None = Field(
        None,
        description="What memory stored with the call's result; null when it was stored "
        "before provenance was kept (or has no stored result).",
    )


class HistoryMessage(BaseModel):
    id: int
    role: str
    content: str
    tool_calls: list[HistoryToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    created_at: datetime | None = None
    compacted: bool = False

    @classmethod
    def of(
        cls, stored: StoredMessage, calls: dict[tuple[int, str], StoredToolCall]
    ) -> HistoryMessage:
        message = stored.message
        return cls(
            id=stored.id,
            role=message.role,
            content=message.content,
            tool_calls=[
                HistoryToolCall(
                    id=c.id,
                    name=c.name,
                    arguments=c.arguments,
                    provenance=_provenance(calls.get((stored.id, c.id))),
                )
                for c in message.tool_calls
            ],
            tool_call_id=message.tool_call_id,
            name=message.name,
            created_at=stored.created_at,
            compacted=stored.compacted,
        )


def _provenance(stored: StoredToolCall | None) -> ToolCallProvenance | None:
    if stored is None or stored.provenance is None:
        return None
    return ToolCallProvenance.of(stored.provenance)


class SessionHistory(BaseModel):
    session_id: str
    channel: str
    title: str | None
    created_at: datetime
    updated_at: datetime
    open_turn: int | None = Field(
        description="The id of the user message whose turn is open: stored, but its answer "
        "not (yet): a turn running now, or one cut off by a crash, a lost connection or a "
        "failed provider, which the session's next turn closes. null: every turn settled."
    )
    messages: list[HistoryMessage]

    @classmethod
    def of(
        cls, info: SessionInfo, messages: list[StoredMessage], calls: list[StoredToolCall]
    ) -> SessionHistory:
        paired = stored_calls_by_message(messages, calls)
        return cls(
            session_id=info.id,
            channel=info.channel,
            title=info.title,
            created_at=info.created_at,
            updated_at=info.updated_at,
            open_turn=info.open_turn,
            messages=[HistoryMessage.of(m, paired) for m in messages],
        )


class ErrorDetail(BaseModel):
    message: str
    type: str
    code: str | None = None
    param: str | None = None


class ErrorBody(BaseModel):
    """Every error, in the shape OpenAI clients read (`openai` raises with `message`)."""

    error: ErrorDetail
