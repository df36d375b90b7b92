"""A turn as a Responses API stream: OpenAI's typed events, in OpenAI's order.

    response.created, response.in_progress             the response, in progress
    response.output_item.added (message)               with the first text delta
    response.content_part.added (output_text)
    response.output_text.delta  ...                    each text delta as it arrives
    response.output_text.done, response.content_part.done, response.output_item.done
    per client tool call: response.output_item.added (function_call),
        response.function_call_arguments.delta (whole: the provider hands the agent
        complete calls), response.function_call_arguments.done,
        response.output_item.done
    response.completed (or response.incomplete)        the whole response, with usage

Every event names its type in the SSE `event:` line and in its data, and carries a
`sequence_number`. A failure during the turn (the status line is already sent) is an
`error` event with the gateway's code and message, then `response.failed`. The response
id is recorded (so `previous_response_id` can name it) with the turn, before
`response.completed`: a failure to record it ends the turn as a failure.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from pydantic import BaseModel
from sse_starlette import ServerSentEvent

from zeroclaw.agent import TurnResult
from zeroclaw.gateway.errors import GatewayError
from zeroclaw.gateway.responses_replies import (
    ResponseDraft,
    function_call,
    output_text,
    reply_text,
)
from zeroclaw.gateway.sse import event
from zeroclaw.gateway.turn_stream import RunTurn, turn_deltas, unstreamed
from zeroclaw.tool_arguments import arguments_to_wire

OnDone = Callable[[TurnResult], None]


class _Events:
    """Numbers the events of one stream and frames each as SSE."""

    def __init__(self) -> None:
        self._numbers = itertools.count()

    def __call__(self, kind: type[BaseModel], name: str, /, **fields: Any) -> ServerSentEvent:
        data = kind.model_validate({"type": name, "sequence_number": next(self._numbers), **fields})
        return event(data, name=name)


async def response_stream(
    run_turn: RunTurn, *, draft: ResponseDraft, on_done: OnDone
) -> AsyncIterator[ServerSentEvent]:
    emit = _Events()
    yield emit(ResponseCreatedEvent, "response.created", response=draft.in_progress())
    yield emit(ResponseInProgressEvent, "response.in_progress", response=draft.in_progress())
    opened = False
    streamed: list[str] = []
    ended: TurnResult | GatewayError | None = None
    async for step in turn_deltas(run_turn):
        if isinstance(step, str):
            if not opened:
                opened = True
                for opening in _open_message(emit, draft):
                    yield opening
            streamed.append(step)
            yield emit(
                ResponseTextDeltaEvent,
                "response.output_text.delta",
                **_text_at(draft),
                delta=step,
                logprobs=[],
            )
        else:
            ended = step
    if not isinstance(ended, TurnResult):
        assert ended is not None  # turn_deltas always ends with the result or the error
        yield emit(
            ResponseErrorEvent, "error", code=ended.code, message=ended.message, param=ended.param
        )
        yield emit(ResponseFailedEvent, "response.failed", response=draft.failed(ended))
        return
    result = ended
    text: str | None = None
    if opened or reply_text(result) is not None:
        if not opened:
            for opening in _open_message(emit, draft):
                yield opening
        text = "".join(streamed)
        if rest := unstreamed(result, text):
            text += rest
            yield emit(
                ResponseTextDeltaEvent,
                "response.output_text.delta",
                **_text_at(draft),
                delta=rest,
                logprobs=[],
            )
        for closing in _close_message(emit, draft, text):
            yield closing
    first = 0 if text is None else 1
    for index, call in enumerate(result.client_calls, start=first):
        item = function_call(call)
        at = {"output_index": index, "item_id": item.id}
        yield emit(
            ResponseOutputItemAddedEvent,
            "response.output_item.added",
            output_index=index,
            item=function_call(call, status="in_progress"),
        )
        arguments = arguments_to_wire(call)
        yield emit(
            ResponseFunctionCallArgumentsDeltaEvent,
            "response.function_call_arguments.delta",
            **at,
            delta=arguments,
        )
        yield emit(
            ResponseFunctionCallArgumentsDoneEvent,
            "response.function_call_arguments.done",
            **at,
            arguments=arguments,
            name=call.name,
        )
        yield emit(
            ResponseOutputItemDoneEvent, "response.output_item.done", output_index=index, item=item
        )
    final = draft.finished(result, text=text)
    if final.status == "completed":
        yield emit(ResponseCompletedEvent, "response.completed", response=final)
    else:
        yield emit(ResponseIncompleteEvent, "response.incomplete", response=final)
    on_done(result)


def _text_at(draft: ResponseDraft) -> dict[str, Any]:
    return {"item_id": draft.message_id, "output_index": 0, "content_index": 0}


def _open_message(emit: _Events, draft: ResponseDraft) -> Iterator[ServerSentEvent]:
    yield emit(
        ResponseOutputItemAddedEvent,
        "response.output_item.added",
        output_index=0,
        item=draft.message("", status="in_progress"),
    )
    yield emit(
        ResponseContentPartAddedEvent,
        "response.content_part.added",
        **_text_at(draft),
        part=output_text(""),
    )


def _close_message(emit: _Events, draft: ResponseDraft, text: str) -> Iterator[ServerSentEvent]:
    yield emit(
        ResponseTextDoneEvent,
        "response.output_text.done",
        **_text_at(draft),
        text=text,
        logprobs=[],
    )
    yield emit(
        ResponseContentPartDoneEvent,
        "response.content_part.done",
        **_text_at(draft),
        part=output_text(text),
    )
    yield emit(
        ResponseOutputItemDoneEvent,
        "response.output_item.done",
        output_index=0,
        item=draft.message(text, status="completed"),
    )
