"""Plugin calls on the event loop's own thread (plugins.inline_call_ms): which plugins get
them, that they keep every call semantic, and that a guest spinning to its deadline cannot
hold the loop past the documented bound (2 x inline_call_ms + about one epoch tick)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from runtime_support import LoadPlugins, MakePlugin, Recorder

from zeroclaw.config import Config
from zeroclaw.hooks import Event, HookRunner, ToolCallRequest
from zeroclaw.observability import PluginCall
from zeroclaw.observability.events import ObserverEvent
from zeroclaw.plugins.wasm.inline import runs_inline

CONVERSATION = ("hooks.conversation", "hooks.modify")


class ThreadRecorder(Recorder):
    """Also notes the thread each PluginCall was recorded on: the thread the call ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def record(self, event: ObserverEvent) -> None:
        super().record(event)
        if isinstance(event, PluginCall):
            self.threads.append(threading.get_ident())


@pytest.fixture
def recorder() -> Recorder:
    return ThreadRecorder()


def shell_call() -> ToolCallRequest:
    return ToolCallRequest("s1", "shell", {"command": "rm -rf /"})


def test_only_short_plugins_whose_host_imports_end_by_the_deadline_run_inline() -> None:
    log = ("zeroclaw:host/log@1.0.0", "zeroclaw:host/http@1.0.0")
    assert runs_inline(20, (), 20)
    assert runs_inline(5, log, 20)
    assert not runs_inline(21, (), 20)  # a longer time limit: worker threads
    assert not runs_inline(5, ("zeroclaw:host/kv@1.0.0",), 20)  # waits on SQLite
    assert not runs_inline(5, ("zeroclaw:host/memory@1.0.0",), 20)  # waits on storage
    assert not runs_inline(5, ("wasi:filesystem/types@0.2.0",), 20)
    assert not runs_inline(1, (), 0)  # 0 turns inline calls off


async def test_a_short_hook_runs_on_the_loop_thread_and_a_long_one_on_a_worker(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: ThreadRecorder
) -> None:
    make_plugin("short", "hook_guard", capabilities=CONVERSATION, limits={"timeout_ms": 20})
    make_plugin("long", "hook_guard", capabilities=CONVERSATION, limits={"timeout_ms": 21})
    snapshot = load()
    loop_thread = threading.get_ident()

    for name in ("short", "long"):
        runner = HookRunner().layered(
            [h for h in snapshot.hook_handlers() if h.plugin.name == name]
        )
        result = await runner.run(Event.BEFORE_TOOL_CALL, shell_call())
        assert result.cancelled  # the same semantics either way
        assert result.cancelled_by == name
    short, long = recorder.threads[-2:]
    assert short == loop_thread
    assert long != loop_thread
    assert snapshot.plugins["short"].calls.stats().ok == 1


async def test_inline_calls_can_be_turned_off(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: ThreadRecorder
) -> None:
    config.plugins.inline_call_ms = 0
    make_plugin("short", "hook_guard", capabilities=CONVERSATION, limits={"timeout_ms": 5})
    runner = HookRunner().layered(load().hook_handlers())

    outcome = await runner.run(Event.BEFORE_TOOL_CALL, shell_call())

    assert outcome.cancelled
    assert recorder.threads[-1] != threading.get_ident()


async def test_spinning_guests_cannot_hold_the_loop_past_the_bound(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: ThreadRecorder
) -> None:
    # Eight guests that loop until their 20 ms deadline, in one modifying chain: run back
    # to back without yielding they would hold the loop for ~170 ms.
    config.plugins.inline_call_ms = 20
    for index in range(8):
        make_plugin(
            f"spin{index}", "hook_spin", capabilities=CONVERSATION, limits={"timeout_ms": 20}
        )
    runner = HookRunner().layered(load().hook_handlers())
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    result = await runner.run(Event.BEFORE_TOOL_CALL, shell_call())
    stop.set()
    await ticking

    assert not result.cancelled  # every guest timed out and was skipped (fail_open)
    assert len(recorder.threads) == 8
    assert set(recorder.threads) == {threading.get_ident()}  # all of them inline
    # The guests did hold the loop, at most two calls at a time: a yield lets the loop run
    # what is ready, and the ticker's 1 ms timer may come due only after the next call.
    assert sum(g > 0.015 for g in gaps) >= 2
    # Bound: 2 x 20 ms + a tick; the margin is for a loaded machine, far under the ~170 ms
    # the chain would hold the loop without the budget.
    assert max(gaps) < 0.12
