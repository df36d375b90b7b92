"""A chain of WASM hook plugins on worker threads in one dispatch: one hop to one thread of
the generation's hook threads and back, with every plugin's own deadline, breaker, pool,
counters and failure policy (runner.py, "One hop for a run of blocking handlers")."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from runtime_support import LoadPlugins, MakePlugin, Recorder

from zeroclaw.config import Config
from zeroclaw.config.models import PluginOverride
from zeroclaw.hooks import Event, HookRunner, PromptBuild, ToolCallRequest
from zeroclaw.observability import PluginCall
from zeroclaw.observability.events import ObserverEvent
from zeroclaw.plugins.adapters.hooks import PluginHookHandler
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.plugins.wasm.breaker import BreakerSettings
from zeroclaw.plugins.wasm.calls import RuntimeSettings
from zeroclaw.plugins.wasm.workers import PluginWorkers

T = TypeVar("T")
CONVERSATION = ("hooks.conversation", "hooks.modify")
TOOL = Event.BEFORE_TOOL_CALL


class ThreadRecorder(Recorder):
    """Also notes the thread each PluginCall was recorded on: the thread the call ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def record(self, event: ObserverEvent) -> None:
        super().record(event)
        if isinstance(event, PluginCall):
            self.threads.append(threading.get_ident())


class CountedThreads:
    """The generation's hook threads, counting the hops handed to them."""

    def __init__(self, workers: PluginWorkers) -> None:
        self.workers = workers
        self.hops = 0

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        self.hops += 1
        return self.workers.submit(fn, *args)


@pytest.fixture
def recorder() -> ThreadRecorder:
    return ThreadRecorder()


@pytest.fixture(autouse=True)
def on_worker_threads(config: Config) -> None:
    """These plugins import nothing, so by default they would try the loop's thread first
    (inline first): these tests are about the ones that run on worker threads."""
    config.plugins.inline_first = False


def counted_runner(snapshot: PluginSnapshot) -> tuple[HookRunner, CountedThreads]:
    """A runner with the snapshot's hook plugins, their hops counted."""
    assert snapshot.hook_threads is not None
    threads = CountedThreads(snapshot.hook_threads)
    handlers = [PluginHookHandler(h.plugin, threads) for h in snapshot.hook_handlers()]  # type: ignore[arg-type]
    return HookRunner().layered(handlers), threads


def tool_call(tool: str = "file_list") -> ToolCallRequest:
    return ToolCallRequest("s1", tool, {"path": "."})


async def test_ten_plugins_on_worker_threads_run_in_one_hop_on_one_thread(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: ThreadRecorder
) -> None:
    for index in range(10):
        make_plugin(f"p{index}", "hook_minimal", capabilities=CONVERSATION)
    snapshot = load()
    runner, threads = counted_runner(snapshot)

    result = await runner.run(TOOL, tool_call())

    assert not result.cancelled
    assert threads.hops == 1
    assert len(recorder.threads) == 10
    assert len(set(recorder.threads)) == 1  # one thread called all ten
    assert recorder.threads[0] != threading.get_ident()  # not the loop's
    assert [e.plugin for e in recorder.of(PluginCall)] == [f"p{i}" for i in range(10)]

    cancelled = await runner.run(TOOL, tool_call("shell"))  # p0 cancels a shell call
    assert cancelled.cancelled_by == "p0"
    assert threads.hops == 2
    assert len(recorder.threads) == 11  # nothing ran after the cancel
    stats = {name: p.calls.stats() for name, p in snapshot.plugins.items()}
    assert stats["p0"].ok == 2
    assert stats["p1"].calls == 1


async def test_a_plugin_timing_out_mid_chain_is_skipped_and_the_chain_goes_on(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: Recorder
) -> None:
    make_plugin("a", "hook_minimal", capabilities=CONVERSATION, priority=3)
    make_plugin(
        "spin", "hook_spin", capabilities=CONVERSATION, priority=2, limits={"timeout_ms": 50}
    )
    make_plugin("c", "hook_minimal", capabilities=CONVERSATION, priority=1)
    snapshot = load()
    runner, threads = counted_runner(snapshot)

    result = await runner.run(TOOL, tool_call())

    assert not result.cancelled  # spin failed (its own epoch deadline) and is fail_open
    assert threads.hops == 1  # its own deadline ended it: the chain went on on the thread
    assert [(e.plugin, e.outcome) for e in recorder.of(PluginCall)] == [
        ("a", "ok"),
        ("spin", "timeout"),
        ("c", "ok"),
    ]
    stats = {r.spec.name: r.stats for r in runner.handlers(TOOL)}
    assert (stats["spin"].failures, stats["spin"].skips) == (1, 1)
    spin = snapshot.plugins["spin"].calls.stats()
    assert (spin.timeouts, spin.skipped, spin.instances_discarded) == (1, 1, 1)


