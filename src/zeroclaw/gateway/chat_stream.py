"""A turn as an OpenAI Chat Completions stream: `chat.completion.chunk` events.

The stream opens with the assistant role, carries each text delta of the turn as it
arrives (turn_stream), ends with a chunk that carries the finish reason (and, when asked,
one with the usage), then `data: [DONE]`. A turn that stopped on calls of the client's
tools sends them as `tool_calls` deltas (one per call, whole: the provider hands the
agent complete calls) before the finish reason `tool_calls`.
The status line is sent before the turn ends, so a failure during the turn is reported
in the stream as an `error` event (what OpenAI does, and what the `openai` SDK raises).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from openai.types.chat.chat_completion_chunk import ChoiceDelta
from sse_starlette import ServerSentEvent

from zeroclaw.agent import TurnResult
from zeroclaw.gateway.chat_replies import ChunkMaker, finish_reason, tool_call_deltas
from zeroclaw.gateway.errors import error_body
from zeroclaw.gateway.sse import event
from zeroclaw.gateway.turn_stream import RunTurn, turn_deltas, unstreamed

OnDone = Callable[[TurnResult], None]


async def completion_stream(
    run_turn: RunTurn,
    *,
    chunks: ChunkMaker,
    include_usage: bool,
    on_done: OnDone,
) -> AsyncIterator[ServerSentEvent]:
    yield event(chunks.delta(ChoiceDelta(role="assistant", content="")))
    streamed: list[str] = []
    async for step in turn_deltas(run_turn):
        if isinstance(step, str):
            streamed.append(step)
            yield event(chunks.delta(ChoiceDelta(content=step)))
        elif not isinstance(step, TurnResult):
            yield event(error_body(step))
            return
        else:
            result = step
    if rest := unstreamed(result, "".join(streamed)):
        yield event(chunks.delta(ChoiceDelta(content=rest)))
    if result.client_calls:
        yield event(chunks.delta(ChoiceDelta(tool_calls=tool_call_deltas(result))))
    yield event(chunks.delta(ChoiceDelta(), finish=finish_reason(result)))
    if include_usage:
        yield event(chunks.usage(result.usage))
    yield event("[DONE]")
    on_done(result)
