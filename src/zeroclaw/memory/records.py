"""What the memory store hands back: plain frozen records, detached from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from zeroclaw.messages import ChatMessage, ToolCall, ToolResult


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as stored: its row id orders the conversation and bounds a compaction."""

    id: int
    message: ChatMessage
    created_at: datetime | None = None
    compacted: bool = False


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    user_id: str | None
    channel: str
    title: str | None
    created_at: datetime
    updated_at: datetime
    message_count: int


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


@dataclass(slots=True)
class TurnWrites:
    """What a turn produced, held until the turn settles and then stored in one
    transaction (`MemoryStore.settle_turn`): its messages in order, and the tool results."""

    messages: list[ChatMessage] = field(default_factory=list)
    tool_results: list[tuple[ToolCall, ToolResult]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.messages or self.tool_results)