async def test_a_required_plugin_failing_mid_chain_cancels_it(
    make_plugin: MakePlugin, load: LoadPlugins, config: Config, recorder: Recorder
) -> None:
    make_plugin("a", "hook_minimal", capabilities=CONVERSATION, priority=3)
    make_plugin("counter", "hook_counter", capabilities=CONVERSATION, priority=2)
    make_plugin("c", "hook_minimal", capabilities=CONVERSATION, priority=1)
    config.plugins.overrides["counter"] = PluginOverride(required=True)
    snapshot = load()
    runner, threads = counted_runner(snapshot)

    result = await runner.run(TOOL, tool_call("boom"))  # counter traps on "boom"

    assert result.cancelled
    assert result.cancelled_by == "counter"
    assert result.reason is not None
    assert "fail_closed" in result.reason
    assert "PluginTrap" in result.reason
    assert threads.hops == 1
    assert snapshot.plugins["c"].calls.stats().calls == 0  # never called
    assert [e.plugin for e in recorder.of(PluginCall)] == ["a", "counter"]


async def test_the_breaker_of_each_plugin_in_a_chain_is_its_own(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("counter", "hook_counter", capabilities=CONVERSATION, priority=2)
    make_plugin("c", "hook_minimal", capabilities=CONVERSATION, priority=1)
    breaker = BreakerSettings(failure_threshold=2, cooldown_s=30, max_cooldown_s=60)
    snapshot = load(RuntimeSettings(breaker=breaker))
    runner, _ = counted_runner(snapshot)

    for _ in range(3):
        result = await runner.run(TOOL, tool_call("boom"))
        assert not result.cancelled  # counter traps (then is quarantined), fail_open

    assert snapshot.plugins["counter"].state == "quarantined"
    assert snapshot.plugins["counter"].calls.stats().quarantined == 1
    assert snapshot.plugins["c"].calls.stats().ok == 3  # its neighbour's breaker is not its


async def test_a_chain_of_slow_plugins_does_not_stall_the_loop(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    for index in range(10):
        make_plugin(f"slow{index}", "hook_slow", capabilities=("log", *CONVERSATION))
    runner, threads = counted_runner(load())
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.002)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    await runner.run(TOOL, tool_call())
    took = time.monotonic() - started
    stop.set()
    await ticking

    assert threads.hops == 1
    # The loop ticked all along: its longest pause is far shorter than the chain (on the
    # loop, it would be all of it) and than two guests' runs (~0.14 s each here).
    assert max(gaps) < took / 5, (max(gaps), took)


async def test_a_closed_generation_refuses_a_chain_without_running_wasm(
    make_plugin: MakePlugin, load: LoadPlugins, recorder: Recorder
) -> None:
    make_plugin("a", "hook_minimal", capabilities=CONVERSATION, priority=2)
    make_plugin("b", "hook_minimal", capabilities=CONVERSATION, priority=1)
    snapshot = load()
    runner = HookRunner().layered(snapshot.hook_handlers())
    snapshot.close()

    result = await runner.run(TOOL, tool_call("shell"))

    assert not result.cancelled  # each refused (unloaded), skipped: fail_open
    assert [e.outcome for e in recorder.of(PluginCall)] == ["rejected", "rejected"]
    assert all(r.stats.skips == 1 for r in runner.handlers(TOOL))


async def test_explain_shows_each_plugin_of_a_chain_with_its_changes(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("pirate1", "hook_pirate", capabilities=CONVERSATION, priority=2)
    make_plugin("pirate2", "hook_pirate", capabilities=CONVERSATION, priority=1)
    runner, threads = counted_runner(load())

    explanation = await runner.explain(
        Event.BEFORE_PROMPT_BUILD, PromptBuild("s1", "cli", "u1", "Be brief.", ())
    )

    assert threads.hops == 1
    first, second = explanation.steps
    assert (first.handler, first.outcome, first.source) == ("pirate1", "continue", "plugin:pirate1")
    assert first.changes == {"system_prompt": ("Be brief.", "Speak like a pirate.")}
    assert second.changes == {}  # it received the first one's prompt and left it so
    assert first.duration_ms > 0
    assert second.duration_ms > 0


async def test_the_hook_threads_end_with_their_generation(
    make_plugin: MakePlugin, load: LoadPlugins
) -> None:
    make_plugin("a", "hook_minimal", capabilities=CONVERSATION)
    snapshot = load()
    runner = HookRunner().layered(snapshot.hook_handlers())
    await runner.run(TOOL, tool_call())
    threads = snapshot.hook_threads
    assert threads is not None
    started = [t for t in threading.enumerate() if t.name.startswith("plugin-hooks-")]

    snapshot.close()

    for thread in started:
        thread.join(timeout=5)
    assert not any(thread.is_alive() for thread in started)  # none left behind by a reload
