"""Every hook fires at its call site in a real turn, and the call site honours what the
handlers decide (change, cancel)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from zeroclaw.agent import Agent
from zeroclaw.config import Config
from zeroclaw.hooks import (
    AfterCompaction,
    AfterToolCall,
    Cancel,
    CompactionRequest,
    Event,
    HookRunner,
    InboundMessage,
    LLMCall,
    LLMInput,
    LLMOutput,
    MessageSent,
    ModelResolve,
    OutboundMessage,
    PromptBuild,
    SessionEnd,
    SessionStart,
    ToolCallRequest,
    ToolResultPersist,
    hook,
)
from zeroclaw.memory import MemoryStore
from zeroclaw.messages import ChatMessage, ToolResult
from zeroclaw.providers import OfflineProvider, Provider, ScriptedProvider

# The `make_agent` fixture (tests/agent/conftest.py).
MakeAgent = Callable[..., Agent]


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"tool_calls": [{"id": "call_1", "name": name, "arguments": arguments}]}


def write_then_answer() -> ScriptedProvider:
    return ScriptedProvider(
        [tool_call("file_write", {"path": "a.txt", "content": "secret-42"}), {"text": "done"}]
    )


# -- modifying events ----------------------------------------------------------------------


async def test_on_message_received_can_rewrite_the_message(
    make_agent: MakeAgent, runner: HookRunner, memory: MemoryStore
) -> None:
    @hook(Event.ON_MESSAGE_RECEIVED)
    def shout(message: InboundMessage) -> InboundMessage:
        return dataclasses.replace(message, content=message.content.upper())

    runner.register(shout)
    provider = ScriptedProvider([{"text": "ok"}])
    await make_agent(provider).turn("s1", "hello")

    assert provider.requests[0].messages[-1].content == "HELLO"
    assert (await memory.session_messages("s1"))[0].message.content == "HELLO"


async def test_cancelled_message_is_dropped_with_a_reply_saying_why(
    make_agent: MakeAgent, runner: HookRunner, memory: MemoryStore
) -> None:
    runner.register(hook(Event.ON_MESSAGE_RECEIVED)(lambda m: Cancel("spam filter")))
    provider = ScriptedProvider([])
    result = await make_agent(provider).turn("s1", "buy now")

    assert result.stop_reason == "blocked"
    assert "spam filter" in result.reply
    assert provider.requests == []
    assert await memory.session_messages("s1") == []


async def test_before_prompt_build_adds_context_to_the_system_prompt(
    make_agent: MakeAgent, runner: HookRunner
) -> None:
    @hook(Event.BEFORE_PROMPT_BUILD)
    def add(prompt: PromptBuild) -> PromptBuild:
        return dataclasses.replace(prompt, context=(*prompt.context, "The user likes tea."))

    runner.register(add)
    provider = ScriptedProvider([{"text": "ok"}])
    await make_agent(provider).turn("s1", "hi")

    system = provider.requests[0].messages[0]
    assert system.role == "system"
    assert system.content.endswith("The user likes tea.")


async def test_cancelled_prompt_build_stops_the_turn(
    make_agent: MakeAgent, runner: HookRunner
) -> None:
    runner.register(hook(Event.BEFORE_PROMPT_BUILD)(lambda p: Cancel("maintenance")))
    provider = ScriptedProvider([])
    result = await make_agent(provider).turn("s1", "hi")

    assert result.stop_reason == "blocked"
    assert "maintenance" in result.reply
    assert provider.requests == []


async def test_before_model_resolve_picks_model_and_provider(
    make_agent: MakeAgent, runner: HookRunner
) -> None:
    other = ScriptedProvider([{"text": "from the other provider"}], name="other")
    asked: list[str] = []

    def provider_for(name: str) -> Provider:
        asked.append(name)
        return other

    @hook(Event.BEFORE_MODEL_RESOLVE)
    def route(choice: ModelResolve) -> ModelResolve:
        return dataclasses.replace(choice, provider="other", model="big-model")

    runner.register(route)
    default = ScriptedProvider([])
    result = await make_agent(default, provider_for=provider_for).turn("s1", "hi")

    assert result.reply == "from the other provider"
    assert asked == ["other"]
    assert other.requests[0].model == "big-model"
    assert default.requests == []


async def test_before_llm_call_changes_what_the_provider_receives(
    make_agent: MakeAgent, runner: HookRunner
) -> None:
    @hook(Event.BEFORE_LLM_CALL)
    def tag(call: LLMCall) -> LLMCall:
        note = ChatMessage("system", "be brief")
        return dataclasses.replace(call, messages=(*call.messages, note), model="tagged")

    runner.register(tag)
    provider = ScriptedProvider([{"text": "ok"}])
    await make_agent(provider).turn("s1", "hi")

    assert provider.requests[0].messages[-1].content == "be brief"
    assert provider.requests[0].model == "tagged"


async def test_cancelled_before_tool_call_never_runs_the_tool(
    make_agent: MakeAgent, runner: HookRunner, config: Config
) -> None:
    runner.register(hook(Event.BEFORE_TOOL_CALL)(lambda c: Cancel("no writes today")))
    provider = write_then_answer()
    result = await make_agent(provider).turn("s1", "write")

    assert not (config.workspace / "a.txt").exists()
    assert result.exchanges[0].result.error == "blocked by hook: no writes today"
    assert provider.requests[1].messages[-1].content == "error: blocked by hook: no writes today"


async def test_a_hook_cannot_smuggle_a_forbidden_call_past_the_policy(
    make_agent: MakeAgent, runner: HookRunner, config: Config
) -> None:
    config.tools.allowed = ["file_list"]

    @hook(Event.BEFORE_TOOL_CALL)
    def swap(call: ToolCallRequest) -> ToolCallRequest:
        return ToolCallRequest(call.session_id, "file_write", {"path": "x", "content": "y"})

    runner.register(swap)
    provider = ScriptedProvider([tool_call("file_list", {}), {"text": "ok"}])
    result = await make_agent(provider).turn("s1", "list")

    assert "denied by security policy" in (result.exchanges[0].result.error or "")
    assert not (config.workspace / "x").exists()


async def test_tool_result_persist_redacts_before_storage_and_model(
    make_agent: MakeAgent, runner: HookRunner, memory: MemoryStore
) -> None:
    @hook(Event.TOOL_RESULT_PERSIST)
    def redact(persist: ToolResultPersist) -> ToolResultPersist:
        output = persist.result.output.replace("secret-42", "[redacted]")
        return dataclasses.replace(persist, result=ToolResult.ok(output))

    runner.register(redact)
    provider = ScriptedProvider([tool_call("file_read", {"path": "s.txt"}), {"text": "read it"}])
    agent = make_agent(provider)
    (memory.path.parent / "workspace" / "s.txt").write_text("token secret-42")
    await agent.turn("s1", "read")

    seen = provider.requests[1].messages[-1].content
    assert "secret-42" not in seen
    assert "[redacted]" in seen
    stored = [s.message.content for s in await memory.session_messages("s1")]
    assert not any("secret-42" in content for content in stored)


async def test_cancelled_tool_result_persist_stores_a_failed_result(
    make_agent: MakeAgent, runner: HookRunner
) -> None:
    runner.register(hook(Event.TOOL_RESULT_PERSIST)(lambda p: Cancel("too sensitive")))
    result = await make_agent(write_then_answer()).turn("s1", "write")

    assert result.exchanges[0].result.error == "blocked by hook: too sensitive"


async def test_cancelled_before_compaction_skips_it(
    make_agent: MakeAgent, runner: HookRunner, config: Config, memory: MemoryStore
) -> None:
    config.agent.compaction.max_history_tokens = 200
    config.agent.compaction.keep_recent_messages = 2
    seen: list[CompactionRequest] = []

    @hook(Event.BEFORE_COMPACTION)
    def veto(request: CompactionRequest) -> Cancel:
        seen.append(request)
        return Cancel("keep everything")

    runner.register(veto)
    agent = make_agent(OfflineProvider())
    for i in range(5):
        await agent.turn("s1", f"message {i} " + "word " * 60)

    assert seen
    assert seen[0].estimated_tokens > 200
    assert await memory.latest_summary("s1") is None


async def test_on_message_sending_rewrites_or_withholds_the_reply(
    make_agent: MakeAgent, runner: HookRunner
) -> None:
    @hook(Event.ON_MESSAGE_SENDING)
    def sign(message: OutboundMessage) -> OutboundMessage | Cancel:
        if "forbidden" in message.content:
            return Cancel("policy")
        return dataclasses.replace(message, content=message.content + " -- zc")

    runner.register(sign)
    agent = make_agent(ScriptedProvider([{"text": "hello"}, {"text": "forbidden words"}]))

    signed = await agent.turn("s1", "hi")
    assert signed.reply == "hello -- zc"
    assert signed.delivered

    withheld = await agent.turn("s1", "again")
    assert not withheld.delivered
    assert withheld.reply == ""


# -- void events, through the ObserverBridge -----------------------------------------------


async def test_void_events_of_a_turn_each_fire_once(
    make_agent: MakeAgent, runner: HookRunner
) -> None:
    seen: dict[Event, list[object]] = {}

    def recorder(event: Event) -> None:
        runner.register(
            hook(event, name=f"rec-{event}")(lambda p: seen.setdefault(event, []).append(p))
        )

    for event in (
        Event.ON_SESSION_START,
        Event.ON_SESSION_END,
        Event.ON_LLM_INPUT,
        Event.ON_LLM_OUTPUT,
        Event.ON_AFTER_TOOL_CALL,
        Event.ON_MESSAGE_SENT,
    ):
        recorder(event)
    agent = make_agent(write_then_answer())

    await agent.start_session("s1", channel="test", user_id="u1")
    result = await agent.turn("s1", "write", channel="test", user_id="u1")
    agent.message_delivered(result, channel="test", recipient="u1")
    agent.end_session("s1", channel="test", user_id="u1")
    await runner.drain()

    assert [type(p) for p in seen[Event.ON_SESSION_START]] == [SessionStart]
    assert [type(p) for p in seen[Event.ON_SESSION_END]] == [SessionEnd]
    # Two model calls: one on_llm_input and one on_llm_output each, never more.
    assert len(seen[Event.ON_LLM_INPUT]) == 2
    assert all(isinstance(p, LLMInput) for p in seen[Event.ON_LLM_INPUT])
    outputs = seen[Event.ON_LLM_OUTPUT]
    assert len(outputs) == 2
    assert isinstance(outputs[1], LLMOutput)
    assert outputs[1].text == "done"
    (after,) = seen[Event.ON_AFTER_TOOL_CALL]
    assert isinstance(after, AfterToolCall)
    assert after.tool == "file_write"
    assert after.result.success
    (sent,) = seen[Event.ON_MESSAGE_SENT]
    assert isinstance(sent, MessageSent)
    assert sent.content == "done"


async def test_after_compaction_fires_with_the_summary(
    make_agent: MakeAgent, runner: HookRunner, config: Config
) -> None:
    config.agent.compaction.max_history_tokens = 200
    config.agent.compaction.keep_recent_messages = 2
    summaries: list[AfterCompaction] = []
    runner.register(hook(Event.AFTER_COMPACTION)(summaries.append))
    agent = make_agent(OfflineProvider())
    for i in range(5):
        await agent.turn("s1", f"Fact {i} is important. " + "word " * 60)
    await runner.drain()

    assert summaries
    assert "Fact 0" in summaries[0].summary
    assert summaries[0].compacted_messages > 0


async def test_a_withheld_reply_fires_no_message_sent(
    make_agent: MakeAgent, runner: HookRunner
) -> None:
    sent: list[MessageSent] = []
    runner.register(hook(Event.ON_MESSAGE_SENT)(sent.append))
    runner.register(hook(Event.ON_MESSAGE_SENDING)(lambda m: Cancel("no")))
    agent = make_agent(ScriptedProvider([{"text": "x"}]))

    result = await agent.turn("s1", "hi")
    agent.message_delivered(result, channel="terminal", recipient="user")
    await runner.drain()

    assert sent == []


async def test_a_turn_keeps_the_hook_runner_it_started_with(
    make_agent: MakeAgent, config: Config, memory: MemoryStore
) -> None:
    """A plugin reload publishes a new runner; a turn in flight never mixes the two."""
    from zeroclaw.agent import Agent
    from zeroclaw.agent.approval import AllowApprover
    from zeroclaw.agent.tool_gate import ToolGate
    from zeroclaw.tools import SecurityPolicy, default_registry

    seen: list[str] = []
    old, new = HookRunner(), HookRunner()
    for name, runner in (("old", old), ("new", new)):
        for event in (Event.BEFORE_PROMPT_BUILD, Event.BEFORE_TOOL_CALL, Event.ON_MESSAGE_SENDING):
            runner.register(hook(event, name=f"{name}-{event}")(lambda p, n=name: seen.append(n)))
    live = [old]

    def source() -> HookRunner:
        runner = live[0]
        live[0] = new  # the reload lands right after this turn took its runner
        return runner

    policy = SecurityPolicy(config.tools, config.workspace)
    tools = default_registry(config, memory, policy)
    agent = Agent(
        config=config.agent,
        provider=ScriptedProvider([tool_call("file_list", {}), {"text": "ok"}]),
        model="",
        tools=tools,
        gate=ToolGate(policy, tools, AllowApprover(), config.workspace),
        memory=memory,
        hooks=source,
    )
    await agent.turn("s1", "list")
    assert seen == ["old", "old", "old"]


async def test_the_callers_model_choice_reaches_model_resolve_and_the_provider(
    make_agent: MakeAgent, runner: HookRunner
) -> None:
    other = ScriptedProvider([{"text": "hi"}], name="other")
    seen: list[ModelResolve] = []
    runner.register(hook(Event.BEFORE_MODEL_RESOLVE)(seen.append))
    agent = make_agent(ScriptedProvider([]), provider_for=lambda name: other)

    await agent.turn("s1", "hello", provider="other", model="small")

    assert [(c.provider, c.model) for c in seen] == [("other", "small")]
    assert other.requests[0].model == "small"


async def test_a_turn_takes_hooks_tools_and_providers_in_one_step(
    config: Config, memory: MemoryStore
) -> None:
    """Hooks, tools and providers come from one `Extensions`: a reload between them can
    never give one turn parts of two snapshots."""
    from zeroclaw.agent.approval import AllowApprover
    from zeroclaw.agent.loop import Extensions, Providers
    from zeroclaw.agent.tool_gate import ToolGate
    from zeroclaw.tools import SecurityPolicy, default_registry

    policy = SecurityPolicy(config.tools, config.workspace)
    tools = default_registry(config, memory, policy)
    first = Extensions(
        HookRunner(),
        tools,
        Providers(ScriptedProvider([tool_call("file_list", {}), {"text": "a"}])),
    )
    second = Extensions(HookRunner(), tools, Providers(ScriptedProvider([], name="second")))
    handed: list[Extensions] = []

    def source() -> Extensions:
        handed.append(first if not handed else second)
        return handed[-1]

    agent = Agent(
        config=config.agent,
        model="",
        gate=ToolGate(policy, tools, AllowApprover(), config.workspace),
        memory=memory,
        extensions=source,
    )
    result = await agent.turn("s1", "list")

    assert result.reply == "a"
    assert handed == [first]
