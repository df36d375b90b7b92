"""History compaction: when a session's history outgrows its token budget, the older part
is summarized through the provider and replaced by that summary; the recent messages stay
verbatim. The summary and the marking of the summarized messages commit together, so a
crash leaves either the old history or the compacted one, never a mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zeroclaw.config.models import CompactionConfig
from zeroclaw.memory import MemoryStore, StoredMessage
from zeroclaw.messages import ChatMessage, Usage, transcript
from zeroclaw.providers import SUMMARIZE_INSTRUCTION, ChatRequest, Provider

# A rough, provider-neutral estimate (about four characters a token) is enough to decide
# when to compact; the budget has headroom and no tokenizer is bundled for every model.
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4


def estimate_tokens(messages: Sequence[ChatMessage]) -> int:
    chars = 0
    for message in messages:
        chars += len(message.content)
        chars += sum(len(call.name) + len(call.arguments_json()) for call in message.tool_calls)
    return chars // CHARS_PER_TOKEN + TOKENS_PER_MESSAGE * len(messages)


def split_for_compaction(
    history: Sequence[StoredMessage], keep_recent: int
) -> tuple[list[StoredMessage], list[StoredMessage]]:
    """(older part to summarize, recent part to keep).

    The kept part never starts with tool results: those belong with the assistant message
    that asked for them, and a provider rejects a tool message without its call.
    """
    cut = max(len(history) - keep_recent, 0)
    while 0 < cut < len(history) and history[cut].message.role == "tool":
        cut -= 1
    return list(history[:cut]), list(history[cut:])


@dataclass(frozen=True, slots=True)
class CompactionPlan:
    """What a compaction would do: the messages it summarizes and their size."""

    older: list[StoredMessage]
    kept: list[StoredMessage]
    estimated_tokens: int


@dataclass(frozen=True, slots=True)
class CompactionResult:
    summary: str
    compacted_messages: int
    usage: Usage


class Compactor:
    def __init__(self, config: CompactionConfig, model: str) -> None:
        self._config = config
        self._model = model

    def plan(self, history: Sequence[StoredMessage]) -> CompactionPlan | None:
        """A plan when the history exceeds the budget and has something old to summarize."""
        if not self._config.enabled:
            return None
        tokens = estimate_tokens([stored.message for stored in history])
        if tokens <= self._config.max_history_tokens:
            return None
        older, kept = split_for_compaction(history, self._config.keep_recent_messages)
        if not older:
            return None
        return CompactionPlan(older, kept, tokens)

    async def run(
        self, session_id: str, plan: CompactionPlan, memory: MemoryStore, provider: Provider
    ) -> CompactionResult:
        """Summarize `plan.older` through `provider` (the turn's) and store the summary."""
        previous = await memory.latest_summary(session_id)
        request = ChatRequest(
            messages=[
                ChatMessage("system", SUMMARIZE_INSTRUCTION),
                ChatMessage("user", transcript([s.message for s in plan.older], previous)),
            ],
            model=self._model,
        )
        response = await provider.chat(request)
        summary = (response.text or "").strip() or "(no summary produced)"
        await memory.compact(session_id, summary, upto_message_id=plan.older[-1].id)
        return CompactionResult(summary, len(plan.older), response.usage)
