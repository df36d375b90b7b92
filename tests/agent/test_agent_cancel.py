"""A turn cancelled from outside (Ctrl-C in the chat, a gateway client gone): memory is
left reading as what happened, and the next turn's prompt is one a provider accepts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from zeroclaw.agent import CANCELLED_TURN, Agent
from zeroclaw.config import Config
from zeroclaw.memory import MemoryStore
from zeroclaw.messages import ToolCall
from zeroclaw.observability import TurnComplete
from zeroclaw.providers import ChatRequest, ChatResponse, OfflineProvider, ScriptedProvider

MakeAgent = Callable[..., Agent]


class HeldProvider(OfflineProvider):
    """The offline model, which keeps its first answer until `release` is set: a turn
    is in flight for as long as the test wants."""

    def __init__(self) -> None:
        super().__init__()
        self.thinking = asyncio.Event()
        self.release = asyncio.Event()
        self.requests: list[ChatRequest] = []

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        self.thinking.set()
        await self.release.wait()
        return await super().chat(request)


async def test_cancelled_while_the_model_thinks_stores_the_cancellation_as_the_answer(
    make_agent: MakeAgent, memory: MemoryStore
) -> None:
    provider = HeldProvider()
    agent = make_agent(provider)
    turn = asyncio.create_task(agent.turn("s", "a long question"))
    await provider.thinking.wait()
    turn.cancel()
    await asyncio.gather(turn, return_exceptions=True)
    assert turn.cancelled()

    stored = [(s.message.role, s.message.content) for s in await memory.session_messages("s")]
    assert stored == [("user", "a long question"), ("assistant", CANCELLED_TURN.content)]

    provider.release.set()
    result = await agent.turn("s", "a short one")
    assert "You said: a short one" in result.reply
    sent = [(m.role, m.content) for m in provider.requests[-1].messages[1:]]
    assert sent == [
        ("user", "a long question"),
        ("assistant", CANCELLED_TURN.content),
        ("user", "a short one"),
    ]


WRITE = {"path": "a.txt", "content": "x"}


class HeldApprover:
    """Asked about a tool call, it never answers: the turn waits inside its tools."""

    can_ask = True
    in_advance = False

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    async def approve(self, call: ToolCall, reason: str) -> bool:
        self.asked.set()
        await asyncio.Event().wait()
        return False


async def test_cancelled_during_a_tool_leaves_a_history_providers_accept(
    make_agent: MakeAgent, config: Config, memory: MemoryStore
) -> None:
    config.tools.autonomy = "supervised"  # file_write waits for the approver, held
    provider = ScriptedProvider(
        [
            {"tool_calls": [{"id": "c1", "name": "file_write", "arguments": WRITE}]},
            {"text": "fine"},
        ]
    )
    approver = HeldApprover()
    agent = make_agent(provider, approver=approver)
    turn = asyncio.create_task(agent.turn("s", "write it"))
    await approver.asked.wait()
    turn.cancel()
    await asyncio.gather(turn, return_exceptions=True)

    messages = await memory.session_messages("s")
    roles = [(s.message.role, bool(s.message.tool_calls)) for s in messages]
    assert roles == [("user", False), ("assistant", True), ("assistant", False)]

    await agent.turn("s", "and now?")
    sent = provider.requests[-1].messages
    # The unfinished call gets its failed result in the prompt, right after the call.
    assert [m.role for m in sent[1:]] == ["user", "assistant", "tool", "assistant", "user"]
    assert sent[3].tool_call_id == "c1"
    assert sent[3].content.startswith("error: the turn ended before this tool call finished")


async def test_a_finished_turn_stores_no_cancellation(
    make_agent: MakeAgent, memory: MemoryStore
) -> None:
    agent = make_agent(OfflineProvider())
    await agent.turn("s", "hello")
    contents = [s.message.content for s in await memory.session_messages("s")]
    assert CANCELLED_TURN.content not in contents


async def test_the_observer_sees_the_turn_cancelled(
    make_agent: MakeAgent, memory: MemoryStore
) -> None:
    seen: list[TurnComplete] = []
    provider = HeldProvider()
    agent = make_agent(provider, observer=_Recorder(seen))
    turn = asyncio.create_task(agent.turn("s", "hi"))
    await provider.thinking.wait()
    turn.cancel()
    await asyncio.gather(turn, return_exceptions=True)
    assert [event.outcome for event in seen] == ["cancelled"]


class _Recorder:
    def __init__(self, seen: list[TurnComplete]) -> None:
        self._seen = seen

    def record(self, event: object) -> None:
        if isinstance(event, TurnComplete):
            self._seen.append(event)
