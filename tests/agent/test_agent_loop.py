"""The agent loop through real tools, a real policy and a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from zeroclaw.agent import Agent, DenyApprover
from zeroclaw.config import Config
from zeroclaw.memory import MemoryStore
from zeroclaw.messages import ChatMessage, ToolCall
from zeroclaw.observability import TurnComplete, TurnStarted
from zeroclaw.providers import OfflineProvider, ProviderError, ScriptedProvider

# The `make_agent` fixture (tests/agent/conftest.py).
MakeAgent = Callable[..., Agent]


def tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    return {"tool_calls": [{"id": call_id, "name": name, "arguments": arguments}]}


async def test_tool_call_result_reaches_the_model_and_the_memory(
    make_agent: MakeAgent, config: Config, memory: MemoryStore
) -> None:
    provider = ScriptedProvider(
        [
            tool_call("file_write", {"path": "a.txt", "content": "hello"}),
            {"text": "wrote it", "usage": {"input_tokens": 7, "output_tokens": 2}},
        ]
    )
    result = await make_agent(provider).turn("s1", "write a file")

    assert result.reply == "wrote it"
    assert (config.workspace / "a.txt").read_text() == "hello"
    assert [e.call.name for e in result.exchanges] == ["file_write"]
    assert result.exchanges[0].result.success
    assert result.llm_calls == 2
    assert result.usage.input_tokens >= 7
    second = provider.requests[1].messages
    assert second[0].role == "system"
    assert second[-1].role == "tool"
    assert second[-1].tool_call_id == "call_1"
    assert second[-2].tool_calls[0].name == "file_write"
    stored = [s.message.role for s in await memory.session_messages("s1")]
    assert stored == ["user", "assistant", "tool", "assistant"]


async def test_policy_denial_is_a_failed_result_the_model_sees(
    make_agent: MakeAgent, config: Config
) -> None:
    config.tools.autonomy = "read_only"
    provider = ScriptedProvider(
        [tool_call("file_write", {"path": "a.txt", "content": "x"}), {"text": "ok"}]
    )
    result = await make_agent(provider).turn("s1", "write")

    assert not (config.workspace / "a.txt").exists()
    assert not result.exchanges[0].result.success
    assert "denied by security policy" in (result.exchanges[0].result.error or "")
    assert "denied by security policy" in provider.requests[1].messages[-1].content


async def test_supervised_tool_needs_approval(make_agent: MakeAgent, config: Config) -> None:
    config.tools.autonomy = "supervised"
    script = [tool_call("file_write", {"path": "a.txt", "content": "x"}), {"text": "ok"}]

    refused = await make_agent(ScriptedProvider(script), approver=DenyApprover()).turn("s1", "w")
    assert "nobody can approve it here" in (refused.exchanges[0].result.error or "")
    assert not (config.workspace / "a.txt").exists()

    approved = await make_agent(ScriptedProvider(script)).turn("s2", "w")
    assert approved.exchanges[0].result.success
    assert (config.workspace / "a.txt").exists()


async def test_tool_iterations_are_bounded_and_the_last_call_offers_no_tools(
    make_agent: MakeAgent, config: Config
) -> None:
    config.agent.max_tool_iterations = 3
    provider = ScriptedProvider([tool_call("file_list", {}, f"c{i}") for i in range(3)])
    result = await make_agent(provider).turn("s1", "loop forever")

    assert result.llm_calls == 3
    assert result.stop_reason == "max_iterations"
    assert "agent.max_tool_iterations" in result.reply
    assert [len(r.tools) > 0 for r in provider.requests] == [True, True, False]


async def test_tool_calls_per_turn_are_capped(make_agent: MakeAgent, config: Config) -> None:
    config.tools.max_calls_per_turn = 2
    calls = [{"id": f"c{i}", "name": "file_list", "arguments": {}} for i in range(3)]
    provider = ScriptedProvider([{"tool_calls": calls}, {"text": "done"}])
    result = await make_agent(provider).turn("s1", "list thrice")

    outcomes = [e.result.success for e in result.exchanges]
    assert outcomes == [True, True, False]
    assert "max_calls_per_turn" in (result.exchanges[2].result.error or "")


async def test_history_carries_over_turns_and_restarts(
    make_agent: MakeAgent, config: Config
) -> None:
    first = ScriptedProvider([{"text": "nice to meet you"}])
    await make_agent(first).turn("s1", "my name is Ada")

    # A new agent over the same database: the history comes from memory, not from RAM.
    second = ScriptedProvider([{"text": "Ada"}])
    await make_agent(second).turn("s1", "what is my name?")

    contents = [m.content for m in second.requests[0].messages]
    assert contents[1:] == ["my name is Ada", "nice to meet you", "what is my name?"]

    other = ScriptedProvider([{"text": "who?"}])
    await make_agent(other).turn("s2", "what is my name?")
    assert [m.content for m in other.requests[0].messages[1:]] == ["what is my name?"]


async def test_compaction_summarizes_old_history_and_keeps_recent(
    make_agent: MakeAgent, config: Config, memory: MemoryStore
) -> None:
    config.agent.compaction.max_history_tokens = 200
    config.agent.compaction.keep_recent_messages = 2
    agent = make_agent(OfflineProvider())
    for i in range(6):
        await agent.turn("s1", f"Fact number {i} is that the sky has colour {i}. " + "pad " * 40)

    summary = await memory.latest_summary("s1")
    assert summary is not None
    assert "Fact number 0" in summary
    history = await memory.load_history("s1", 100)
    assert len(history) < 12
    assert all(not s.compacted for s in history)
    # The next turn's prompt carries the summary (this turn may compact again first).
    provider = ScriptedProvider([{"text": "a newer summary"}, {"text": "ok"}])
    result = await make_agent(provider).turn("s1", "and now?")
    assert result.reply == "ok"
    system = provider.requests[-1].messages[0].content
    assert "Summary of the earlier conversation" in system


async def test_compaction_never_splits_a_tool_exchange(
    make_agent: MakeAgent, config: Config, memory: MemoryStore
) -> None:
    config.agent.compaction.max_history_tokens = 200
    config.agent.compaction.keep_recent_messages = 1
    agent = make_agent(OfflineProvider())
    for i in range(4):
        await agent.turn("s1", "/tool file_list {}")
        await agent.turn("s1", f"filler {i} " + "word " * 60)

    history = await memory.load_history("s1", 100)
    assert history[0].message.role != "tool"


async def test_streaming_delivers_the_reply_in_pieces(make_agent: MakeAgent) -> None:
    pieces: list[str] = []
    result = await make_agent(OfflineProvider()).turn("s1", "hello there", on_text=pieces.append)

    assert len(pieces) > 1
    assert "".join(pieces) == result.reply


async def test_offline_provider_calls_the_named_tool(make_agent: MakeAgent, config: Config) -> None:
    (config.workspace / "notes.md").write_text("x")
    result = await make_agent(OfflineProvider()).turn("s1", "/tool file_list {}")

    assert result.exchanges[0].call.name == "file_list"
    assert "notes.md" in result.reply
    assert "not a language model" not in result.reply


async def test_provider_failure_keeps_the_user_message(
    make_agent: MakeAgent, memory: MemoryStore
) -> None:
    provider = ScriptedProvider([{"error": {"status": 401, "message": "bad key"}}])
    with pytest.raises(ProviderError, match="bad key"):
        await make_agent(provider).turn("s1", "please remember this question")

    assert [s.message.content for s in await memory.session_messages("s1")] == [
        "please remember this question"
    ]


async def test_a_turn_stopped_during_its_tools_leaves_a_history_providers_accept(
    make_agent: MakeAgent, memory: MemoryStore
) -> None:
    """The assistant message with tool calls was stored, the results never were (the turn
    was cut off): the next turn answers those calls as failed in the prompt."""
    await memory.ensure_session("s1", channel="terminal")
    await memory.append_message("s1", ChatMessage("user", "list and read"))
    await memory.append_message(
        "s1",
        ChatMessage(
            "assistant",
            "",
            tool_calls=(ToolCall("c1", "file_list", {}), ToolCall("c2", "file_read", {})),
        ),
    )
    await memory.append_message(
        "s1", ChatMessage("tool", "a.txt", tool_call_id="c1", name="file_list")
    )
    provider = ScriptedProvider([{"text": "ok"}])

    await make_agent(provider).turn("s1", "are you there?")

    sent = provider.requests[0].messages
    roles = [(m.role, m.tool_call_id) for m in sent[1:]]
    assert roles == [
        ("user", None),
        ("assistant", None),
        ("tool", "c1"),
        ("tool", "c2"),
        ("user", None),
    ]
    assert "turn ended before this tool call finished" in sent[4].content
    # memory keeps what really happened
    assert len(await memory.session_messages("s1")) == 5


async def test_a_session_started_unstored_is_stored_by_its_first_turn(
    make_agent: MakeAgent, memory: MemoryStore
) -> None:
    agent = make_agent(OfflineProvider())
    await agent.start_session("later", channel="test", store=False)
    assert await memory.get_session("later") is None

    await agent.turn("later", "hello", channel="test")

    info = await memory.get_session("later")
    assert info is not None
    assert (info.channel, info.title, info.message_count) == ("test", "hello", 2)


class Recorded:
    """Records every event it is handed; `kinds`: the kinds it says it observes (None: it
    does not say, so it gets all)."""

    def __init__(self, kinds: tuple[type, ...] | None = None) -> None:
        self.events: list[object] = []
        if kinds is not None:
            self.observes = lambda kind: issubclass(kind, kinds)

    def record(self, event: object) -> None:
        self.events.append(event)


async def test_a_turns_start_is_recorded_only_where_someone_observes_it(
    make_agent: MakeAgent,
) -> None:
    everything = Recorded()
    await make_agent(OfflineProvider(), observer=everything).turn("s1", "hi")
    assert [type(e) for e in everything.events][:1] == [TurnStarted]
    assert TurnComplete in {type(e) for e in everything.events}

    ends = Recorded((TurnComplete,))
    await make_agent(OfflineProvider(), observer=ends).turn("s2", "hi")
    # Handed straight to it (no fan-out to filter), it gets the turn's other events.
    assert TurnStarted not in {type(e) for e in ends.events}
    assert TurnComplete in {type(e) for e in ends.events}
