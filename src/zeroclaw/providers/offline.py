"""The offline provider: the default, needs no key and no network, and is not a language
model. It answers deterministically so that a fresh install, the demo and the tests can run
the whole agent loop (tools included) with nothing configured:

- a request whose first message is the system `SUMMARIZE_INSTRUCTION` gets an extractive
  summary of the transcript (what compaction asks for);
- `/tool NAME {json}` as the last user message gets one call to tool NAME;
- a tool result as the last message gets a text reporting what the tool returned;
- anything else is echoed, with a line on how to call a tool or configure a real model.

It honours the options it can without being a model (`HONOURED`): `max_tokens` cuts the
reply at about four characters a token (finish `length`), `stop` cuts it before the first
stop sequence, `response_format` turns it into JSON (`offline_json.py`), `tool_choice`
makes it call the named tool (or the first offered) with empty arguments when the message
is no `/tool` command for it, and `seed` changes nothing (every answer is already the same
for the same input). It has no sampling to steer: `temperature`, `top_p` and the penalties
are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence

from zeroclaw.config.models import ProviderConfig
from zeroclaw.messages import ChatMessage, ToolCall, Usage, valid_json_value
from zeroclaw.providers.base import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from zeroclaw.providers.offline_json import json_reply
from zeroclaw.providers.options import ChatOptions

SUMMARIZE_INSTRUCTION = (
    "Summarize the conversation below for your future self: keep facts, decisions, names "
    "and open questions."
)

LABEL = "[offline — not a language model]"
TOOL_SYNTAX = "/tool NAME {json}"
HELP_LINES = (
    f"To make me call a tool, send `{TOOL_SYNTAX}` (e.g. `/tool file_list {{}}`).\n"
    'For real answers, configure a provider: set llm.provider (e.g. "openai") and export its '
    "API key (see docs/config-reference.md)."
)

HONOURED = frozenset({"max_tokens", "stop", "seed", "response_format", "tool_choice", "tools"})

# Bounds of the extractive summary: it replaces history, so it must stay small.
SUMMARY_MAX_POINTS = 24
SUMMARY_MAX_POINT_CHARS = 200

_TOOL_COMMAND = re.compile(r"/tool(?:\s+(?P<name>\S+)(?P<args>.*))?", re.DOTALL)
_TRANSCRIPT_LINE = re.compile(r"(?P<role>user|assistant):\s*(?P<text>.+)")
_FIRST_SENTENCE = re.compile(r".+?[.!?](?=\s|$)")
# A word with the whitespace around it: the chunks keep every character of the text.
_WORD = re.compile(r"\s*\S+\s*")


def rough_tokens(text: str) -> int:
    """About four characters a token: enough for usage reports without a tokenizer."""
    return (len(text) + 3) // 4


def word_chunks(text: str) -> list[str]:
    """`text` cut into words; the chunks join back to exactly `text`."""
    return _WORD.findall(text) or ([text] if text else [])


class OfflineProvider:
    """Deterministic, local answers; clearly labelled as not a language model."""

    def __init__(self, name: str = "offline") -> None:
        self.name = name

    @classmethod
    def from_config(cls, name: str, config: ProviderConfig) -> OfflineProvider:
        return cls(name)

    def honoured_options(self, model: str) -> frozenset[str]:
        return HONOURED

    async def chat(self, request: ChatRequest) -> ChatResponse:
        return self._answer(request)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        response = self._answer(request)
        for chunk in word_chunks(response.text or ""):
            yield TextDelta(chunk)
        yield StreamEnd(response)

    def _answer(self, request: ChatRequest) -> ChatResponse:
        messages = request.messages
        tool_calls: tuple[ToolCall, ...] = ()
        if _asks_for_summary(messages):
            text = summarize(messages[1:])
        elif messages and messages[-1].role == "tool":
            text = _report_tool_results(messages)
        elif (forced := _forced_call(request)) is not None:
            text, tool_calls = "", (forced,)
        elif (command := _tool_command(messages)) is not None:
            text, tool_calls = _call_tool(command, messages)
        else:
            text = _echo(messages)
        finish: FinishReason = "tool_calls" if tool_calls else "stop"
        if not tool_calls:
            text, finish = _shaped(text, request.options)
        prompt = "".join(message.content for message in messages)
        return ChatResponse(
            text=text or None,
            tool_calls=tool_calls,
            usage=Usage(rough_tokens(prompt), rough_tokens(text)),
            model=request.model or self.name,
            finish_reason=finish,
        )


def _shaped(text: str, options: ChatOptions) -> tuple[str, FinishReason]:
    """The reply as the options ask: JSON, cut before a stop sequence, cut at max_tokens."""
    if options.response_format is not None:
        text = json_reply(text, options.response_format)
    cuts = [text.find(stop) for stop in options.stop if stop and stop in text]
    if cuts:
        text = text[: min(cuts)]
    if options.max_tokens is not None and rough_tokens(text) > options.max_tokens:
        return text[: options.max_tokens * 4], "length"
    return text, "stop"


def _forced_call(request: ChatRequest) -> ToolCall | None:
    """The call `tool_choice` forces, unless the message is a `/tool` command that
    already satisfies it: the named tool (or the first offered), with empty arguments."""
    choice = request.options.tool_choice
    if choice is None or not request.tools:
        return None
    offered = [tool.name for tool in request.tools]
    wanted = choice.function or offered[0]
    command = _tool_command(request.messages)
    if command is not None and command["name"] in ([wanted] if choice.function else offered):
        return None
    earlier = sum(len(message.tool_calls) for message in request.messages)
    return ToolCall(f"call_{earlier + 1}", wanted, {})


def _asks_for_summary(messages: Sequence[ChatMessage]) -> bool:
    return bool(messages) and (
        messages[0].role == "system" and messages[0].content.startswith(SUMMARIZE_INSTRUCTION)
    )


def summarize(messages: Sequence[ChatMessage]) -> str:
    """An extractive summary: the first sentence of each user/assistant line of the
    transcript, deduplicated, the most recent points kept when there are too many."""
    points: list[str] = []
    for message in messages:
        for raw_line in message.content.splitlines():
            # An earlier summary (ours) comes back as "Earlier summary: - user: ..." lines.
            line = raw_line.strip().removeprefix("Earlier summary:").strip().removeprefix("- ")
            match = _TRANSCRIPT_LINE.fullmatch(line)
            if match is None:
                continue
            point = f"{match['role']}: {_first_sentence(match['text'])}"
            if point not in points:
                points.append(point)
    if not points:
        return "(nothing to summarize)"
    omitted = len(points) - SUMMARY_MAX_POINTS
    kept = points[-SUMMARY_MAX_POINTS:]
    lines = ["[offline extractive summary — not written by a language model]"]
    if omitted > 0:
        lines.append(f"({omitted} earlier points omitted)")
    lines.extend(f"- {point}" for point in kept)
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    match = _FIRST_SENTENCE.match(text.strip())
    sentence = match.group(0) if match else text.strip()
    if len(sentence) > SUMMARY_MAX_POINT_CHARS:
        return sentence[: SUMMARY_MAX_POINT_CHARS - 1].rstrip() + "…"
    return sentence


def _tool_command(messages: Sequence[ChatMessage]) -> re.Match[str] | None:
    if not messages or messages[-1].role != "user":
        return None
    return _TOOL_COMMAND.fullmatch(messages[-1].content.strip())


def _call_tool(
    command: re.Match[str], messages: Sequence[ChatMessage]
) -> tuple[str, tuple[ToolCall, ...]]:
    name = command["name"]
    if not name:
        return _syntax_help("the tool name is missing"), ()
    raw = (command["args"] or "").strip() or "{}"
    try:
        arguments = valid_json_value(json.loads(raw))
    except json.JSONDecodeError as exc:
        return _syntax_help(f"the arguments are not valid JSON ({exc.msg})"), ()
    if not isinstance(arguments, dict):
        return _syntax_help("the arguments must be a JSON object"), ()
    # Ids count the calls already in the conversation: deterministic, and unique within it.
    earlier = sum(len(message.tool_calls) for message in messages)
    return "", (ToolCall(f"call_{earlier + 1}", name, arguments),)


def _syntax_help(problem: str) -> str:
    return (
        f"{LABEL} I could not read that tool command: {problem}.\n"
        f"Syntax: `{TOOL_SYNTAX}`, where the JSON object is optional, "
        'e.g. `/tool file_read {"path": "notes.txt"}`.'
    )


def _report_tool_results(messages: Sequence[ChatMessage]) -> str:
    """Report every trailing tool message (a model may have asked for several at once)."""
    names = {call.id: call.name for message in messages for call in message.tool_calls if call.id}
    trailing: list[ChatMessage] = []
    for message in reversed(messages):
        if message.role != "tool":
            break
        trailing.append(message)
    reports = []
    for message in reversed(trailing):
        name = message.name or names.get(message.tool_call_id or "", "?")
        # A failed tool result reaches the model as "error: ..." (ToolResult.for_model).
        error = message.content.removeprefix("error: ")
        if error != message.content:
            reports.append(f"[offline] Tool `{name}` failed:\n{error}")
        else:
            reports.append(f"[offline] Tool `{name}` returned:\n{message.content}")
    return "\n\n".join(reports)


def _echo(messages: Sequence[ChatMessage]) -> str:
    said = next((m.content for m in reversed(messages) if m.role == "user"), "")
    return f"{LABEL} You said: {said or '(nothing)'}\n{HELP_LINES}"
