"""A turn's writes are one transaction: a turn that fails half way (its provider fails after
a tool ran) leaves the question and none of its half-done work in memory, and the
session's next request closes the turn, or continues it when it is the same message."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from zeroclaw.agent import Agent
from zeroclaw.memory import UNSETTLED_TURN, MemoryStore
from zeroclaw.providers import ProviderError, ScriptedProvider

MakeAgent = Callable[..., Agent]
WRITE = {"path": "a.txt", "content": "x"}
CALLS_THEN_FAILS = [
    {"tool_calls": [{"id": "c1", "name": "file_write", "arguments": WRITE}]},
    {"error": {"status": 500, "message": "the model is down"}},
]


async def _stored(memory: MemoryStore) -> list[tuple[str, str, bool]]:
    return [
        (s.message.role, s.message.content, bool(s.message.tool_calls))
        for s in await memory.session_messages("s")
    ]


async def test_a_turn_failing_after_a_tool_stores_only_the_question(
    make_agent: MakeAgent, memory: MemoryStore
) -> None:
    agent = make_agent(ScriptedProvider(CALLS_THEN_FAILS))
    with pytest.raises(ProviderError):
        await agent.turn("s", "write it")
    # The tool ran (its file is there), but memory holds no half turn: no tool call
    # without its answer, no tool result.
    assert await _stored(memory) == [("user", "write it", False)]
    assert await memory.open_turn_of("s") is not None


async def test_the_same_message_again_continues_the_turn_without_a_second_copy(
    make_agent: MakeAgent, memory: MemoryStore
) -> None:
    provider = ScriptedProvider(
        [
            *CALLS_THEN_FAILS,
            {"tool_calls": [{"id": "c2", "name": "file_write", "arguments": WRITE}]},
            {"text": "written"},
        ]
    )
    agent = make_agent(provider)
    with pytest.raises(ProviderError):
        await agent.turn("s", "write it")
    result = await agent.turn("s", "write it")
    assert result.reply == "written"
    assert await _stored(memory) == [
        ("user", "write it", False),
        ("assistant", "", True),
        ("tool", result.exchanges[0].result.for_model(), False),
        ("assistant", "written", False),
    ]
    assert await memory.open_turn_of("s") is None


async def test_another_message_closes_the_turn_that_never_settled(
    make_agent: MakeAgent, memory: MemoryStore
) -> None:
    provider = ScriptedProvider([*CALLS_THEN_FAILS, {"text": "hello"}])
    agent = make_agent(provider)
    with pytest.raises(ProviderError):
        await agent.turn("s", "write it")
    await agent.turn("s", "never mind")
    assert await _stored(memory) == [
        ("user", "write it", False),
        ("assistant", UNSETTLED_TURN.content, False),
        ("user", "never mind", False),
        ("assistant", "hello", False),
    ]
    # The model saw the first question answered as unsettled, not two questions in a row.
    sent = [(m.role, m.content) for m in provider.requests[-1].messages[1:]]
    assert sent == [
        ("user", "write it"),
        ("assistant", UNSETTLED_TURN.content),
        ("user", "never mind"),
    ]
