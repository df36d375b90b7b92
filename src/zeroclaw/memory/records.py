"""What the memory store hands back: plain frozen records, detached from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zeroclaw.messages import ChatMessage


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
