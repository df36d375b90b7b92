"""The `input` of a Responses request as one turn's input and the seed before it.

Input items are read as the Chat Completions messages they stand for, and then taken as
chat takes messages (chat_input), so both endpoints agree on what starts a turn, what
resumes one, and what seeds a new session:

    text                         a user message
    message (role, content)      a message; input_text / output_text parts are its text
    function_call                an assistant's tool call (consecutive ones: one message)
    function_call_output         the client's result for one (`role: tool`)

The trailing function_call_output items resume the turn that stopped on those calls;
otherwise the last user message is the input. Items the client sends back from an
earlier response (with their `id`, `status`, `annotations`) are taken as they are. A
content part of another type (input_image, input_audio, input_file) is a 400
`unsupported_content` naming it, and so is an item of another type (reasoning,
item_reference, a hosted tool's call).
"""

from __future__ import annotations

from collections.abc import Sequence

from zeroclaw.gateway.chat_input import TurnInput, turn_input
from zeroclaw.gateway.errors import InvalidRequest, UnsupportedContent
from zeroclaw.gateway.openai_api import FunctionCall, RequestMessage, RequestToolCall
from zeroclaw.gateway.responses_api import InputItem, InputPart

_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})


def response_input(given: str | Sequence[InputItem]) -> TurnInput:
    if isinstance(given, str):
        if not given.strip():
            raise InvalidRequest("input is empty: send the user's text", param="input")
        return TurnInput(given, ())
    messages = as_messages(given)
    last = messages[-1] if messages else None
    if last is None or (last.role != "tool" and not _has_user_text(messages)):
        raise InvalidRequest(
            "input has no user message with text: the last one is the agent's input (or end "
            "with function_call_output items to answer the function calls of the last "
            "response)",
            param="input",
        )
    return turn_input(messages)


def as_messages(items: Sequence[InputItem]) -> list[RequestMessage]:
    messages: list[RequestMessage] = []
    for index, item in enumerate(items):
        where = f"input[{index}]"
        if item.type == "message":
            if item.role is None:
                raise InvalidRequest(f"{where}: a message needs a role", param=f"{where}.role")
            content = _text(item.content, where=f"{where}.content")
            messages.append(RequestMessage(role=item.role, content=content))
        elif item.type == "function_call":
            call = RequestToolCall(
                id=_required(item.call_id, f"{where}.call_id"),
                function=FunctionCall(
                    name=_required(item.name, f"{where}.name"), arguments=item.arguments or ""
                ),
            )
            if messages and messages[-1].role == "assistant":
                previous = messages[-1]
                previous.tool_calls = [*(previous.tool_calls or ()), call]
            else:
                messages.append(RequestMessage(role="assistant", tool_calls=[call]))
        elif item.type == "function_call_output":
            messages.append(
                RequestMessage(
                    role="tool",
                    tool_call_id=_required(item.call_id, f"{where}.call_id"),
                    content=_text(item.output, where=f"{where}.output"),
                )
            )
        else:
            raise UnsupportedContent(
                f"{where}: an item of type {item.type!r} is not supported: send message, "
                "function_call and function_call_output items",
                param=where,
            )
    return messages


def _text(content: str | Sequence[InputPart] | None, *, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    texts = []
    for number, part in enumerate(content):
        if part.type == "refusal":
            continue
        if part.type not in _TEXT_PARTS:
            raise UnsupportedContent(
                f"{where}[{number}]: a content part of type {part.type!r} is not supported: "
                "the agent's messages are text, so no provider of it can take an image, audio "
                "or a file; send input_text parts only",
                param=f"{where}[{number}]",
            )
        texts.append(part.text or "")
    return "".join(texts)


def _required(value: str | None, where: str) -> str:
    if not value:
        raise InvalidRequest(f"{where} is required", param=where)
    return value


def _has_user_text(messages: Sequence[RequestMessage]) -> bool:
    return any(m.role == "user" and m.text().strip() for m in messages)
