"""What the gateway answers on /v1/responses, as the `openai` package's own types.

A turn's result becomes a `Response` (`openai.types.responses`): its output items are a
`message` with the reply as `output_text` (when the model said something, or called no
client tool) and one `function_call` item per call of a client tool. The response echoes
what the request set (model, instructions, sampling, tools, tool_choice, text format,
metadata) as OpenAI does, and carries our `zeroclaw` extension, as a chat completion does.

How a turn ends, as a response's status:

    answer, client tool calls          completed
    max_tokens / max_tool_iterations   incomplete, reason max_output_tokens
    a hook blocked or withheld it      incomplete, reason content_filter

A `ResponseDraft` is one response in the making: the streamed events and the final
object share its ids (the response's, the message item's), so the items a stream
announced are the items the final response holds.
"""

from __future__ import annotations

import os
import time
from typing import Any

from openai.types.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseUsage,
)

from zeroclaw.agent import TurnResult
from zeroclaw.gateway.chat_replies import TurnInfo, finish_reason
from zeroclaw.gateway.errors import GatewayError
from zeroclaw.gateway.responses_api import ResponseRequest
from zeroclaw.messages import ToolCall, Usage
from zeroclaw.tool_arguments import arguments_to_wire


class GatewayResponse(Response):
    """OpenAI's `response`, with the turn it was (`zeroclaw`; null until it ran)."""

    zeroclaw: TurnInfo | None = None


def reply_text(result: TurnResult) -> str | None:
    """The text of the message item, or None for no message item: OpenAI leaves it out
    when the model only called tools."""
    return result.reply if result.reply or not result.client_calls else None


class ResponseDraft:
    def __init__(self, request: ResponseRequest) -> None:
        self.id = f"resp_{os.urandom(16).hex()}"
        self.message_id = f"msg_{os.urandom(16).hex()}"
        self.created_at = time.time()
        self._request = request

    def in_progress(self) -> GatewayResponse:
        return self._response(status="in_progress", output=[])

    def finished(self, result: TurnResult, *, text: str | None) -> GatewayResponse:
        """The response of a turn that ended; `text` is the message item's (None: none)."""
        output: list[Any] = [] if text is None else [self.message(text, status="completed")]
        output.extend(function_call(call) for call in result.client_calls)
        why = {"length": "max_output_tokens", "content_filter": "content_filter"}.get(
            finish_reason(result)
        )
        return self._response(
            status="completed" if why is None else "incomplete",
            output=output,
            incomplete_details=None if why is None else {"reason": why},
            usage=response_usage(result.usage),
            zeroclaw=TurnInfo.of(result),
        )

    def failed(self, error: GatewayError) -> GatewayResponse:
        # The response's error codes are OpenAI's own list; ours is in the `error` event.
        return self._response(
            status="failed",
            output=[],
            error={"code": "server_error", "message": error.message},
        )

    def message(self, text: str, *, status: str) -> ResponseOutputMessage:
        content = [] if status == "in_progress" else [output_text(text)]
        return ResponseOutputMessage.model_validate(
            {
                "id": self.message_id,
                "type": "message",
                "role": "assistant",
                "status": status,
                "content": content,
            }
        )

    def _response(self, **fields: Any) -> GatewayResponse:
        request = self._request
        echo = {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "model": request.model,
            "instructions": request.instructions,
            "previous_response_id": request.previous_response_id,
            "max_output_tokens": request.max_output_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "tools": [
                {
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                    "strict": tool.strict,
                }
                for tool in request.tools or ()
            ],
            "tool_choice": _tool_choice(request),
            "parallel_tool_calls": True,
            "text": {"format": _text_format(request)},
            "metadata": request.metadata or {},
            "store": True,
            "truncation": "disabled",
            "error": None,
            "incomplete_details": None,
            "usage": None,
        }
        return GatewayResponse.model_validate({**echo, **fields})


def output_text(text: str) -> ResponseOutputText:
    return ResponseOutputText(type="output_text", text=text, annotations=[], logprobs=[])


def function_call(call: ToolCall, *, status: str = "completed") -> ResponseFunctionToolCall:
    return ResponseFunctionToolCall.model_validate(
        {
            "type": "function_call",
            "id": f"fc_{call.id}",
            "call_id": call.id,
            "name": call.name,
            "arguments": arguments_to_wire(call) if status == "completed" else "",
            "status": status,
        }
    )


def response_usage(usage: Usage) -> ResponseUsage:
    return ResponseUsage.model_validate(
        {
            "input_tokens": usage.input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": usage.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": usage.total_tokens,
        }
    )


def _tool_choice(request: ResponseRequest) -> Any:
    choice = request.tool_choice
    if choice is None:
        return "auto"
    if isinstance(choice, str):
        return choice
    return {"type": "function", "name": choice.name}


def _text_format(request: ResponseRequest) -> dict[str, Any]:
    form = request.text.format if request.text else None
    if form is None or form.type != "json_schema":
        return {"type": form.type if form else "text"}
    return {
        "type": "json_schema",
        "name": form.name,
        "schema": form.schema_ or {},
        "strict": form.strict,
        "description": form.description,
    }
