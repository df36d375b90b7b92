"""Agent turns on behalf of HTTP requests: one session at a time, within a deadline.

The routes hand a message (or a client's tool results) here and get a `TurnResult` back,
or a `GatewayError` that already says which status it is (400 when the turn refuses the
request's steering, before anything is stored; 504 past `request_timeout_s`, 502 when the
agent or its provider failed, 503 while a required plugin is quarantined or when the
memory database cannot be used).

Sessions. A session's turns run one at a time, on this replica and across replicas
sharing a PostgreSQL database (agent/session_locks.py). The first turn this process runs for a
session starts it (on_session_start).
A session the client named lives on: `end_sessions` ends those when the gateway stops.
A one-off session (the client named none, so the gateway made its id up) ends right
after its turn, so a stateless client does not pile up sessions for the shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, Protocol

from zeroclaw.agent import AgentRuntime, Steering, SteeringRefused, ToolAnswer, TurnResult
from zeroclaw.agent.loop import OnText
from zeroclaw.agent.steering import NO_STEERING
from zeroclaw.errors import ZeroClawError
from zeroclaw.gateway.chat_input import TurnInput
from zeroclaw.gateway.errors import (
    AgentFailed,
    GatewayError,
    InvalidRequest,
    RequiredPluginUnavailable,
    StorageUnavailable,
    TurnTimedOut,
)
from zeroclaw.gateway.model_choice import ModelChoice
from zeroclaw.memory import MemoryStoreError
from zeroclaw.messages import ChatMessage

CHANNEL = "gateway"

_LOG = logging.getLogger("zeroclaw.gateway")


class TurnRunner(Protocol):
    """One asked turn, run whole (no `on_text`) or with its text streamed to `on_text`."""

    def __call__(self, on_text: OnText | None = None) -> Coroutine[Any, Any, TurnResult]: ...


class GatewayTurns:
    def __init__(self, runtime: AgentRuntime, *, timeout_s: float) -> None:
        self._runtime = runtime
        self._timeout_s = timeout_s
        # On PostgreSQL the session is locked in the database too: replicas (and a
        # terminal chat on the same database) share it.
        self._locks = runtime.session_locks
        self._started: set[str] = set()

    async def answer(
        self,
        session_id: str,
        text: str | Sequence[ToolAnswer],
        *,
        sender: str,
        model: ModelChoice | None = None,
        seed: Sequence[ChatMessage] = (),
        on_text: OnText | None = None,
        one_off: bool = False,
        steering: Steering = NO_STEERING,
        names: Mapping[str, str] | None = None,
        precondition: Callable[[], Awaitable[None]] | None = None,
        after: Callable[[TurnResult], Awaitable[None]] | None = None,
    ) -> TurnResult:
        """Run one turn of `session_id` once its earlier turns are done: on the user's
        `text`, or resumed with the client's results for its tool calls.

        `precondition` runs first once the session is held, and may refuse the turn with a
        GatewayError: what a request checked about the session before waiting for it
        (the response it continues is the latest) may no longer hold once it is its turn.
        `after` runs on the result while the session is still held (a response id is
        recorded there, so the next request sees it as the latest).

        `seed` (earlier messages a stateless client sent along) is stored first when the
        session has no history yet; a session with history keeps its own. A `one_off`
        session ends with its turn. `names` maps the agent's names of the options to the
        request's own (the Responses API's `max_output_tokens` is `max_tokens`), so a
        refusal names what the client sent.
        """
        blocker = self.serving_blocker()
        if blocker is not None:
            raise RequiredPluginUnavailable(blocker)
        agent = self._runtime.agent
        provider = (model.provider or None) if model else None
        chosen = model.model if model else None
        self.check(steering, model=model, names=names)
        deadline = asyncio.timeout(self._timeout_s)
        try:
            async with deadline, self._locks.hold(session_id):
                if precondition is not None:
                    await precondition()
                await self._start(session_id)
                if seed:
                    # Up to gateway.max_messages rows: written on the storage loop, in one
                    # transaction, while this loop serves everyone else.
                    await self._seed(session_id, seed)
                try:
                    if isinstance(text, str):
                        result = await agent.turn(
                            session_id,
                            text,
                            channel=CHANNEL,
                            sender=sender,
                            provider=provider,
                            model=chosen,
                            on_text=on_text,
                            steering=steering,
                        )
                    else:
                        result = await agent.resume(
                            session_id,
                            text,
                            channel=CHANNEL,
                            sender=sender,
                            provider=provider,
                            model=chosen,
                            on_text=on_text,
                            steering=steering,
                        )
                    if after is not None:
                        await after(result)
                    return result
                finally:
                    if one_off:
                        self._end(session_id)
        except SteeringRefused as error:
            # A hook switched the turn to a provider that cannot honour the request.
            raise _refused(error, names or {}) from None
        except GatewayError:
            raise  # the precondition's refusal, already the right status
        except TimeoutError as error:
            if deadline.expired():
                raise TurnTimedOut(self._timeout_s) from None
            raise _failed(error) from error
        except MemoryStoreError as error:
            raise StorageUnavailable(error) from error
        except ZeroClawError as error:
            raise AgentFailed(error.message) from error
        except Exception as error:
            # A bug below us is still the agent failing, not the client's request.
            _LOG.exception("turn of session %s failed", session_id)
            raise _failed(error) from error

    def runner(
        self,
        session_id: str,
        asked: TurnInput,
        *,
        sender: str,
        model: ModelChoice | None,
        one_off: bool,
        steering: Steering,
        names: Mapping[str, str] | None = None,
        precondition: Callable[[], Awaitable[None]] | None = None,
        after: Callable[[TurnResult], Awaitable[None]] | None = None,
    ) -> TurnRunner:
        """The turn an OpenAI endpoint asked for, to run whole or streamed (`on_text`):
        chat completions and responses ask it the same way."""

        def run(on_text: OnText | None = None) -> Coroutine[Any, Any, TurnResult]:
            return self.answer(
                session_id,
                asked.ask,
                sender=sender,
                model=model,
                seed=asked.seed,
                on_text=on_text,
                one_off=one_off,
                steering=steering,
                names=names,
                precondition=precondition,
                after=after,
            )

        return run

    def check(
        self,
        steering: Steering,
        *,
        model: ModelChoice | None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Refuse (400) what the chosen provider would not honour. `answer` checks too; a
        stream checks first, so its refusal is a 400 rather than an event after a 200."""
        if steering is NO_STEERING:
            return
        try:
            self._runtime.agent.check_steering(
                steering,
                provider=(model.provider or None) if model else None,
                model=model.model if model else None,
            )
        except SteeringRefused as error:
            raise _refused(error, names or {}) from None
        except ZeroClawError as error:
            raise AgentFailed(error.message) from error

    def serving_blocker(self) -> str | None:
        """Why turns are refused now: a required plugin is quarantined and its cool-down
        is still running. Once it is over a turn goes through, to be the breaker's probe
        (refusing every turn would keep the plugin quarantined for good)."""
        plugins = self._runtime.plugins
        if plugins is None:
            return None
        snapshot = plugins.current()
        blocker = snapshot.serving_blocker()
        cooling = any(
            plugin.required and plugin.calls.breaker_status().retry_in_s
            for plugin in snapshot.plugins.values()
        )
        return blocker if cooling else None

    def delivered(self, result: TurnResult, *, recipient: str) -> None:
        """The reply went out to the client (fires on_message_sent)."""
        self._runtime.agent.message_delivered(result, channel=CHANNEL, recipient=recipient)

    def end_sessions(self) -> None:
        """Every session still open ends (fires on_session_end for each)."""
        for session_id in sorted(self._started):
            self._end(session_id)

    def _end(self, session_id: str) -> None:
        self._started.discard(session_id)
        self._runtime.agent.end_session(session_id, channel=CHANNEL)

    async def _start(self, session_id: str) -> None:
        if session_id not in self._started:
            self._started.add(session_id)
            # Stored by the turn's first write (or the seed's), not a write of its own.
            await self._runtime.agent.start_session(session_id, channel=CHANNEL, store=False)

    async def _seed(self, session_id: str, seed: Sequence[ChatMessage]) -> None:
        memory = self._runtime.memory
        info = await memory.get_session(session_id)
        if info is not None and info.message_count > 0:
            return
        await memory.ensure_session(session_id, channel=CHANNEL)
        await memory.append_messages(session_id, seed)


def _refused(error: SteeringRefused, names: Mapping[str, str]) -> InvalidRequest:
    message = f"{error.message}; {error.hint}" if error.hint else error.message
    for ours, theirs in names.items():
        message = message.replace(repr(ours), repr(theirs))
    param = names.get(error.param, error.param) if error.param else None
    refused = InvalidRequest(message, param=param)
    refused.code = error.code
    return refused


def _failed(error: BaseException) -> AgentFailed:
    return AgentFailed(f"the agent failed: {type(error).__name__}: {error}")
