"""The agent loop: one user message in, one answer out, with tools in between.

A turn, and the hook dispatched at each step (modifying hooks may change or cancel):

    on_message_received      the inbound message; cancel drops it with a reply saying why
    store the user message   committed at once: a process killed mid-turn keeps it
    before_compaction        when history exceeds its budget; cancel skips this compaction
    before_prompt_build      system prompt and context (boot_script, session_memory)
    before_model_resolve     provider and model of this turn
    repeat, up to agent.max_tool_iterations model calls:
      before_llm_call        the messages and model of this call
      provider.chat          (observer: llm_request / llm_response)
      each tool call         ToolGate: policy, approval, before_tool_call, registry,
                             tool_result_persist (may redact the result before it is
                             stored and seen)
    on_message_sending       the reply; may rewrite it or cancel its delivery

Void hooks (on_llm_input, on_llm_output, on_after_tool_call, after_compaction, ...) are
never dispatched here: the loop records observer events and the ObserverBridge turns them
into void hooks, so each lifecycle event reaches handlers exactly once.

A turn takes its hook runner, its tool registry and its providers once, at its start (with
plugins on, all three from the plugin snapshot live then), and uses them to its end: a
plugin reload in the middle of a turn never mixes generations.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from zeroclaw.agent.compaction import CompactionResult, Compactor
from zeroclaw.agent.tool_gate import ToolGate, ToolSource, tool_source
from zeroclaw.config.models import AgentConfig
from zeroclaw.hooks import (
    CompactionRequest,
    Event,
    HookRunner,
    HookSource,
    InboundMessage,
    LLMCall,
    ModelResolve,
    OutboundMessage,
    PromptBuild,
    hook_source,
)
from zeroclaw.memory import MemoryStore, StoredMessage
from zeroclaw.messages import ChatMessage, ToolCall, ToolResult, Usage
from zeroclaw.observability import (
    AgentEnd,
    AgentStart,
    Compaction,
    Error,
    LLMRequest,
    LLMResponse,
    MessageDelivered,
    NoopObserver,
    Observer,
    ToolCallFinished,
    ToolCallStarted,
    TurnComplete,
    TurnStarted,
)
from zeroclaw.observability.events import TurnOutcome
from zeroclaw.providers import (
    ChatRequest,
    ChatResponse,
    Provider,
    ProviderError,
    StreamEnd,
    TextDelta,
    UnknownProviderError,
)
from zeroclaw.tools import ToolRegistry

StopReason = Literal["answer", "max_iterations", "blocked"]
OnText = Callable[[str], None]
ProviderResolver = Callable[[str], Provider]


@dataclass(frozen=True)  # no slots: a plugin snapshot tracks its users by weak reference
class Providers:
    """The providers a turn may talk to: the configured one, and how to get another by name
    (before_model_resolve may name one; None: the agent cannot switch)."""

    default: Provider
    resolve: ProviderResolver | None = None


# Where a turn gets its providers: fixed ones, or those of the live plugin snapshot.
ProviderSource = Callable[[], Providers]


@dataclass(frozen=True)  # no slots: a plugin snapshot tracks its users by weak reference
class Extensions:
    """What a turn takes in one step when it starts: the hook runner, the tool registry and
    the providers of the plugin snapshot live at that moment (or the fixed native ones).
    One object, so a reload can never hand one turn parts of two snapshots."""

    hooks: HookRunner
    tools: ToolRegistry
    providers: Providers


ExtensionSource = Callable[[], Extensions]


def provider_source(
    provider: Provider | ProviderSource, resolve: ProviderResolver | None = None
) -> ProviderSource:
    """A source for `provider`: a provider (with `resolve`) stands for itself."""
    if isinstance(provider, Provider):
        fixed = Providers(provider, resolve)
        return lambda: fixed
    return provider


@dataclass(frozen=True, slots=True)
class ToolExchange:
    call: ToolCall
    result: ToolResult


@dataclass(slots=True)
class TurnResult:
    session_id: str
    turn_id: str
    reply: str = ""
    usage: Usage = field(default_factory=Usage)
    exchanges: list[ToolExchange] = field(default_factory=list)
    llm_calls: int = 0
    stop_reason: StopReason = "answer"
    compaction: CompactionResult | None = None
    # False when on_message_sending cancelled the reply: the channel must not send it.
    delivered: bool = True


@dataclass(slots=True)
class _Turn:
    """What one turn knows and accumulates while it runs.

    `hooks`, `tools` and `providers` are taken once when the turn starts: a plugin reload
    in the middle of a turn never mixes old and new plugins within it. `provider` is the one
    this turn talks to (providers.default unless before_model_resolve chose another).
    """

    result: TurnResult
    channel: str
    user_id: str | None
    hooks: HookRunner
    tools: ToolRegistry
    providers: Providers
    provider: Provider
    model: str
    messages: list[ChatMessage] = field(default_factory=list)
    tool_calls: int = 0
    requested: ModelResolve | None = None

    @property
    def session_id(self) -> str:
        return self.result.session_id


class TurnBlocked(Exception):
    """A modifying hook cancelled a step the turn cannot go on without."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Agent:
    def __init__(
        self,
        *,
        config: AgentConfig,
        model: str,
        gate: ToolGate,
        memory: MemoryStore,
        provider: Provider | ProviderSource | None = None,
        tools: ToolRegistry | ToolSource | None = None,
        hooks: HookRunner | HookSource | None = None,
        observer: Observer | None = None,
        provider_for: ProviderResolver | None = None,
        extensions: ExtensionSource | None = None,
    ) -> None:
        """Either `extensions` (asked once per turn: the live plugin snapshot's), or
        `provider`, `tools` and `hooks`, each fixed or a source; `provider_for` goes with a
        fixed `provider`."""
        self._config = config
        if extensions is None:
            if provider is None or tools is None:
                raise TypeError("Agent needs `extensions`, or `provider` and `tools`")
            extensions = _compose(
                hook_source(hooks), tool_source(tools), provider_source(provider, provider_for)
            )
        self._extensions = extensions
        self._model = model
        self._gate = gate
        self._memory = memory
        self._observer = observer or NoopObserver()
        self._compactor = Compactor(config.compaction, model)

    @property
    def model(self) -> str:
        return self._model

    def extensions_for_turn(self) -> Extensions:
        """The hooks, tools and providers a turn starting now takes (the live snapshot's)."""
        return self._extensions()

    # -- sessions --------------------------------------------------------------------------

    def start_session(self, session_id: str, *, channel: str, user_id: str | None = None) -> None:
        """A conversation begins on a channel (fires on_session_start)."""
        self._memory.ensure_session(session_id, channel=channel, user_id=user_id)
        provider = self._extensions().providers.default
        self._observer.record(
            AgentStart(session_id, channel, user_id, provider=provider.name, model=self._model)
        )

    def end_session(self, session_id: str, *, channel: str, user_id: str | None = None) -> None:
        """A conversation ends (fires on_session_end: session_memory summarizes it)."""
        self._observer.record(AgentEnd(session_id, channel, user_id))

    def message_delivered(self, result: TurnResult, *, channel: str, recipient: str) -> None:
        """The channel sent the reply (fires on_message_sent)."""
        if result.delivered:
            self._observer.record(
                MessageDelivered(channel, recipient, result.reply, session_id=result.session_id)
            )

    # -- one turn --------------------------------------------------------------------------

    async def turn(
        self,
        session_id: str,
        text: str,
        *,
        channel: str = "terminal",
        user_id: str | None = None,
        sender: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        on_text: OnText | None = None,
    ) -> TurnResult:
        """Answer `text` in session `session_id`; `on_text` receives the reply as it streams.

        `provider` and `model` are the caller's choice for this turn (None: the configured
        ones); before_model_resolve handlers see that choice and may still change it.
        """
        result = TurnResult(session_id=session_id, turn_id=uuid.uuid4().hex[:16])
        taken = self._extensions()
        providers = taken.providers
        turn = _Turn(
            result,
            channel,
            user_id,
            taken.hooks,
            taken.tools,
            providers,
            providers.default,
            self._model,
        )
        turn.requested = ModelResolve(
            session_id,
            provider or providers.default.name,
            self._model if model is None else model,
        )
        inbound = await turn.hooks.run(
            Event.ON_MESSAGE_RECEIVED,
            InboundMessage(channel, session_id, sender or user_id or "user", text),
        )
        if inbound.cancelled:
            result.stop_reason = "blocked"
            result.reply = f"Message not accepted: {inbound.reason}"
            return result
        started = time.perf_counter()
        self._observer.record(TurnStarted(session_id, result.turn_id, channel))
        outcome: TurnOutcome = "error"
        try:
            await self._run_turn(turn, inbound.payload.content, on_text)
            await self._send(turn, recipient=sender or user_id or "user")
            outcome = result.stop_reason
            return result
        finally:
            self._observer.record(
                TurnComplete(
                    session_id,
                    result.turn_id,
                    outcome,
                    result.llm_calls,
                    len(result.exchanges),
                    result.usage,
                    _ms_since(started),
                )
            )

    async def _run_turn(self, turn: _Turn, text: str, on_text: OnText | None) -> None:
        session_id, result = turn.session_id, turn.result
        self._memory.ensure_session(session_id, channel=turn.channel, user_id=turn.user_id)
        self._memory.append_message(session_id, ChatMessage("user", text))
        try:
            history = self._load_history(session_id)
            result.compaction = await self._compact_if_needed(turn, history)
            if result.compaction is not None:
                history = self._load_history(session_id)
            system = await self._system_message(turn)
            turn.provider, turn.model = await self._resolve_model(turn)
        except TurnBlocked as blocked:
            result.stop_reason = "blocked"
            result.reply = f"Turn stopped by a hook: {blocked.reason}"
            return
        turn.messages = [system, *_answer_unfinished_calls([s.message for s in history])]
        await self._loop(turn, on_text)

    async def _loop(self, turn: _Turn, on_text: OnText | None) -> None:
        result = turn.result
        limit = self._config.max_tool_iterations
        for iteration in range(limit):
            # The last call offers no tools, so the model has to answer in words.
            try:
                response = await self._call_llm(
                    turn, offer_tools=iteration < limit - 1, on_text=on_text
                )
            except TurnBlocked as blocked:
                result.stop_reason = "blocked"
                result.reply = f"Turn stopped by a hook: {blocked.reason}"
                return
            self._store(turn, _assistant_message(response))
            if not response.tool_calls:
                result.reply = response.text or ""
                return
            for call in response.tool_calls:
                await self._run_tool(turn, call)
        result.stop_reason = "max_iterations"
        result.reply = (
            f"Stopped after {limit} model calls without a final answer (agent.max_tool_iterations)."
        )

    # -- the steps of a turn ---------------------------------------------------------------

    def _load_history(self, session_id: str) -> list[StoredMessage]:
        stored = self._memory.load_history(session_id, self._config.history_messages)
        return _drop_orphan_tool_results(stored)

    async def _compact_if_needed(
        self, turn: _Turn, history: Sequence[StoredMessage]
    ) -> CompactionResult | None:
        plan = self._compactor.plan(history)
        if plan is None:
            return None
        result = turn.result
        request = CompactionRequest(result.session_id, len(plan.older), plan.estimated_tokens)
        if (await turn.hooks.run(Event.BEFORE_COMPACTION, request)).cancelled:
            return None
        started = time.perf_counter()
        compaction = await self._compactor.run(
            result.session_id, plan, self._memory, turn.providers.default
        )
        result.usage += compaction.usage
        self._observer.record(
            Compaction(
                result.session_id,
                compaction.summary,
                compaction.compacted_messages,
                plan.estimated_tokens,
                _ms_since(started),
                turn_id=result.turn_id,
            )
        )
        return compaction

    async def _system_message(self, turn: _Turn) -> ChatMessage:
        summary = self._memory.latest_summary(turn.session_id)
        context = (f"Summary of the earlier conversation:\n{summary}",) if summary else ()
        built = await turn.hooks.run(
            Event.BEFORE_PROMPT_BUILD,
            PromptBuild(
                turn.session_id, turn.channel, turn.user_id, self._config.system_prompt, context
            ),
        )
        if built.cancelled:
            raise TurnBlocked(built.reason or "before_prompt_build cancelled")
        prompt = built.payload
        return ChatMessage("system", "\n\n".join([prompt.system_prompt, *prompt.context]))

    async def _resolve_model(self, turn: _Turn) -> tuple[Provider, str]:
        default = turn.providers.default
        requested = turn.requested or ModelResolve(turn.session_id, default.name, self._model)
        resolved = await turn.hooks.run(Event.BEFORE_MODEL_RESOLVE, requested)
        if resolved.cancelled:
            raise TurnBlocked(resolved.reason or "before_model_resolve cancelled")
        choice = resolved.payload
        if choice.provider == default.name:
            return default, choice.model
        if turn.providers.resolve is None:
            raise UnknownProviderError(
                f"this agent cannot switch to provider {choice.provider!r}",
                hint="use the configured provider (llm.provider)",
            )
        return turn.providers.resolve(choice.provider), choice.model

    async def _call_llm(
        self, turn: _Turn, *, offer_tools: bool, on_text: OnText | None
    ) -> ChatResponse:
        prepared = await turn.hooks.run(
            Event.BEFORE_LLM_CALL, LLMCall(turn.session_id, turn.model, tuple(turn.messages))
        )
        if prepared.cancelled:
            raise TurnBlocked(prepared.reason or "before_llm_call cancelled")
        call = prepared.payload
        request = ChatRequest(
            messages=call.messages,
            model=call.model,
            tools=tuple(turn.tools.specs()) if offer_tools else (),
        )
        turn.result.llm_calls += 1
        request_id = f"{turn.result.turn_id}-{turn.result.llm_calls}"
        provider = turn.provider
        self._observer.record(
            LLMRequest(
                turn.session_id,
                turn.result.turn_id,
                request_id,
                provider.name,
                call.model,
                tuple(call.messages),
                len(request.tools),
            )
        )
        started = time.perf_counter()
        try:
            if on_text is None:
                response = await provider.chat(request)
            else:
                response = await _stream_to(provider, request, on_text)
        except ProviderError as exc:
            self._record_llm_failure(turn, request_id, call.model, started, exc)
            raise
        self._observer.record(
            LLMResponse(
                turn.session_id,
                turn.result.turn_id,
                request_id,
                provider.name,
                response.model or call.model,
                _ms_since(started),
                text=response.text,
                tool_calls=response.tool_calls,
                usage=response.usage,
            )
        )
        turn.result.usage += response.usage
        return response

    def _record_llm_failure(
        self, turn: _Turn, request_id: str, model: str, started: float, exc: ProviderError
    ) -> None:
        self._observer.record(
            LLMResponse(
                turn.session_id,
                turn.result.turn_id,
                request_id,
                turn.provider.name,
                model,
                _ms_since(started),
                error=exc.message,
            )
        )
        self._observer.record(
            Error(
                "provider",
                exc.message,
                type(exc).__name__,
                session_id=turn.session_id,
                turn_id=turn.result.turn_id,
            )
        )

    async def _run_tool(self, turn: _Turn, call: ToolCall) -> None:
        ids = (turn.session_id, turn.result.turn_id, call.id, call.name)
        self._observer.record(ToolCallStarted(*ids, call.arguments))
        started = time.perf_counter()
        outcome = await self._gate.run(
            turn.session_id, call, turn.tool_calls, hooks=turn.hooks, tools=turn.tools
        )
        turn.tool_calls += 1
        result = outcome.result
        self._observer.record(
            ToolCallFinished(
                *ids,
                call.arguments,
                result,
                _ms_since(started),
                blocked_by=outcome.blocked_by,
                owner=outcome.owner,
                approval=outcome.approval,
            )
        )
        self._memory.record_tool_result(turn.session_id, call, result)
        turn.result.exchanges.append(ToolExchange(call, result))
        self._store(
            turn, ChatMessage("tool", result.for_model(), tool_call_id=call.id, name=call.name)
        )

    async def _send(self, turn: _Turn, recipient: str) -> None:
        """on_message_sending: the reply may be rewritten or withheld before it goes out."""
        result = turn.result
        sending = await turn.hooks.run(
            Event.ON_MESSAGE_SENDING,
            OutboundMessage(turn.channel, result.session_id, recipient, result.reply),
        )
        if sending.cancelled:
            result.delivered = False
            result.reply = ""
            return
        result.reply = sending.payload.content

    def _store(self, turn: _Turn, message: ChatMessage) -> None:
        self._memory.append_message(turn.session_id, message)
        turn.messages.append(message)


