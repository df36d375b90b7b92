"""Calls and turns in flight finish on the snapshot they started with, and a replaced
snapshot is released when its last user ends. Real plugins, a real AgentRuntime, a real
agent turn (with a scripted model that reloads the plugins between its two calls)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from reload_support import PluginDirs, tag, wait_for

from zeroclaw.agent import AgentRuntime
from zeroclaw.agent.loop import Agent
from zeroclaw.config import Config
from zeroclaw.hooks import Event, HookRunner, PromptBuild
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.lifecycle.reload import PluginReloader, ReloadReport
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.providers import ChatRequest, ChatResponse, ScriptedProvider

OpenRuntime = Callable[[], AgentRuntime]
PAYLOAD = PromptBuild("s1", "terminal", None, "native prompt", ())


def parts(runtime: AgentRuntime) -> tuple[PluginRegistry, PluginReloader]:
    assert runtime.plugins is not None
    assert runtime.reloader is not None
    return runtime.plugins, runtime.reloader


def closed(snapshot: PluginSnapshot) -> bool:
    return all(plugin.calls._closed for plugin in snapshot.plugins.values())


class ReloadingModel(ScriptedProvider):
    """Scripted answers; between the first call and the second, `between` runs (it writes
    the plugin's next version and reloads)."""

    def __init__(self, between: Callable[[], object]) -> None:
        super().__init__(
            [
                {"tool_calls": [{"name": "file_list", "arguments": {}, "id": "call_1"}]},
                {"text": "listed"},
                {"text": "second turn"},
            ]
        )
        self.between = between
        self.reports: list[ReloadReport] = []

    async def chat(self, request: ChatRequest) -> ChatResponse:
        response = await super().chat(request)
        if len(self.requests) == 1:
            report = await asyncio.to_thread(self.between)
            assert isinstance(report, ReloadReport)
            self.reports.append(report)
        return response


async def test_a_turn_spanning_a_reload_finishes_on_its_start_snapshot(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    # before_llm_call sets the model of each LLM call to the plugin's tag
    dirs.write("tagger", kind="model", tag=tag(1))
    runtime = open_runtime()
    registry, reloader = parts(runtime)
    started_on = registry.current()

    def new_version() -> ReloadReport:
        dirs.write("tagger", kind="model", tag=tag(2))
        return reloader.reload("test")

    model = ReloadingModel(new_version)
    agent = Agent(
        config=config.agent,
        provider=model,
        model="configured-model",
        tools=runtime.tools,
        gate=runtime.gate,
        memory=runtime.memory,
        hooks=runtime.live_hooks,
        observer=runtime.observer,
    )

    first = await agent.turn("s1", "list my files")

    (reload,) = model.reports
    assert reload.swapped, reload.reason
    assert reload.previous_generation == started_on.generation
    assert first.llm_calls == 2
    assert first.exchanges[0].result.success
    # both model calls of the turn went through the version that was live at its start
    assert [request.model for request in model.requests] == [tag(1), tag(1)]

    await agent.turn("s1", "again")

    assert model.requests[2].model == tag(2)
    # the turn was the old snapshot's last user: it is released
    wait_for(lambda: closed(started_on))
    assert registry.users.retiring() == ()


async def test_200_concurrent_hook_calls_during_20_reloads_see_one_generation_each(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    # two plugins change two fields of one payload: a call that mixed two snapshots
    # would come back with two different tags. A call that timed out would too (its field
    # stays unchanged): on a loaded machine 200 calls in flight can wait past the 1 s
    # default, which is not what this test is about.
    config.plugins.limits.timeout_ms = 30_000
    dirs.write("a-prompt", kind="prompt", tag=tag(0), priority=10)
    dirs.write("b-context", kind="context", tag=tag(0), priority=5)
    runtime = open_runtime()
    _, reloader = parts(runtime)
    reports: list[ReloadReport] = []

    def reload_20_times() -> None:
        for version in range(1, 21):
            dirs.write("a-prompt", kind="prompt", tag=tag(version), priority=10)
            dirs.write("b-context", kind="context", tag=tag(version), priority=5)
            reports.append(reloader.reload("test"))

    views: dict[int, HookRunner] = {}

    async def one_call() -> tuple[str, tuple[str, ...]]:
        view = runtime.live_hooks()
        views[id(view)] = view
        result = await view.run(Event.BEFORE_PROMPT_BUILD, PAYLOAD)
        assert not result.cancelled
        return result.payload.system_prompt, result.payload.context

    reloading = threading.Thread(target=reload_20_times)
    reloading.start()
    seen: list[tuple[str, tuple[str, ...]]] = []
    rounds = 0
    while reloading.is_alive() or rounds == 0:
        seen += await asyncio.gather(*(one_call() for _ in range(200)))
        rounds += 1
    reloading.join()

    assert [report.swapped for report in reports] == [True] * 20, [r.reason for r in reports]
    failures = [
        handler.stats
        for view in views.values()
        for handler in view.handlers(Event.BEFORE_PROMPT_BUILD)
        if handler.stats.failures or handler.stats.timeouts
    ]
    assert failures == []
    for prompt, context in seen:
        assert context == (prompt,), "one call saw two generations"
        assert prompt.startswith("v")
    assert len({prompt for prompt, _ in seen}) > 1, "no call overlapped a reload"
    assert await one_call() == (tag(20), (tag(20),))


async def test_a_deleted_plugin_dir_unloads_cleanly(
    dirs: PluginDirs, open_runtime: OpenRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    dirs.write("a-prompt", kind="prompt", tag=tag(1))
    gone = dirs.write("b-context", kind="context", tag=tag(1))
    runtime = open_runtime()
    registry, reloader = parts(runtime)
    before = registry.current()

    for file in gone.iterdir():
        file.unlink()
    gone.rmdir()
    report = reloader.reload("test")

    assert report.swapped, report.reason
    assert set(registry.current().plugins) == {"a-prompt"}
    result = await runtime.live_hooks().run(Event.BEFORE_PROMPT_BUILD, PAYLOAD)
    assert (result.payload.system_prompt, result.payload.context) == (tag(1), ())
    # nothing used the old snapshot any more: closed, its warm instances dropped
    wait_for(lambda: closed(before))
    assert before.plugins["b-context"].calls.pool.idle == 0
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


async def test_a_replaced_snapshot_is_released_when_its_last_user_ends(
    dirs: PluginDirs, open_runtime: OpenRuntime
) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()
    registry, reloader = parts(runtime)
    old = registry.current()
    held = runtime.live_hooks()  # what a turn started now holds to its end

    dirs.write("tagger", kind="prompt", tag=tag(2))
    assert reloader.reload("test").swapped

    assert registry.users.retiring() == (old.generation,)
    assert not closed(old)
    result = await held.run(Event.BEFORE_PROMPT_BUILD, PAYLOAD)
    assert result.payload.system_prompt == tag(1)  # the held view still works, on v1
    assert reloader.status().retiring == (old.generation,)

    del held, result  # no gc.collect(): the last reference going is enough

    wait_for(lambda: closed(old))
    assert registry.users.retiring() == ()
    assert not closed(registry.current())
