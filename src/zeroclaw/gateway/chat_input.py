"""The messages of a Chat Completions request as one turn's input and the seed before it.

The input is either
  - the last `user` message's text (a new turn), or
  - the trailing `role: tool` messages (the client's results for the tool calls the last
    response stopped on): the same session's turn resumes with them.

What comes before the input seeds a session that has no history yet (a stateless client
resends the whole conversation each time): user and assistant messages, the assistant's
tool calls, and the tool results that answer them. `system` and `developer` messages are
never used: the agent has its own prompt.

Content is text. A part of another type (an image, audio, a file) is refused with a 400
`unsupported_content` naming it: the agent's messages, and so every provider it talks
to through them, carry text only, and dropping the part would answer a question the
client did not ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zeroclaw.agent import ToolAnswer
from zeroclaw.gateway.errors import InvalidRequest, UnsupportedContent
from zeroclaw.gateway.openai_api import TEXT_PARTS, RequestMessage
from zeroclaw.messages import ChatMessage, ToolCall
from zeroclaw.tool_arguments import parse_tool_arguments


@dataclass(frozen=True, slots=True)
class TurnInput:
    # The user's text, or the client's tool results.
    ask: str | tuple[ToolAnswer, ...]
    seed: tuple[ChatMessage, ...]


def turn_input(messages: Sequence[RequestMessage]) -> TurnInput:
    refuse_non_text(messages)
    if messages and messages[-1].role == "tool":
        return _tool_results(messages)
    users = [i for i, message in enumerate(messages) if message.role == "user"]
    if not users:
        raise InvalidRequest(
            "messages has no user message: the last one is the agent's input (or end with "
            "role: tool messages to answer the tool calls of the last response)"
        )
    last_user = users[-1]
    text = messages[last_user].text()
    if not text.strip():
        raise InvalidRequest(f"messages[{last_user}] (the last user message) has no text")
    return TurnInput(text, seed(messages[:last_user]))


def refuse_non_text(messages: Sequence[RequestMessage], *, field: str = "messages") -> None:
    for index, message in enumerate(messages):
        if isinstance(message.content, str) or message.content is None:
            continue
        for number, part in enumerate(message.content):
            if part.type not in TEXT_PARTS:
                raise UnsupportedContent(
                    f"{field}[{index}].content[{number}]: a content part of type "
                    f"{part.type!r} is not supported: the agent's messages are text, so no "
                    "provider of it can take an image, audio or a file; send text parts only",
                    param=f"{field}[{index}].content[{number}]",
                )


def _tool_results(messages: Sequence[RequestMessage]) -> TurnInput:
    start = len(messages)
    while start > 0 and messages[start - 1].role == "tool":
        start -= 1
    answers = []
    for index in range(start, len(messages)):
        message = messages[index]
        if not message.tool_call_id:
            raise InvalidRequest(
                f"messages[{index}]: a tool message needs the tool_call_id of the call it answers",
                param=f"messages[{index}].tool_call_id",
            )
        answers.append(ToolAnswer(message.tool_call_id, message.text()))
    return TurnInput(tuple(answers), seed(messages[:start]))


def seed(messages: Sequence[RequestMessage]) -> tuple[ChatMessage, ...]:
    """The dialogue of `messages`: tool results only where they answer a seeded call."""
    out: list[ChatMessage] = []
    called: dict[str, str] = {}
    for message in messages:
        if message.role == "user" and message.text():
            out.append(ChatMessage("user", message.text()))
        elif message.role == "assistant":
            calls = tuple(
                ToolCall(call.id, call.function.name, parse_tool_arguments(call.function.arguments))
                for call in message.tool_calls or ()
            )
            if message.text() or calls:
                out.append(ChatMessage("assistant", message.text(), tool_calls=calls))
                called.update({call.id: call.name for call in calls})
        elif message.role == "tool" and message.tool_call_id in called:
            call_id = message.tool_call_id
            out.append(
                ChatMessage("tool", message.text(), tool_call_id=call_id, name=called[call_id])
            )
    return tuple(out)
