"""Hook payloads from JSON, and a sample payload for every event.

`payload_from_mapping` makes an event's typed payload from JSON data (a `--payload`, a case
in a plugin's tests.toml), naming every bad or unknown field; a field that may be null may
be left out. `sample_payload` is a plausible payload for each event, which
`zeroclaw plugins test --event NAME` sends when it is given none (and which a partial
`--payload` is laid over), so that an author can call any handler without writing one.
"""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin, get_type_hints

from pydantic import TypeAdapter, ValidationError

from zeroclaw.errors import ZeroClawError
from zeroclaw.hooks.events import Event, HookKind, ModifyingPayload, Payload
from zeroclaw.text_validity import UTF8_HINT, invalid_text


class PayloadError(ZeroClawError):
    """JSON data that does not make the event's payload."""


MODIFYING_EVENTS = tuple(event for event in Event if event.kind is HookKind.MODIFYING)


def modifying_event(name: str) -> Event:
    """The modifying event called `name` (UnknownEventError lists every event); the ones a
    dispatch can be explained for (`hooks explain`, the console's Hooks page)."""
    event = Event.parse(name)
    if event.kind is not HookKind.MODIFYING:
        raise PayloadError(
            f"{event.value} is a void event: its handlers only observe, there is nothing "
            "to explain",
            hint="explain one of: " + ", ".join(e.value for e in MODIFYING_EVENTS),
        )
    return event


def payload_from_json(event: Event, raw: str, where: str) -> ModifyingPayload:
    """The typed payload of modifying `event` from a JSON object given as `where`; errors
    name every bad field."""
    hint = f"{event.payload_type.__name__} fields: " + ", ".join(
        f"{name} ({text})" for name, text in field_types(event.payload_type).items()
    )
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise PayloadError(f"{where} must be a JSON object", hint=hint)
        bad = invalid_text(data, where)
        if bad is not None:
            raise PayloadError(f"{bad} is not valid UTF-8 text", hint=UTF8_HINT)
        built = payload_from_mapping(event, data, where)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"{where} is not valid JSON: {exc}", hint=hint) from None
    except RecursionError:
        # json.loads (and every walk after it) recurses once per level: a payload pasted
        # thousands of arrays deep would otherwise escape as RecursionError (a 500 on the
        # console's Hooks page, a traceback from `hooks explain`).
        raise PayloadError(
            f"{where} is nested too deeply to read (arrays or objects inside each other "
            "hundreds of levels down)",
            hint=hint,
        ) from None
    assert isinstance(built, ModifyingPayload)  # a modifying event's payload type
    return built


_MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "List the files in the workspace."},
]
_RESULT = {"success": True, "output": "README.md\nsrc\n", "error": None}

SAMPLES: Mapping[Event, Mapping[str, Any]] = {
    Event.ON_GATEWAY_START: {"host": "127.0.0.1", "port": 42617},
    Event.ON_GATEWAY_STOP: {},
    Event.ON_SESSION_START: {"session_id": "s-1", "channel": "terminal", "user_id": "alice"},
    Event.ON_SESSION_END: {"session_id": "s-1", "channel": "terminal", "user_id": "alice"},
    Event.ON_LLM_INPUT: {
        "session_id": "s-1",
        "provider": "offline",
        "model": "offline",
        "messages": _MESSAGES,
    },
    Event.ON_LLM_OUTPUT: {
        "session_id": "s-1",
        "provider": "offline",
        "model": "offline",
        "text": "Here they are.",
        "tool_calls": [],
        "usage": {"input_tokens": 20, "output_tokens": 4},
        "latency_ms": 120.0,
    },
    Event.ON_AFTER_TOOL_CALL: {
        "session_id": "s-1",
        "tool": "shell",
        "arguments": {"command": "ls"},
        "result": _RESULT,
        "duration_ms": 12.0,
    },
    Event.ON_MESSAGE_SENT: {"channel": "terminal", "recipient": "alice", "content": "Done."},
    Event.ON_HEARTBEAT_TICK: {"tick": 1, "at": 1767225600.0},
    Event.AFTER_COMPACTION: {
        "session_id": "s-1",
        "summary": "The user listed files.",
        "compacted_messages": 12,
    },
    Event.BEFORE_MODEL_RESOLVE: {"session_id": "s-1", "provider": "offline", "model": "offline"},
    Event.BEFORE_PROMPT_BUILD: {
        "session_id": "s-1",
        "channel": "terminal",
        "user_id": "alice",
        "system_prompt": "You are a helpful assistant.",
        "context": [],
    },
    Event.BEFORE_LLM_CALL: {"session_id": "s-1", "model": "offline", "messages": _MESSAGES},
    Event.BEFORE_TOOL_CALL: {"session_id": "s-1", "tool": "shell", "arguments": {"command": "ls"}},
    Event.ON_MESSAGE_RECEIVED: {
        "channel": "terminal",
        "session_id": "s-1",
        "sender": "alice",
        "content": "List the files in the workspace.",
    },
    Event.ON_MESSAGE_SENDING: {
        "channel": "terminal",
        "session_id": "s-1",
        "recipient": "alice",
        "content": "Here they are: README.md, src.",
    },
    Event.BEFORE_COMPACTION: {"session_id": "s-1", "messages": 40, "estimated_tokens": 9000},
    Event.TOOL_RESULT_PERSIST: {
        "session_id": "s-1",
        "tool": "shell",
        "call_id": "call-1",
        "result": _RESULT,
    },
}


def sample_payload(event: Event, overrides: Mapping[str, Any] | None = None) -> Payload:
    """The sample payload of `event`, with `overrides` laid over it (field by field)."""
    return payload_from_mapping(event, {**SAMPLES[event], **(overrides or {})}, "payload")


def payload_from_mapping(event: Event, data: Mapping[str, Any], where: str) -> Payload:
    """The typed payload of `event` from JSON data; errors name every bad field."""
    payload_type = event.payload_type
    fields = field_types(payload_type)
    hint = f"{payload_type.__name__} fields: " + ", ".join(
        f"{name} ({text})" for name, text in fields.items()
    )
    problems = [f"unknown field `{name}`" for name in data if name not in fields]
    # Left out, a field that may be null is null.
    values = {name: None for name, text in fields.items() if text.endswith("| None")} | dict(data)
    built: object = None
    try:
        built = TypeAdapter(payload_type).validate_python(values)
    except ValidationError as exc:
        problems += [_problem(error) for error in exc.errors()]
    if problems or not isinstance(built, payload_type):
        raise PayloadError(
            f"{where} is not a {payload_type.__name__} for {event.value}: " + "; ".join(problems),
            hint=hint,
        )
    return built


def field_types(payload_type: type) -> dict[str, str]:
    """Field name -> its type in words, for messages."""
    hints = get_type_hints(payload_type)
    return {field.name: _type_text(hints[field.name]) for field in dataclasses.fields(payload_type)}


def _type_text(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " | ".join(_type_text(arg) for arg in get_args(hint))
    if origin is tuple:
        return f"list of {_type_text(get_args(hint)[0])}"
    if origin is dict:
        return "object"
    if hint is type(None):
        return "None"
    if dataclasses.is_dataclass(hint):
        names = ", ".join(field.name for field in dataclasses.fields(hint))
        return f"{{{names}}}"
    return getattr(hint, "__name__", str(hint))


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"missing field `{where}`"
    # JSON has lists and objects; the payload's tuples and dicts are made from them.
    message = str(error["msg"]).replace("tuple", "list").replace("dictionary", "object")
    return f"field `{where}`: {message}"
