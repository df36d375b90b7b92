"""session_memory: what a user talked about in earlier sessions, carried into new ones.

Storing. When a session ends (on_session_end), its messages are summarized through the
provider (with SUMMARIZE_INSTRUCTION, as compaction does) and stored as a summary of kind
"session"; a session without a single user message is skipped. After a compaction
(after_compaction), the compaction's summary is stored as kind "compaction", unless the
session already has that very summary (our compactor stores it, in the same transaction
that retires the messages; another may not).

Recalling. At the first prompt of a session in this process (before_prompt_build), the
summaries of the session's owner are searched with the user's first message, the
best-matching first and the most recent after them; one summary per earlier session (its
session summary if it has one, else its latest compaction summary), the current session
excluded, at most `recall_limit` of them and `max_recall_chars` in all, go into one
context block. The block is kept for the rest of the session, so every turn sees the
same prompt.

Users. The owner is the one stored with the session, never the payload's `user_id`: a
handler earlier in the chain could change that field, but not the database. Summaries are
only ever recalled for the same owner, and a session without an owner (None) only sees
summaries of sessions without one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from typing import Final

from zeroclaw.hooks.events import (
    AfterCompaction,
    Event,
    ModifyingPayload,
    PromptBuild,
    SessionEnd,
    VoidPayload,
)
from zeroclaw.hooks.handler import Continue, HandlerSpec, HookOutcome
from zeroclaw.memory import MemoryStore, Summary
from zeroclaw.messages import ChatMessage, transcript
from zeroclaw.providers import SUMMARIZE_INSTRUCTION, ChatRequest, Provider

NAME: Final = "session_memory"
SESSION_KIND: Final = "session"
COMPACTION_KIND: Final = "compaction"
RECALL_HEADER: Final = "Summaries of earlier sessions with this user (most relevant first):"

# Sessions whose recalled block is kept; the oldest is forgotten beyond this (a
# long-running gateway serves many sessions that never end cleanly).
MAX_REMEMBERED_SESSIONS: Final = 1024
# Candidates fetched per search: enough to skip the current session's own summaries and
# the extra summaries of sessions already chosen.
_CANDIDATES_PER_SLOT: Final = 4
# Summaries searched for an identical one before a compaction summary is stored.
_DUPLICATE_SEARCH: Final = 50
# The recall searches with the user's words; this many recent messages are looked at.
_QUERY_WINDOW: Final = 20

_LOG = logging.getLogger("zeroclaw.hooks")


class SessionMemory:
    def __init__(
        self,
        memory: MemoryStore,
        provider: Provider,
        model: str,
        *,
        recall_limit: int,
        max_recall_chars: int,
        timeout_s: float,
        priority: int = 0,
    ) -> None:
        self.spec = HandlerSpec(
            name=NAME,
            events=frozenset(
                {Event.BEFORE_PROMPT_BUILD, Event.ON_SESSION_END, Event.AFTER_COMPACTION}
            ),
            priority=priority,
            timeout_s=timeout_s,
        )
        self._memory = memory
        self._provider = provider
        self._model = model
        self._recall_limit = recall_limit
        self._max_recall_chars = max_recall_chars
        self._recalled: OrderedDict[str, str | None] = OrderedDict()

    # -- recall (before_prompt_build) ------------------------------------------------------

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        if not isinstance(payload, PromptBuild) or self._recall_limit == 0:
            return Continue(payload)
        block = await self._block_for(payload.session_id)
        if block is None:
            return Continue(payload)
        return Continue(dataclasses.replace(payload, context=(*payload.context, block)))

    async def _block_for(self, session_id: str) -> str | None:
        if session_id in self._recalled:
            self._recalled.move_to_end(session_id)
            return self._recalled[session_id]
        block = await self.recall_block(session_id)
        self._recalled[session_id] = block
        while len(self._recalled) > MAX_REMEMBERED_SESSIONS:
            self._recalled.popitem(last=False)
        return block

    async def recall_block(self, session_id: str) -> str | None:
        """The context block of earlier summaries for `session_id`, or None if there are none."""
        session = await self._memory.get_session(session_id)
        if session is None:
            # No owner to go by: recalling for whatever user_id the payload names would
            # let a changed payload read another user's summaries.
            _LOG.debug("session_memory: unknown session %r, nothing recalled", session_id)
            return None
        chosen = await self._choose(session_id, session.user_id, await self._query(session_id))
        if not chosen:
            return None
        share = max(self._max_recall_chars // len(chosen), 1)
        entries = [
            f"[session {s.session_id}, {s.created_at:%Y-%m-%d}] {_cut(s.content.strip(), share)}"
            for s in chosen
        ]
        return "\n".join([RECALL_HEADER, *entries])

    async def _query(self, session_id: str) -> str:
        """What the user said first in the recent history: the topic of the session."""
        recent = await self._memory.load_history(session_id, _QUERY_WINDOW)
        said = [s.message.content for s in recent if s.message.role == "user"]
        return said[0] if said else ""

    async def _choose(self, session_id: str, owner: str | None, query: str) -> list[Summary]:
        window = self._recall_limit * _CANDIDATES_PER_SLOT
        relevant = await self._memory.recall_summaries(query, user_id=owner, limit=window)
        recent = await self._memory.recall_summaries("", user_id=owner, limit=window)
        best: dict[str, Summary] = {}
        for summary in [*relevant, *recent]:
            if summary.session_id == session_id:
                continue
            current = best.get(summary.session_id)
            if current is None or _better(summary, current):
                # Insertion order is kept on replacement: rank stays the first sighting's.
                best[summary.session_id] = summary
        return list(best.values())[: self._recall_limit]

    # -- storing (on_session_end, after_compaction) ----------------------------------------

    async def observe(self, event: Event, payload: VoidPayload) -> None:
        if isinstance(payload, SessionEnd):
            self._recalled.pop(payload.session_id, None)
            await self.summarize_session(payload.session_id)
        elif isinstance(payload, AfterCompaction):
            await self.store_compaction(payload.session_id, payload.summary)

    async def summarize_session(self, session_id: str) -> int | None:
        """Summarize the session through the provider and store it; the summary's id, or
        None when the session has nothing the user said."""
        stored = await self._memory.session_messages(session_id)
        if not any(s.message.role == "user" and s.message.content.strip() for s in stored):
            return None
        # Compacted messages are already in the latest compaction summary: send that
        # instead of them, so the request stays within what compaction keeps.
        previous = await self._memory.latest_summary(session_id, COMPACTION_KIND)
        messages = [s.message for s in stored if not s.compacted]
        request = ChatRequest(
            messages=[
                ChatMessage("system", SUMMARIZE_INSTRUCTION),
                ChatMessage("user", transcript(messages, previous)),
            ],
            model=self._model,
        )
        response = await self._provider.chat(request)
        summary = (response.text or "").strip()
        if not summary:
            _LOG.warning("session_memory: the model returned no summary for %r", session_id)
            return None
        # user_id None: the summary belongs to the session's stored owner.
        return await self._memory.add_summary(session_id, summary, kind=SESSION_KIND)

    async def store_compaction(self, session_id: str, summary: str) -> int | None:
        """Store a compaction summary unless the session already has it."""
        if await self._has_compaction_summary(session_id, summary):
            return None
        return await self._memory.add_summary(session_id, summary, kind=COMPACTION_KIND)

    async def _has_compaction_summary(self, session_id: str, summary: str) -> bool:
        if await self._memory.latest_summary(session_id, COMPACTION_KIND) == summary:
            return True
        # Void hooks run later than the compaction: newer ones may have been stored since.
        session = await self._memory.get_session(session_id)
        owner = session.user_id if session is not None else None
        found = await self._memory.recall_summaries(summary, user_id=owner, limit=_DUPLICATE_SEARCH)
        return any(
            s.session_id == session_id and s.kind == COMPACTION_KIND and s.content == summary
            for s in found
        )


def _better(candidate: Summary, current: Summary) -> bool:
    """A session summary covers the whole session; a later one covers more of it."""
    rank = (candidate.kind == SESSION_KIND, candidate.id)
    return rank > (current.kind == SESSION_KIND, current.id)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"
