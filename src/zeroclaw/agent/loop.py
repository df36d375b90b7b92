"""The agent loop: one user message in, one answer out, with tools in between.

A turn, and the hook dispatched at each step (modifying hooks may change or cancel):

    on_message_received      the inbound message; cancel drops it with a reply saying why
    store the user message   committed at once, the turn marked open: a process killed
                             mid-turn keeps it
    before_compaction        when history exceeds its budget; cancel skips this compaction
    before_prompt_build      system prompt and context (boot_script, session_memory)
    before_model_resolve     provider and model of this turn
    repeat, up to agent.max_tool_iterations model calls:
      before_llm_call        the messages and model of this call
      provider.chat          (observer: llm_request / llm_response)
      each tool call         ToolGate: policy, approval, before_tool_call, registry,
                             tool_result_persist (may redact the result before it is
                             stored and seen)
      a client's tool call   before_tool_call only (it runs on the client): the turn
                             stops with the call pending (stop_reason "tool_calls")
    settle                   everything the turn produced (tool calls, tool results, the
                             answer) stored in one transaction that marks the turn settled
    on_message_sending       the reply; may rewrite it or cancel its delivery

What a turn produces past the user's message is held in `_Turn.writes` and stored when it
settles, all of it or none (`MemoryStore.settle_turn`), so memory never holds half a turn
(an assistant's tool calls with half their results). A turn that fails before it settles
(its provider fails, the database goes away) stores nothing of its work and stays open;
the session's next turn closes it, or continues it when it is the same message sent again
(`MemoryStore.begin_turn`). Compaction is apart: it rewrites older history in a
transaction of its own, whole whether or not the turn then settles.

A turn cancelled from outside (Ctrl-C in the terminal chat, a gateway client gone) after
its message was stored leaves an answer owed in memory. It is settled there and then: the
assistant message `CANCELLED_TURN` is stored after what the turn produced, so the history
reads as what happened (the question, whatever tool calls ran, "cancelled") and the next
turn's model sees that the question went unanswered instead of two questions in a row.
Calls left without a result are answered in the prompt (`_answer_unfinished_calls`), never
in memory.

A caller's `Steering` (steering.py) rides along: its options reach every model call, its
tools are offered beside the agent's. What the provider could not honour is refused before
anything is stored. `resume` continues a turn that stopped on client tool calls, once the
caller sends their results (tool_result_persist sees them, as it sees the agent's).

Void hooks (on_llm_input, on_llm_output, on_after_tool_call, after_compaction, ...) are
never dispatched here: the loop records observer events and the ObserverBridge turns them
into void hooks, so each lifecycle event reaches handlers exactly once.

A modifying hook no handler is registered for is not dispatched at all: the step goes on
with its own value (what `HookRunner.run` would return), and the payload is never built.
A gateway turn passes five such steps, and most runners handle none of them.

A turn takes its hook runner, its tool registry and its providers once, at its start (with
plugins on, all three from the plugin snapshot live then), and uses them to its end: a
plugin reload in the middle of a turn never mixes generations.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from zeroclaw.agent.compaction import CompactionResult, Compactor
from zeroclaw.agent.provenance import client_provenance, gate_provenance, refusing_hook
from zeroclaw.agent.steering import (
    NO_STEERING,
    Steering,
    ToolAnswer,
    check_answers,
    check_steering,
)
from zeroclaw.agent.tool_gate import Screened, ToolGate, ToolSource, tool_source
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
from zeroclaw.memory import MemoryStore, StoredMessage, TurnContext, TurnWrites
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
    observes,
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

# tool_calls: the model called a client's tool (the turn waits for its result);
# length: the model's answer hit the request's max_tokens.
StopReason = Literal["answer", "max_iterations", "blocked", "tool_calls", "length"]
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
    # The calls of the caller's own tools the turn stopped on (stop_reason "tool_calls").
    client_calls: tuple[ToolCall, ...] = ()


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
    steering: Steering = NO_STEERING
    # True from the moment the user's message (or a client's tool results) is being stored
    # until the answer, or calls of client tools the turn waits on, is being stored: what a
    # cancellation in between has to settle (CANCELLED_TURN).
    answer_owed: bool = False
    # What the turn produced, stored when it settles; the id of its stored user message
    # (None for a resumed turn); the settling write once started (a cancel waits for it).
    writes: TurnWrites = field(default_factory=TurnWrites)
    opened: int | None = None
    # The context begin_turn read with the user's message (None: read it before the prompt).
    context: TurnContext | None = None
    settling: asyncio.Future[None] | None = None

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
        # Most setups have no observer of a turn's start (the metrics and the hook bridge
        # record its end only): the event is then not even built.
        self._turn_starts = observes(self._observer, TurnStarted)
        self._compactor = Compactor(config.compaction, model)

    @property
    def model(self) -> str:
        return self._model

    def extensions_for_turn(self) -> Extensions:
        """The hooks, tools and providers a turn starting now takes (the live snapshot's)."""
        return self._extensions()

    # -- sessions --------------------------------------------------------------------------

    async def start_session(
        self, session_id: str, *, channel: str, user_id: str | None = None, store: bool = True
    ) -> None:
        """A conversation begins on a channel (fires on_session_start). Its row is stored
        now, or, with `store=False`, by the caller's first write: a turn's (`begin_turn`
        makes sure of the session in its own transaction), one transaction fewer."""
        if store:
            await self._memory.ensure_session(session_id, channel=channel, user_id=user_id)
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
        steering: Steering = NO_STEERING,
    ) -> TurnResult:
        """Answer `text` in session `session_id`; `on_text` receives the reply as it streams.

        `provider` and `model` are the caller's choice for this turn (None: the configured
        ones); before_model_resolve handlers see that choice and may still change it.
        `steering` is refused (`SteeringRefused`) before anything is stored when the
        provider could not honour it.
        """
        turn = self._new_turn(session_id, channel, user_id, provider, model, steering)
        result = turn.result
        sender = sender or user_id or "user"
        if turn.hooks.has_handlers(Event.ON_MESSAGE_RECEIVED):
            inbound = await turn.hooks.run(
                Event.ON_MESSAGE_RECEIVED, InboundMessage(channel, session_id, sender, text)
            )
            if inbound.cancelled:
                result.stop_reason = "blocked"
                result.reply = f"Message not accepted: {inbound.reason}"
                return result
            text = inbound.payload.content
        return await self._observed(turn, sender, text, (), on_text)

    async def resume(
        self,
        session_id: str,
        answers: Sequence[ToolAnswer],
        *,
        channel: str = "terminal",
        user_id: str | None = None,
        sender: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        on_text: OnText | None = None,
        steering: Steering = NO_STEERING,
    ) -> TurnResult:
        """Continue a turn that stopped on calls of the caller's tools, with their results.

        `answers` must answer exactly the session's pending calls (`ToolAnswersMismatch`
        otherwise, before anything is stored)."""
        turn = self._new_turn(session_id, channel, user_id, provider, model, steering)
        check_answers(await self.pending_calls(session_id), answers)
        return await self._observed(turn, sender or user_id or "user", None, answers, on_text)

    async def pending_calls(self, session_id: str) -> list[ToolCall]:
        """The tool calls of the session's last assistant message that have no result yet
        (none once a user message came after it)."""
        history = await self._memory.load_history(session_id, self._config.history_messages)
        pending: list[ToolCall] = []
        for stored in history:
            message = stored.message
            if message.role == "assistant":
                pending = list(message.tool_calls)
            elif message.role == "tool":
                pending = [call for call in pending if call.id != message.tool_call_id]
            else:
                pending = []
        return pending

    def _new_turn(
        self,
        session_id: str,
        channel: str,
        user_id: str | None,
        provider: str | None,
        model: str | None,
        steering: Steering,
    ) -> _Turn:
        result = TurnResult(session_id=session_id, turn_id=os.urandom(8).hex())
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
            steering=steering,
        )
        turn.requested = ModelResolve(
            session_id,
            provider or providers.default.name,
            self._model if model is None else model,
        )
        if steering is not NO_STEERING:
            requested = turn.requested
            chosen = self._provider_named(turn, requested.provider)
            check_steering(steering, chosen, requested.model, turn.tools.names())
        return turn

    def check_steering(
        self, steering: Steering, *, provider: str | None = None, model: str | None = None
    ) -> None:
        """What `turn` would refuse about `steering` (`SteeringRefused`), asked before the
        caller stores anything of its own (a seed)."""
        self._new_turn("", "", None, provider, model, steering)

    async def _observed(
        self,
        turn: _Turn,
        recipient: str,
        text: str | None,
        answers: Sequence[ToolAnswer],
        on_text: OnText | None,
    ) -> TurnResult:
        result, session_id = turn.result, turn.session_id
        started = time.perf_counter()
        if self._turn_starts:
            self._observer.record(TurnStarted(session_id, result.turn_id, turn.channel))
        outcome: TurnOutcome = "error"
        try:
            if text is not None:
                await self._run_turn(turn, text, on_text)
            else:
                await self._continue_turn(turn, answers, on_text)
            await self._settle(turn)
            await self._send(turn, recipient=recipient)
            outcome = result.stop_reason
            return result
        except asyncio.CancelledError:
            outcome = "cancelled"
            if turn.settling is None and (turn.answer_owed or turn.writes):
                if turn.answer_owed:
                    turn.writes.messages.append(CANCELLED_TURN)
                self._start_settling(turn)
            if turn.settling is not None:
                # A second Ctrl-C (or a deadline and a client gone) neither cuts the
                # settling write in half nor ends the turn before it is stored: the
                # session's next turn must find this one settled, not open.
                await _outlast(turn.settling)
                turn.settling.result()
            raise
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
        await self._ask(turn, text)
        await self._prepare_and_loop(turn, on_text)

    async def _ask(self, turn: _Turn, text: str) -> None:
        """Store the user's message and open the turn, making sure of the session in the
        same transaction (`MemoryStore.begin_turn`, which also closes or continues a turn
        the session left open); once it is stored an answer is owed. The write is shielded
        (it goes on when the turn is cancelled), so a cancelled turn waits for its
        outcome: a message stored is owed an answer, one refused (another user's session)
        is not."""
        storing = asyncio.create_task(
            self._memory.begin_turn(
                turn.session_id,
                ChatMessage("user", text),
                channel=turn.channel,
                user_id=turn.user_id,
                history=self._config.history_messages,
            )
        )
        try:
            await asyncio.shield(storing)
        except asyncio.CancelledError:
            await _outlast(storing)
            if not storing.cancelled() and storing.exception() is None:
                turn.opened = storing.result().message_id
                turn.answer_owed = True
            raise
        turn.opened, turn.context = storing.result().message_id, storing.result().context
        turn.answer_owed = True

    async def _settle(self, turn: _Turn) -> None:
        """Store what the turn produced and mark it settled: one transaction."""
        await asyncio.shield(self._start_settling(turn))

    def _start_settling(self, turn: _Turn) -> asyncio.Future[None]:
        turn.settling = asyncio.create_task(
            self._memory.settle_turn(turn.session_id, turn.writes, opened=turn.opened)
        )
        return turn.settling

    async def _continue_turn(
        self, turn: _Turn, answers: Sequence[ToolAnswer], on_text: OnText | None
    ) -> None:
        """Take the caller's results for its tool calls (stored when the turn settles, with
        the rest), then go on with the loop."""
        calls = {call.id: call for call in await self.pending_calls(turn.session_id)}
        turn.answer_owed = True
        for answer in answers:
            call = calls[answer.tool_call_id]
            persisted = await self._gate.persistable(
                turn.session_id, call, ToolResult.ok(answer.content), hooks=turn.hooks
            )
            result = persisted.result
            turn.writes.tool_results.append(
                (call, result, client_provenance([persisted.explanation]))
            )
            turn.writes.messages.append(
                ChatMessage("tool", result.for_model(), tool_call_id=call.id, name=call.name)
            )
        await self._prepare_and_loop(turn, on_text)

    async def _prepare_and_loop(self, turn: _Turn, on_text: OnText | None) -> None:
        session_id, result = turn.session_id, turn.result
        try:
            # History and summary in one read (begin_turn's, when it opened the turn);
            # again after a compaction changed both.
            context = turn.context
            if context is None:
                context = await self._memory.turn_context(session_id, self._config.history_messages)
            history = _drop_orphan_tool_results(context.history)
            result.compaction = await self._compact_if_needed(turn, history)
            if result.compaction is not None:
                context = await self._memory.turn_context(session_id, self._config.history_messages)
                history = _drop_orphan_tool_results(context.history)
            system = await self._system_message(turn, context.summary)
            turn.provider, turn.model = await self._resolve_model(turn)
            if turn.steering is not NO_STEERING:
                # A handler may have switched providers: the new one must honour it too.
                check_steering(turn.steering, turn.provider, turn.model, turn.tools.names())
        except TurnBlocked as blocked:
            result.stop_reason = "blocked"
            result.reply = f"Turn stopped by a hook: {blocked.reason}"
            return
        # A resumed turn's client results are not stored yet: they follow the history.
        stored = [s.message for s in history]
        turn.messages = [system, *_answer_unfinished_calls([*stored, *turn.writes.messages])]
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
            if not response.tool_calls:
                turn.answer_owed = False
                self._store(turn, _assistant_message(response))
                result.reply = response.text or ""
                if response.finish_reason == "length":
                    result.stop_reason = "length"
                return
            if await self._run_tools(turn, response):
                return
        result.stop_reason = "max_iterations"
        result.reply = (
            f"Stopped after {limit} model calls without a final answer (agent.max_tool_iterations)."
        )

    async def _run_tools(self, turn: _Turn, response: ChatResponse) -> bool:
        """Run the agent's tool calls; True when the turn stops on calls of client tools.

        Client calls are screened first (before_tool_call may change or refuse them), so
        the stored assistant message holds them as the client will get them."""
        client = turn.steering.client_names()
        calls: list[ToolCall] = []
        refused: dict[str, Screened] = {}
        for call in response.tool_calls:
            if call.name not in client:
                calls.append(call)
                continue
            screened = await self._gate.screen_client_call(
                turn.session_id, call, client, hooks=turn.hooks
            )
            if screened.refusal is not None:
                refused[call.id] = screened
            calls.append(screened.call)
        self._store(turn, ChatMessage("assistant", response.text or "", tool_calls=tuple(calls)))
        pending: list[ToolCall] = []
        for call in calls:
            if call.id in refused:
                await self._store_client_refusal(turn, call, refused[call.id])
            elif call.name in client:
                pending.append(call)
            else:
                await self._run_tool(turn, call)
        if not pending:
            return False
        turn.answer_owed = False  # the turn waits on the client's results, by design
        turn.result.stop_reason = "tool_calls"
        turn.result.client_calls = tuple(pending)
        turn.result.reply = response.text or ""
        return True

    async def _store_client_refusal(self, turn: _Turn, call: ToolCall, screened: Screened) -> None:
        # tool_result_persist sees every result, refusals included (as in the gate).
        assert screened.refusal is not None
        persisted = await self._gate.persistable(
            turn.session_id, call, screened.refusal, hooks=turn.hooks
        )
        result = persisted.result
        provenance = client_provenance(
            [screened.explanation, persisted.explanation],
            blocked_by=refusing_hook(screened.explanation),
        )
        turn.writes.tool_results.append((call, result, provenance))
        turn.result.exchanges.append(ToolExchange(call, result))
        self._store(
            turn, ChatMessage("tool", result.for_model(), tool_call_id=call.id, name=call.name)
        )

    # -- the steps of a turn ---------------------------------------------------------------

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

    async def _system_message(self, turn: _Turn, summary: str | None) -> ChatMessage:
        context = (f"Summary of the earlier conversation:\n{summary}",) if summary else ()
        if not turn.hooks.has_handlers(Event.BEFORE_PROMPT_BUILD):
            return ChatMessage("system", "\n\n".join([self._config.system_prompt, *context]))
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
        if not turn.hooks.has_handlers(Event.BEFORE_MODEL_RESOLVE):
            return self._provider_named(turn, requested.provider), requested.model
        resolved = await turn.hooks.run(Event.BEFORE_MODEL_RESOLVE, requested)
        if resolved.cancelled:
            raise TurnBlocked(resolved.reason or "before_model_resolve cancelled")
        choice = resolved.payload
        return self._provider_named(turn, choice.provider), choice.model

    def _provider_named(self, turn: _Turn, name: str) -> Provider:
        default = turn.providers.default
        if name == default.name:
            return default
        if turn.providers.resolve is None:
            raise UnknownProviderError(
                f"this agent cannot switch to provider {name!r}",
                hint="use the configured provider (llm.provider)",
            )
        return turn.providers.resolve(name)

    async def _call_llm(
        self, turn: _Turn, *, offer_tools: bool, on_text: OnText | None
    ) -> ChatResponse:
        call = LLMCall(turn.session_id, turn.model, tuple(turn.messages))
        if turn.hooks.has_handlers(Event.BEFORE_LLM_CALL):
            prepared = await turn.hooks.run(Event.BEFORE_LLM_CALL, call)
            if prepared.cancelled:
                raise TurnBlocked(prepared.reason or "before_llm_call cancelled")
            call = prepared.payload
        steering = turn.steering
        offered = offer_tools and steering.offer_tools
        request = ChatRequest(
            messages=call.messages,
            model=call.model,
            # The client's tools first: its request is what asked for tools.
            tools=(*steering.client_tools, *turn.tools.specs()) if offered else (),
            options=steering.options_for_call(first=turn.result.llm_calls == 0),
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
        duration_ms = _ms_since(started)
        self._observer.record(
            ToolCallFinished(
                *ids,
                call.arguments,
                result,
                duration_ms,
                blocked_by=outcome.blocked_by,
                owner=outcome.owner,
                approval=outcome.approval,
            )
        )
        turn.writes.tool_results.append((call, result, gate_provenance(outcome, duration_ms)))
        turn.result.exchanges.append(ToolExchange(call, result))
        self._store(
            turn, ChatMessage("tool", result.for_model(), tool_call_id=call.id, name=call.name)
        )

    async def _send(self, turn: _Turn, recipient: str) -> None:
        """on_message_sending: the reply may be rewritten or withheld before it goes out."""
        result = turn.result
        if not turn.hooks.has_handlers(Event.ON_MESSAGE_SENDING):
            return
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
        """Keep `message` for the turn's settling write, and for its next model call."""
        turn.writes.messages.append(message)
        turn.messages.append(message)


def _compose(hooks: HookSource, tools: ToolSource, providers: ProviderSource) -> ExtensionSource:
    return lambda: Extensions(hooks(), tools(), providers())


def _assistant_message(response: ChatResponse) -> ChatMessage:
    return ChatMessage("assistant", response.text or "", tool_calls=response.tool_calls)


# What memory holds as the answer of a turn cancelled after its message was stored.
async def _outlast(write: asyncio.Future[Any]) -> None:
    """Wait until `write` is done, however many times the waiting task is cancelled
    meanwhile (the caller is already unwinding a cancellation and raises it after). A
    turn's writes go on when it is cancelled; a turn that stopped waiting for them would
    let go of its session while memory still shows it open, and the session's next turn
    would close it a second time (UNSETTLED_TURN after CANCELLED_TURN). Bounded by the
    store's own timeouts."""
    while not write.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({write})


CANCELLED_TURN = ChatMessage("assistant", "(no answer: this turn was cancelled before it finished)")

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
