"""The agent loop: one user message in, one answer out, with tools in between.

A turn: store the user message; build the prompt (system prompt, summary of compacted
history, recent history); ask the model; run the tools it asks for (security policy
first, then the registry) and feed the results back; repeat up to
`agent.max_tool_iterations` model calls; store everything as it happens, so a process
killed mid-turn keeps every message already committed. Compaction runs before the model
is asked when the history outgrows its budget.

Each step is its own method: those are the seams where the hook runner dispatches
(message received, prompt build, model resolve, LLM call, tool call, tool-result persist,
compaction, message sending).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from zeroclaw.agent.compaction import CompactionResult, Compactor
from zeroclaw.agent.tool_gate import ToolGate
from zeroclaw.config.models import AgentConfig
from zeroclaw.memory import MemoryStore, StoredMessage
from zeroclaw.messages import ChatMessage, ToolCall, ToolResult, Usage
from zeroclaw.providers import (
    ChatRequest,
    ChatResponse,
    Provider,
    ProviderError,
    StreamEnd,
    TextDelta,
)
from zeroclaw.tools import ToolRegistry

StopReason = Literal["answer", "max_iterations"]
OnText = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ToolExchange:
    call: ToolCall
    result: ToolResult


@dataclass(slots=True)
class TurnResult:
    session_id: str
    reply: str
    usage: Usage = field(default_factory=Usage)
    exchanges: list[ToolExchange] = field(default_factory=list)
    llm_calls: int = 0
    stop_reason: StopReason = "answer"
    compaction: CompactionResult | None = None


@dataclass(slots=True)
class _TurnState:
    """What one turn accumulates while it runs."""

    result: TurnResult
    messages: list[ChatMessage]
    tool_calls: int = 0


class Agent:
    def __init__(
        self,
        *,
        config: AgentConfig,
        provider: Provider,
        model: str,
        tools: ToolRegistry,
        gate: ToolGate,
        memory: MemoryStore,
    ) -> None:
        self._config = config
        self._provider = provider
        self._model = model
        self._tools = tools
        self._memory = memory
        self._compactor = Compactor(config.compaction, provider, model)
        self._gate = gate

    @property
    def model(self) -> str:
        return self._model

    async def turn(
        self,
        session_id: str,
        text: str,
        *,
        channel: str = "terminal",
        user_id: str | None = None,
        on_text: OnText | None = None,
    ) -> TurnResult:
        """Answer `text` in session `session_id`; `on_text` receives the reply as it streams."""
        self._memory.ensure_session(session_id, channel=channel, user_id=user_id)
        self._memory.append_message(session_id, ChatMessage("user", text))
        result = TurnResult(session_id=session_id, reply="")
        history = self._load_history(session_id)
        result.compaction = await self._compact_if_needed(session_id, history)
        if result.compaction is not None:
            result.usage += result.compaction.usage
            history = self._load_history(session_id)
        state = _TurnState(
            result, [self._system_message(session_id), *(s.message for s in history)]
        )

        for iteration in range(self._config.max_tool_iterations):
            last_chance = iteration == self._config.max_tool_iterations - 1
            response = await self._call_llm(state, offer_tools=not last_chance, on_text=on_text)
            self._store(session_id, state, _assistant_message(response))
            if not response.tool_calls:
                result.reply = response.text or ""
                return result
            for call in response.tool_calls:
                await self._run_tool(session_id, call, state)
        # Only reachable if the model keeps asking for tools on the last call too.
        result.stop_reason = "max_iterations"
        result.reply = (
            f"Stopped after {self._config.max_tool_iterations} model calls without a final "
            "answer (agent.max_tool_iterations)."
        )
        return result

    # -- the steps of a turn -------------------------------------------------------------

    def _load_history(self, session_id: str) -> list[StoredMessage]:
        stored = self._memory.load_history(session_id, self._config.history_messages)
        return _drop_orphan_tool_results(stored)

    def _system_message(self, session_id: str) -> ChatMessage:
        prompt = self._config.system_prompt
        summary = self._memory.latest_summary(session_id)
        if summary:
            prompt += f"\n\nSummary of the earlier conversation:\n{summary}"
        return ChatMessage("system", prompt)

    async def _compact_if_needed(
        self, session_id: str, history: Sequence[StoredMessage]
    ) -> CompactionResult | None:
        plan = self._compactor.plan(history)
        if plan is None:
            return None
        return await self._compactor.run(session_id, plan, self._memory)

    async def _call_llm(
        self, state: _TurnState, *, offer_tools: bool, on_text: OnText | None
    ) -> ChatResponse:
        request = ChatRequest(
            messages=tuple(state.messages),
            model=self._model,
            tools=tuple(self._tools.specs()) if offer_tools else (),
        )
        state.result.llm_calls += 1
        if on_text is None:
            response = await self._provider.chat(request)
        else:
            response = await _stream_to(self._provider, request, on_text)
        state.result.usage += response.usage
        return response

    async def _run_tool(self, session_id: str, call: ToolCall, state: _TurnState) -> None:
        result = await self._gate.run(session_id, call, state.tool_calls)
        state.tool_calls += 1
        self._memory.record_tool_result(session_id, call, result)
        state.result.exchanges.append(ToolExchange(call, result))
        self._store(
            session_id,
            state,
            ChatMessage("tool", result.for_model(), tool_call_id=call.id, name=call.name),
        )

    def _store(self, session_id: str, state: _TurnState, message: ChatMessage) -> None:
        self._memory.append_message(session_id, message)
        state.messages.append(message)


def _assistant_message(response: ChatResponse) -> ChatMessage:
    return ChatMessage("assistant", response.text or "", tool_calls=response.tool_calls)


def _drop_orphan_tool_results(history: Sequence[StoredMessage]) -> list[StoredMessage]:
    """A history window may start inside a tool exchange; its leading tool results have
    lost their call, and providers reject them, so they are left out."""
    start = 0
    while start < len(history) and history[start].message.role == "tool":
        start += 1
    return list(history[start:])


async def _stream_to(provider: Provider, request: ChatRequest, on_text: OnText) -> ChatResponse:
    async for event in provider.stream(request):
        if isinstance(event, TextDelta):
            on_text(event.text)
        elif isinstance(event, StreamEnd):
            return event.response
    raise ProviderError("the stream ended without a final response", provider=provider.name)
