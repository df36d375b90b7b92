"""A turn as an OpenAI Chat Completions stream (server-sent events).

The turn runs as a task; its text deltas (`on_text`) become `chat.completion.chunk`
events as they arrive. The stream opens with the assistant role, ends with a chunk that
carries the finish reason (and, when asked, one with the usage), then `data: [DONE]`.
A turn that stopped on calls of the client's tools sends them as `tool_calls` deltas (one
per call, whole: the provider hands the agent complete calls) before the finish reason
`tool_calls`.
The status line is sent before the turn ends, so a failure during the turn is reported
in the stream as an `error` event (what OpenAI does, and what the `openai` SDK raises).
A client that goes away cancels the turn; what it stored so far stays stored.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from pydantic import BaseModel

from zeroclaw.agent import TurnResult
from zeroclaw.agent.loop import OnText
from zeroclaw.gateway.errors import GatewayError, error_body
from zeroclaw.gateway.openai_api import (
    ChatCompletionChunk,
    ChunkChoice,
    CompletionUsage,
    Delta,
    DeltaFunctionCall,
    DeltaToolCall,
    finish_reason,
    now,
)
from zeroclaw.tool_arguments import arguments_to_wire

RunTurn = Callable[[OnText], Coroutine[Any, Any, TurnResult]]
OnDone = Callable[[TurnResult], None]

DONE = "data: [DONE]\n\n"


def sse(data: BaseModel | dict[str, object]) -> str:
    payload = data.model_dump_json() if isinstance(data, BaseModel) else json.dumps(data)
    return f"data: {payload}\n\n"


async def completion_stream(
    run_turn: RunTurn,
    *,
    completion_id: str,
    model: str,
    include_usage: bool,
    on_done: OnDone,
) -> AsyncIterator[str]:
    created = now()

    def chunk(delta: Delta, finish: ChunkChoice | None = None) -> str:
        choice = finish or ChunkChoice(delta=delta)
        return sse(
            ChatCompletionChunk(id=completion_id, created=created, model=model, choices=[choice])
        )

    deltas: asyncio.Queue[str | None] = asyncio.Queue()
    task = asyncio.create_task(run_turn(deltas.put_nowait))
    task.add_done_callback(lambda finished: _end(finished, deltas))
    try:
        yield chunk(Delta(role="assistant", content=""))
        streamed: list[str] = []
        while (text := await deltas.get()) is not None:
            streamed.append(text)
            yield chunk(Delta(content=text))
        try:
            result = task.result()
        except GatewayError as error:
            yield sse(error_body(error))
            return
        if rest := _unstreamed(result, "".join(streamed)):
            yield chunk(Delta(content=rest))
        if result.client_calls:
            yield chunk(Delta(tool_calls=tool_call_deltas(result)))
        finish = ChunkChoice(delta=Delta(), finish_reason=finish_reason(result))
        yield chunk(Delta(), finish)
        if include_usage:
            usage = ChatCompletionChunk(
                id=completion_id,
                created=created,
                model=model,
                choices=[],
                usage=CompletionUsage.of(result.usage),
            )
            yield sse(usage)
        yield DONE
        on_done(result)
    finally:
        if not task.done():
            task.cancel()


def _end(task: asyncio.Task[TurnResult], deltas: asyncio.Queue[str | None]) -> None:
    deltas.put_nowait(None)
    if not task.cancelled():
        # Marks the error as seen even when the client left before we could report it.
        task.exception()


def _unstreamed(result: TurnResult, streamed: str) -> str:
    """Reply text the deltas did not carry: a reply that was not streamed at all (a stop
    message, a hook's refusal) or the end of one a hook lengthened."""
    if result.reply.startswith(streamed):
        return result.reply[len(streamed) :]
    if result.stop_reason in ("max_iterations", "blocked"):
        return ("\n\n" if streamed else "") + result.reply
    return ""


def tool_call_deltas(result: TurnResult) -> list[DeltaToolCall]:
    return [
        DeltaToolCall(
            index=index,
            id=call.id,
            function=DeltaFunctionCall(name=call.name, arguments=arguments_to_wire(call)),
        )
        for index, call in enumerate(result.client_calls)
    ]
