"""What the gateway answers on /v1/chat/completions and /v1/models, as the `openai`
package's own types.

A turn's result becomes a `chat.completion` (whole) or `chat.completion.chunk`s (streamed)
built from `openai.types.chat`, so the wire format is the one the SDK reads, field for
field, and follows the SDK when it grows (`tool_calls`, `system_fingerprint`, ...).
Our one extension, the `zeroclaw` field of a completion (where the turn ran and how it
ended), is a typed field of a subclass; the SDK keeps unknown fields, so clients see it.
"""

from __future__ import annotations

import os
import time
from typing import Literal

from openai.types import CompletionUsage, Model
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
)
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import (
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
)
from pydantic import BaseModel
from pydantic_core import to_json

from zeroclaw import __version__
from zeroclaw.agent.loop import StopReason, TurnResult
from zeroclaw.messages import Usage
from zeroclaw.tool_arguments import arguments_to_wire

SYSTEM_FINGERPRINT = f"zeroclaw-{__version__}"

FinishReason = Literal["stop", "length", "content_filter", "tool_calls"]

# max_iterations: the turn ran out of model calls; blocked: a hook refused the message;
# tool_calls: the model called a client's tool; length: it hit the request's max_tokens.
FINISH_REASONS: dict[StopReason, FinishReason] = {
    "answer": "stop",
    "max_iterations": "length",
    "blocked": "content_filter",
    "tool_calls": "tool_calls",
    "length": "length",
}


def finish_reason(result: TurnResult) -> FinishReason:
    # A reply a hook withheld (on_message_sending) is filtered content.
    return FINISH_REASONS[result.stop_reason] if result.delivered else "content_filter"


class TurnInfo(BaseModel):
    """Our extension of a completion or a response: where the turn ran and how it ended."""

    session_id: str
    turn_id: str
    stop_reason: StopReason
    tool_calls: int

    @classmethod
    def of(cls, result: TurnResult) -> TurnInfo:
        return cls(
            session_id=result.session_id,
            turn_id=result.turn_id,
            stop_reason=result.stop_reason,
            tool_calls=len(result.exchanges),
        )


class GatewayChatCompletion(ChatCompletion):
    """OpenAI's `chat.completion`, with the turn it was (`zeroclaw`)."""

    zeroclaw: TurnInfo


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


def model_card(model_id: str) -> Model:
    return Model(id=model_id, object="model", created=0, owned_by="zeroclaw")


def completion_usage(usage: Usage) -> CompletionUsage:
    return CompletionUsage(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
    )


def chat_completion(result: TurnResult, *, model: str) -> bytes:
    """The `chat.completion` of a turn, as the JSON body sent.

    Built as plain data and serialized once: this is the gateway's hottest answer, and
    validating it through the `openai` models cost more than the rest of the route's own
    work (docs/benchmarks.md). The shape is `GatewayChatCompletion`'s, key for key (what
    its `model_dump_json(exclude_unset=True)` gives); tests/gateway read it back with that
    model and with the real `openai` SDK as the client.
    """
    calls = [
        {
            "id": call.id,
            "function": {"arguments": arguments_to_wire(call), "name": call.name},
            "type": "function",
        }
        for call in result.client_calls
    ]
    # OpenAI's content is null beside tool calls when the model said nothing.
    content = result.reply if result.reply or not calls else None
    usage = result.usage
    return to_json(
        {
            "id": completion_id(),
            "choices": [
                {
                    "finish_reason": finish_reason(result),
                    "index": 0,
                    "logprobs": None,
                    "message": {
                        "content": content,
                        "refusal": None,
                        "role": "assistant",
                        "tool_calls": calls or None,
                    },
                }
            ],
            "created": now(),
            "model": model,
            "object": "chat.completion",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "usage": {
                "completion_tokens": usage.output_tokens,
                "prompt_tokens": usage.input_tokens,
                "total_tokens": usage.total_tokens,
            },
            "zeroclaw": {
                "session_id": result.session_id,
                "turn_id": result.turn_id,
                "stop_reason": result.stop_reason,
                "tool_calls": len(result.exchanges),
            },
        }
    )


class ChunkMaker:
    """The chunks of one streamed completion: one id, one creation time."""

    def __init__(self, *, completion: str, model: str) -> None:
        self._id = completion
        self._created = now()
        self._model = model

    def delta(
        self,
        delta: ChoiceDelta,
        *,
        finish: FinishReason | None = None,
    ) -> ChatCompletionChunk:
        # finish_reason and logprobs are sent as null until the end, as OpenAI does.
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish, logprobs=None)
        return self._chunk([choice])

    def usage(self, usage: Usage) -> ChatCompletionChunk:
        return self._chunk([], usage=completion_usage(usage))

    def _chunk(
        self, choices: list[ChunkChoice], usage: CompletionUsage | None = None
    ) -> ChatCompletionChunk:
        extra = {} if usage is None else {"usage": usage}
        return ChatCompletionChunk(
            id=self._id,
            object="chat.completion.chunk",
            created=self._created,
            model=self._model,
            choices=choices,
            system_fingerprint=SYSTEM_FINGERPRINT,
            **extra,
        )


def tool_call_deltas(result: TurnResult) -> list[ChoiceDeltaToolCall]:
    """The client calls of a turn, each whole, as stream deltas."""
    return [
        ChoiceDeltaToolCall(
            index=index,
            id=call.id,
            type="function",
            function=ChoiceDeltaToolCallFunction(name=call.name, arguments=arguments_to_wire(call)),
        )
        for index, call in enumerate(result.client_calls)
    ]


def completion_id() -> str:
    # 32 random hex digits, as a uuid4's hex but without building a UUID (a third of
    # the cost, on every completion).
    return f"chatcmpl-{os.urandom(16).hex()}"


def now() -> int:
    return int(time.time())
