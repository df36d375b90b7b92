"""Different sessions run side by side; the turns of one session run one at a time."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gateway_harness import Gateway, RendezvousTool, tool_command, wait_until

from zeroclaw.agent.session_locks import SessionLocks


def _webhook(gateway: Gateway, session_id: str, message: str) -> httpx.Response:
    with gateway.client() as http:
        return http.post("/webhook", json={"message": message, "session_id": session_id})


def test_two_sessions_run_concurrently(gateway: Gateway, rendezvous: RendezvousTool) -> None:
    gateway.state.runtime.tools.register(rendezvous)
    # Each call waits for the other: both succeed only if both turns run at once.
    a = tool_command("rendezvous", name="a", wait_for="b", timeout_s=10)
    b = tool_command("rendezvous", name="b", wait_for="a", timeout_s=10)

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(_webhook, gateway, "session-a", a)
        second = pool.submit(_webhook, gateway, "session-b", b)
        replies = [first.result().json(), second.result().json()]

    assert [r["tool_calls"] for r in replies] == [
        [{"name": "rendezvous", "success": True}],
        [{"name": "rendezvous", "success": True}],
    ]
    assert "a met b" in replies[0]["reply"]


def test_one_session_runs_its_turns_one_at_a_time(
    gateway: Gateway, rendezvous: RendezvousTool
) -> None:
    gateway.state.runtime.tools.register(rendezvous)
    # The first turn waits (briefly) for the second one's call; serialized, it never comes.
    one = tool_command("rendezvous", name="one", wait_for="two", timeout_s=1)
    two = tool_command("rendezvous", name="two")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(_webhook, gateway, "shared", one)
        wait_until(lambda: ("start", "one") in rendezvous.log)
        second = pool.submit(_webhook, gateway, "shared", two)
        replies = [first.result().json(), second.result().json()]

    assert rendezvous.log == [("start", "one"), ("end", "one"), ("start", "two"), ("end", "two")]
    assert replies[0]["tool_calls"] == [{"name": "rendezvous", "success": False}]
    assert "one never met two" in replies[0]["reply"]
    assert replies[1]["tool_calls"] == [{"name": "rendezvous", "success": True}]

    with gateway.client() as http:
        messages = http.get("/api/sessions/shared").json()["messages"]
    # Each turn's messages are stored together: user, tool call, tool result, answer.
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"] * 2
    assert messages[0]["content"] == one
    assert messages[4]["content"] == two


async def test_session_locks_are_dropped_when_unused() -> None:
    locks = SessionLocks()
    order: list[str] = []

    async def turn(session: str, name: str) -> None:
        async with locks.hold(session):
            order.append(f"{name}+")
            await asyncio.sleep(0.01)
            order.append(f"{name}-")

    await asyncio.gather(turn("s", "1"), turn("s", "2"), turn("t", "3"))

    assert order.index("1-") < order.index("2+")
    assert order.index("3+") < order.index("1-")  # another session did not wait
    assert len(locks) == 0


async def test_a_cancelled_waiter_does_not_leak_its_lock() -> None:
    locks = SessionLocks()
    async with locks.hold("s"):
        waiter = asyncio.create_task(_hold(locks, "s"))
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
    assert len(locks) == 0


async def _hold(locks: SessionLocks, session: str) -> None:
    async with locks.hold(session):
        pass


class Across:
    """A cross-process hold that records its steps (and can refuse to be taken)."""

    def __init__(self, steps: list[str], *, refuse: bool = False) -> None:
        self.steps = steps
        self.refuse = refuse

    def __call__(self, session: str) -> Across:
        self.session = session
        return self

    async def __aenter__(self) -> None:
        self.steps.append(f"take {self.session}")
        if self.refuse:
            raise ConnectionError("database gone")

    async def __aexit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.steps.append(f"give {self.session} ({kind.__name__ if kind else 'ok'})")


async def test_the_cross_process_hold_is_taken_inside_the_local_lock() -> None:
    steps: list[str] = []
    locks = SessionLocks(Across(steps))
    async with locks.hold("s"):
        steps.append("turn")
    with pytest.raises(ValueError, match="the turn failed"):
        async with locks.hold("s"):
            raise ValueError("the turn failed")
    assert steps == ["take s", "turn", "give s (ok)", "take s", "give s (ValueError)"]
    assert len(locks) == 0


async def test_a_refused_cross_process_hold_lets_go_of_the_local_lock() -> None:
    across = Across([], refuse=True)
    locks = SessionLocks(across)
    with pytest.raises(ConnectionError):
        async with locks.hold("s"):
            pass
    assert len(locks) == 0
    across.refuse = False
    async with asyncio.timeout(5), locks.hold("s"):  # not left locked: held again at once
        pass
    assert across.steps == ["take s", "take s", "give s (ok)"]
