"""Text that cannot be encoded as UTF-8 (lone surrogates, e.g. a model's JSON escape
"\\ud800") is stored with U+FFFD in their place: the message is never lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from zeroclaw.config import Config
from zeroclaw.memory import DatabaseLocation, MemoryStore
from zeroclaw.messages import ChatMessage, ToolCall, ToolResult, valid_text
from zeroclaw.tool_arguments import parse_tool_arguments
from zeroclaw.tools import PolicyViolation, SecurityPolicy


async def test_a_message_with_a_lone_surrogate_is_stored(location: DatabaseLocation) -> None:
    async with MemoryStore.open(location) as memory:
        await memory.ensure_session("s1")
        call = ToolCall("c\ud800", "file_read", {"path": "a\udfff"})
        await memory.append_message("s1", ChatMessage("assistant", "x\ud800y", tool_calls=(call,)))
        await memory.record_tool_result("s1", call, ToolResult.fail("no file \ud800"))
        (stored,) = await memory.session_messages("s1")

    assert stored.message.content == "x\ufffdy"
    assert stored.message.tool_calls[0].arguments == {"path": "a\ufffd"}


def test_tool_arguments_from_the_wire_are_valid_text() -> None:
    assert parse_tool_arguments('{"p\\ud800": ["\\udc00", {"k": "\\ud83d"}]}') == {
        "p\ufffd": ["\ufffd", {"k": "\ufffd"}]
    }
    # a proper pair is one character, kept as it is
    assert valid_text("\U0001f600") == "\U0001f600"


def test_the_policy_refuses_a_path_that_is_not_valid_text(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path)
    config.workspace.mkdir(parents=True)
    policy = SecurityPolicy(config.tools, config.workspace)
    with pytest.raises(PolicyViolation, match="not valid text"):
        policy.resolve_path("\ud800")
