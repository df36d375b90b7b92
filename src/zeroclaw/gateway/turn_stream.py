"""A turn run for a stream: its text deltas as the model produces them, then how it ended.

Both streaming endpoints (Chat Completions chunks, Responses events) shape the same
thing: the turn runs as a task, its `on_text` deltas are handed on as they arrive, then
comes its `TurnResult`, or the `GatewayError` it failed with (the status line is already
sent by then, so the stream reports it as an event). When the consumer stops early (the
client went away, so the SSE response cancels its generator) the turn task is cancelled;
what it stored so far stays stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from zeroclaw.agent import TurnResult
from zeroclaw.agent.loop import OnText
from zeroclaw.gateway.errors import GatewayError

RunTurn = Callable[[OnText], Coroutine[Any, Any, TurnResult]]


async def turn_deltas(run_turn: RunTurn) -> AsyncIterator[str | TurnResult | GatewayError]:
    """The turn's text deltas, then its result or its error (always last)."""
    deltas: asyncio.Queue[str | None] = asyncio.Queue()
    task = asyncio.create_task(run_turn(deltas.put_nowait))
    task.add_done_callback(lambda finished: _end(finished, deltas))
    try:
        while (text := await deltas.get()) is not None:
            yield text
        try:
            yield task.result()
        except GatewayError as error:
            yield error
    finally:
        if not task.done():
            task.cancel()


def _end(task: asyncio.Task[TurnResult], deltas: asyncio.Queue[str | None]) -> None:
    deltas.put_nowait(None)
    if not task.cancelled():
        # Marks the error as seen even when the client left before we could report it.
        task.exception()


def unstreamed(result: TurnResult, streamed: str) -> str:
    """Reply text the deltas did not carry: a reply that was not streamed at all (a stop
    message, a hook's refusal) or the end of one a hook lengthened."""
    if result.reply.startswith(streamed):
        return result.reply[len(streamed) :]
    if result.stop_reason in ("max_iterations", "blocked"):
        return ("\n\n" if streamed else "") + result.reply
    return ""
