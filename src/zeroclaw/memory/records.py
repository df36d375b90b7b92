"""What the memory store hands back: plain frozen records, detached from the database."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from zeroclaw.messages import ChatMessage, ToolCall, ToolResult


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as stored: its row id orders the conversation and bounds a compaction."""

    id: int
    message: ChatMessage
    created_at: datetime | None = None
    compacted: bool = False


@dataclass(frozen=True, slots=True)
class TurnContext:
    """What a turn builds its prompt from, read together: the recent messages not yet
    compacted (oldest first) and the latest compaction summary, if any."""

    history: list[StoredMessage]
    summary: str | None


@dataclass(frozen=True, slots=True)
class OpenedTurn:
    """A turn `MemoryStore.begin_turn` opened: the id of the user message it stored (the
    turn `settle_turn` settles) and, when asked for, the turn's context as it stands once
    that message is stored (None: not asked for)."""

    message_id: int
    context: TurnContext | None = None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    user_id: str | None
    channel: str
    title: str | None
    created_at: datetime
    updated_at: datetime
    message_count: int
    # The id of the user message whose turn is open (`sessions.open_turn`): stored, its
    # answer not yet: a turn running now, or one cut off (a crash, a lost connection, a
    # failed provider) until the session's next turn closes it. None: every turn settled.
    open_turn: int | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    id: int
    session_id: str
    user_id: str | None
    kind: str
    content: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Memory:
    """One remembered fact: a value under a key, in a namespace."""

    namespace: str
    key: str
    value: str
    created_at: datetime
    updated_at: datetime


# A hook handler's part in one tool call: it let the payload through unchanged, changed
# it, stopped the call (Cancel, or a fail_closed failure), or failed and was skipped.
HookVerdict = Literal["passed", "modified", "blocked", "failed"]
# Who offered the tool: the runtime, a plugin, an MCP server, the API client that sent the
# request (its own function), or nobody (the model named a tool that does not exist).
OwnerKind = Literal["native", "plugin", "mcp", "client", "none"]
# How approval went (the gate's ApprovalOutcome): not needed; auto (an auto_approve rule, a
# commands rule, or --yes); approved (a person said yes at the prompt); denied (a person
# said no); unavailable (it needed approval and nobody could answer: the gateway).
ApprovalDecision = Literal["not_needed", "auto", "approved", "denied", "unavailable"]


@dataclass(frozen=True, slots=True)
class HookStepRecord:
    """One handler of one modifying event, as it acted on a tool call. Only the names of
    the fields it changed are kept, never their values: a redaction must stay one."""

    event: str
    handler: str
    source: str
    verdict: HookVerdict
    detail: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolProvenance:
    """Where a tool call went and what stood in its way, stored with its result."""

    owner_kind: OwnerKind
    owner_name: str | None
    owner_version: str | None
    approval: ApprovalDecision
    hooks: tuple[HookStepRecord, ...] = ()
    # "policy", "approval" or "hook:HANDLER" when the call never reached the tool (a
    # tool_result_persist that blocked the result shows in `hooks`, not here).
    blocked_by: str | None = None
    duration_ms: float | None = None

    @property
    def owner(self) -> str:
        """`native`, `plugin:NAME@VERSION`, `mcp:SERVER`, `client`, `none`."""
        if self.owner_name is None:
            return self.owner_kind
        version = f"@{self.owner_version}" if self.owner_version else ""
        return f"{self.owner_kind}:{self.owner_name}{version}"


@dataclass(frozen=True, slots=True)
class StoredToolCall:
    """A tool result as stored; `provenance` is None for rows from before it was kept."""

    id: int
    session_id: str
    call_id: str
    tool_name: str
    arguments: str
    success: bool
    output: str
    error: str | None
    created_at: datetime
    provenance: ToolProvenance | None


def stored_calls_by_message(
    messages: Sequence[StoredMessage], calls: Sequence[StoredToolCall]
) -> dict[tuple[int, str], StoredToolCall]:
    """(assistant message id, call id) -> the stored result of that call, for a session's
    messages and tool results. A provider may reuse a call id in a later turn, so results
    pair with the calls in the order both were stored."""
    waiting: dict[str, deque[StoredToolCall]] = {}
    for result in calls:
        waiting.setdefault(result.call_id, deque()).append(result)
    paired: dict[tuple[int, str], StoredToolCall] = {}
    for stored in messages:
        for asked in stored.message.tool_calls:
            queue = waiting.get(asked.id)
            if queue:
                paired[(stored.id, asked.id)] = queue.popleft()
    return paired


@dataclass(slots=True)
class TurnWrites:
    """What a turn produced, held until the turn settles and then stored in one
    transaction (`MemoryStore.settle_turn`): its messages in order, and the tool results,
    each with its call's provenance (None: not recorded)."""

    messages: list[ChatMessage] = field(default_factory=list)
    tool_results: list[tuple[ToolCall, ToolResult, ToolProvenance | None]] = field(
        default_factory=list
    )

    def __bool__(self) -> bool:
        return bool(self.messages or self.tool_results)