def _compose(hooks: HookSource, tools: ToolSource, providers: ProviderSource) -> ExtensionSource:
    return lambda: Extensions(hooks(), tools(), providers())


def _assistant_message(response: ChatResponse) -> ChatMessage:
    return ChatMessage("assistant", response.text or "", tool_calls=response.tool_calls)


UNFINISHED_CALL = "error: the turn ended before this tool call finished (it was stopped)"


def _answer_unfinished_calls(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """A turn stopped during its tools (a client gone, a timeout, Ctrl-C, a crash) leaves a
    stored assistant message whose tool calls have no results, and providers reject such
    a history. Each unanswered call gets a failed result in the prompt (not in memory),
    right after the results that did arrive."""
    out: list[ChatMessage] = []
    pending: list[ToolCall] = []
    for message in messages:
        if message.role == "tool":
            pending = [call for call in pending if call.id != message.tool_call_id]
        else:
            out.extend(_failed_results(pending))
            pending = list(message.tool_calls) if message.role == "assistant" else []
        out.append(message)
    out.extend(_failed_results(pending))
    return out


def _failed_results(calls: Sequence[ToolCall]) -> list[ChatMessage]:
    return [
        ChatMessage("tool", UNFINISHED_CALL, tool_call_id=call.id, name=call.name) for call in calls
    ]


def _drop_orphan_tool_results(history: Sequence[StoredMessage]) -> list[StoredMessage]:
    """A history window may start inside a tool exchange; its leading tool results have
    lost their call, and providers reject them, so they are left out."""
    start = 0
    while start < len(history) and history[start].message.role == "tool":
        start += 1
    return list(history[start:])


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def _stream_to(provider: Provider, request: ChatRequest, on_text: OnText) -> ChatResponse:
    async for event in provider.stream(request):
        if isinstance(event, TextDelta):
            on_text(event.text)
        elif isinstance(event, StreamEnd):
            return event.response
    raise ProviderError("the stream ended without a final response", provider=provider.name)
