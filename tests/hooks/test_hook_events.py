"""The event table: kinds, payload types and content flags are what the docs promise."""

import dataclasses

import pytest

from zeroclaw.hooks import (
    EVENT_SPECS,
    Event,
    HookKind,
    OutboundMessage,
    ToolCallRequest,
    UnknownEventError,
    event_of,
)

VOID = {
    "on_gateway_start",
    "on_gateway_stop",
    "on_session_start",
    "on_session_end",
    "on_llm_input",
    "on_llm_output",
    "on_after_tool_call",
    "on_message_sent",
    "on_heartbeat_tick",
    "after_compaction",
}
MODIFYING = {
    "before_model_resolve",
    "before_prompt_build",
    "before_llm_call",
    "before_tool_call",
    "on_message_received",
    "on_message_sending",
    "before_compaction",
    "tool_result_persist",
}
NO_CONTENT = {
    "on_gateway_start",
    "on_gateway_stop",
    "on_session_start",
    "on_session_end",
    "on_heartbeat_tick",
    "before_model_resolve",
    "before_compaction",
}


def test_every_event_has_the_documented_kind() -> None:
    assert set(EVENT_SPECS) == set(Event)
    assert {e.value for e in Event if e.kind is HookKind.VOID} == VOID
    assert {e.value for e in Event if e.kind is HookKind.MODIFYING} == MODIFYING


def test_content_flag_marks_conversation_payloads() -> None:
    assert {e.value for e in Event if not e.carries_content} == NO_CONTENT


def test_each_payload_type_serves_exactly_one_event() -> None:
    types = [spec.payload_type for spec in EVENT_SPECS.values()]
    assert len(set(types)) == len(types)
    for event in Event:
        assert dataclasses.is_dataclass(event.payload_type)
        assert event.payload_type.__dataclass_params__.frozen  # type: ignore[union-attr]


def test_event_of_a_payload() -> None:
    assert event_of(ToolCallRequest("s", "shell", {})) is Event.BEFORE_TOOL_CALL
    assert event_of(OutboundMessage("cli", "s", "u", "hi")) is Event.ON_MESSAGE_SENDING


def test_parse_names_the_valid_events() -> None:
    assert Event.parse("before_tool_call") is Event.BEFORE_TOOL_CALL
    with pytest.raises(UnknownEventError) as caught:
        Event.parse("before_tool")
    assert "before_tool" in str(caught.value)
    assert "before_tool_call" in str(caught.value.hint)


def test_payloads_are_frozen() -> None:
    payload = ToolCallRequest("s", "shell", {"command": "ls"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        payload.tool = "other"  # type: ignore[misc]
