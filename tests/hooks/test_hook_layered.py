"""A layered runner: a plugin snapshot's handlers over the native ones, in one order."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from zeroclaw.hooks import Event, FunctionHandler, HookRunner, PromptBuild, SessionStart, hook


def tagger(tag: str, priority: int = 0) -> FunctionHandler:
    @hook(Event.BEFORE_PROMPT_BUILD, name=f"tag-{tag}", priority=priority)
    def add(prompt: PromptBuild) -> PromptBuild:
        return dataclasses.replace(prompt, context=(*prompt.context, tag))

    return add


def prompt() -> PromptBuild:
    return PromptBuild("s", "terminal", None, "sys", ())


async def test_a_view_runs_base_and_layer_in_one_order() -> None:
    base = HookRunner()
    base.register(tagger("native-low", priority=1), tagger("native-high", priority=9))
    view = base.layered([tagger("plugin-mid", priority=5)])

    result = await view.run(Event.BEFORE_PROMPT_BUILD, prompt())

    assert result.payload.context == ("native-high", "plugin-mid", "native-low")
    # The base itself never sees the layer.
    alone = await base.run(Event.BEFORE_PROMPT_BUILD, prompt())
    assert alone.payload.context == ("native-high", "native-low")


async def test_handlers_registered_on_the_base_later_reach_existing_views() -> None:
    base = HookRunner()
    view = base.layered([tagger("plugin")])
    await view.run(Event.BEFORE_PROMPT_BUILD, prompt())  # the view's table is built once

    base.register(tagger("late", priority=3))

    result = await view.run(Event.BEFORE_PROMPT_BUILD, prompt())
    assert result.payload.context == ("late", "plugin")


async def test_two_views_of_one_base_are_independent() -> None:
    base = HookRunner()
    old = base.layered([tagger("gen-1")])
    new = base.layered([tagger("gen-2")])

    assert (await old.run(Event.BEFORE_PROMPT_BUILD, prompt())).payload.context == ("gen-1",)
    assert (await new.run(Event.BEFORE_PROMPT_BUILD, prompt())).payload.context == ("gen-2",)


def test_a_view_cannot_be_registered_on() -> None:
    view = HookRunner().layered([])
    with pytest.raises(TypeError, match="base runner"):
        view.register(tagger("x"))


async def test_draining_the_base_waits_for_the_views_void_calls() -> None:
    done: list[str] = []

    @hook(Event.ON_SESSION_START, name="slow")
    async def slow(start: SessionStart) -> None:
        await asyncio.sleep(0.05)
        done.append(start.session_id)

    base = HookRunner()
    view = base.layered([slow])
    view.emit(Event.ON_SESSION_START, SessionStart("s1", "terminal", None))

    assert base.pending == 1
    await base.drain(timeout_s=2)
    assert done == ["s1"]
