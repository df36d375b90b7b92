"""session_memory through real agent sessions: the offline provider summarizes, a real
SQLite file stores, and a later session of the same user (only) gets the summary."""

from __future__ import annotations

from prompt_probe import PromptProbe

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.hooks import Event, PromptBuild
from zeroclaw.hooks.builtin import SessionMemory
from zeroclaw.hooks.builtin.session_memory import RECALL_HEADER

FACT = "My favourite colour is teal."


async def chat_session(
    runtime: AgentRuntime, session_id: str, user_id: str | None, *messages: str
) -> None:
    """One whole session: start, the messages, end, and the summary stored."""
    agent = runtime.agent
    await agent.start_session(session_id, channel="test", user_id=user_id)
    for text in messages:
        await agent.turn(session_id, text, channel="test", user_id=user_id)
    agent.end_session(session_id, channel="test", user_id=user_id)
    assert await runtime.hooks.drain(10) == 0


async def first_prompt(runtime: AgentRuntime, session_id: str, user_id: str | None) -> str:
    probe = PromptProbe(runtime.hooks)
    await runtime.agent.start_session(session_id, channel="test", user_id=user_id)
    await runtime.agent.turn(session_id, "What do you remember?", channel="test", user_id=user_id)
    return probe.last


async def test_a_later_session_of_the_same_user_recalls_the_first(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await chat_session(runtime, "alice-1", "alice", FACT)

        stored = await runtime.memory.recall_summaries("", user_id="alice", limit=10)
        assert [(s.session_id, s.kind) for s in stored] == [("alice-1", "session")]
        assert FACT in stored[0].content  # summarized through the (offline) provider

        prompt = await first_prompt(runtime, "alice-2", "alice")
    assert RECALL_HEADER in prompt
    assert "[session alice-1," in prompt
    assert FACT in prompt


async def test_another_user_never_sees_the_summary(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await chat_session(runtime, "alice-1", "alice", FACT)
        await chat_session(runtime, "nobody-1", None, "I only like green.")

        bob = await first_prompt(runtime, "bob-1", "bob")
        anonymous = await first_prompt(runtime, "nobody-2", None)
        alice = await first_prompt(runtime, "alice-2", "alice")

    assert FACT not in bob
    assert RECALL_HEADER not in bob
    # A session without a user sees only the summaries of sessions without a user.
    assert "I only like green." in anonymous
    assert FACT not in anonymous
    assert "I only like green." not in alice
    assert FACT in alice


async def test_a_changed_user_id_in_the_payload_does_not_read_another_users_summaries(
    config: Config,
) -> None:
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await chat_session(runtime, "alice-1", "alice", FACT)
        await runtime.memory.ensure_session("bob-1", channel="test", user_id="bob")
        # A handler earlier in the chain claims the session is alice's: the store says bob.
        forged = PromptBuild("bob-1", "test", "alice", "system", ())
        result = await runtime.live_hooks().run(Event.BEFORE_PROMPT_BUILD, forged)
    assert result.payload.context == ()


async def test_the_current_session_is_not_recalled_into_itself(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await chat_session(runtime, "alice-1", "alice", FACT)
        # alice-1 resumed: its own summary is history, not an earlier session.
        prompt = await first_prompt(runtime, "alice-1", "alice")
    assert "[session alice-1," not in prompt


async def test_a_session_without_a_user_message_stores_nothing(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await chat_session(runtime, "empty", "alice")
        assert await runtime.memory.recall_summaries("", user_id="alice", limit=10) == []


async def test_recall_is_bounded_in_count_and_size(config: Config) -> None:
    config.hooks.session_memory.recall_limit = 2
    config.hooks.session_memory.max_recall_chars = 300
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        for n in range(4):
            await chat_session(runtime, f"old-{n}", "alice", f"Fact number {n}. " + "pad " * 200)
        handler = next(
            r.handler
            for r in runtime.live_hooks().handlers()
            if isinstance(r.handler, SessionMemory)
        )
        await runtime.memory.ensure_session("new", channel="test", user_id="alice")
        block = await handler.recall_block("new")

    assert block is not None
    assert block.count("[session old-") == 2
    assert len(block) <= 300 + len(RECALL_HEADER) + 2 * len("[session old-0, 2000-01-01] \n")


async def test_the_most_relevant_session_comes_first(config: Config) -> None:
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await chat_session(runtime, "garden", "alice", "The tomatoes in my garden need water.")
        await chat_session(runtime, "travel", "alice", "I fly to Lisbon next week.")
        probe = PromptProbe(runtime.hooks)
        await runtime.agent.start_session("new", channel="test", user_id="alice")
        await runtime.agent.turn("new", "How are my tomatoes?", channel="test", user_id="alice")
    prompt = probe.last
    # travel is the more recent session; garden matches what the user asks about.
    assert prompt.index("[session garden,") < prompt.index("[session travel,")


async def test_compaction_summaries_are_kept_once_per_compaction(config: Config) -> None:
    config.agent.compaction.max_history_tokens = 200
    config.agent.compaction.keep_recent_messages = 2
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        await runtime.agent.start_session("long", channel="test", user_id="alice")
        compactions = 0
        for n in range(6):
            result = await runtime.agent.turn(
                "long", f"Point {n}. " + "words " * 60, channel="test", user_id="alice"
            )
            compactions += result.compaction is not None
        assert await runtime.hooks.drain(10) == 0
        stored = await runtime.memory.recall_summaries("", user_id="alice", limit=50)
        handler = next(
            r.handler
            for r in runtime.live_hooks().handlers()
            if isinstance(r.handler, SessionMemory)
        )
        assert compactions >= 2
        # The compactor stored each summary already: after_compaction adds no duplicate.
        assert sum(s.kind == "compaction" for s in stored) == compactions
        # A summary the store does not have yet is stored, once.
        assert await handler.store_compaction("long", "a summary from elsewhere") is not None
        assert await handler.store_compaction("long", "a summary from elsewhere") is None
        assert (
            await runtime.memory.latest_summary("long", "compaction") == "a summary from elsewhere"
        )
