"""The `cabi_realloc` and post-returns `zeroclaw plugins build` adds to a WAT module without
its own (build.py, `complete_core_module`): a warm instance answers any number of calls in
the memory of its largest one, grows its memory for a large argument, and ends a call whose
argument does not fit under the plugin's memory limit as a memory overrun.

The hook plugin is built from its plugin.wat by `build_plugin` (real wasm-tools), loaded by
the registry and called through PluginCalls as the agent calls it. It answers
`before-tool-call` with `continue(event)` pointing at the event it received: the host reads
those strings from the allocator's heap after the call, so a heap reset before the result is
read, or a call's arguments written over another's, changes what comes back.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime

from zeroclaw.config import Config
from zeroclaw.hooks import Continue, Event, ToolCallRequest
from zeroclaw.plugins.adapters.hooks import PluginHookHandler
from zeroclaw.plugins.authoring.build import (
    HEAP_BASE,
    build_plugin,
    complete_core_module,
    run_wasm_tools,
    wit_root,
)
from zeroclaw.plugins.errors import PluginMemoryExceeded
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.wasm.calls import RuntimeSettings

ECHO_WAT = """\
;; before-tool-call answers continue(event) with the very strings it received.
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\\0d")                       ;; event case 13: before-tool-call
  (data (i32.const 8) "\\00\\00\\00\\00\\01\\00\\00\\00")  ;; list<event>: pointer 0, length 1
  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32)
    i32.const 8)
  ;; continue (case 1) at 16, the record's three (pointer, length) pairs from 20.
  (func (export "zeroclaw:hooks/handler@1.0.0#before-tool-call")
    (param i32 i32 i32 i32 i32 i32) (result i32)
    (i32.store8 (i32.const 16) (i32.const 1))
    (i32.store (i32.const 20) (local.get 0))
    (i32.store (i32.const 24) (local.get 1))
    (i32.store (i32.const 28) (local.get 2))
    (i32.store (i32.const 32) (local.get 3))
    (i32.store (i32.const 36) (local.get 4))
    (i32.store (i32.const 40) (local.get 5))
    i32.const 16)
)
"""
MANIFEST = """\
name = "echo"
version = "0.1.0"
wit_package = "zeroclaw:hooks@1.0.0"
component = "plugin.wasm"
capabilities = ["hooks.conversation", "hooks.modify"]
[limits]
memory_mb = 1
"""
CALLS = 5000
KIB = 1024


@pytest.fixture(scope="module")
def echo_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("plugins") / "echo"
    directory.mkdir()
    (directory / "plugin.wat").write_text(ECHO_WAT)
    (directory / "plugin.toml").write_text(MANIFEST)
    result = build_plugin(directory)
    assert result.problems == ()
    return directory


@pytest.fixture
def echo(echo_plugin: Path, tmp_path: Path) -> Iterator[PluginHookHandler]:
    """The plugin loaded with one warm instance that is never recycled, under a 1 MiB
    memory limit: 16 pages, where calls that kept their arguments would not fit."""
    config = Config(data_dir=tmp_path / "data")
    config.plugins.enabled = True
    config.plugins.dirs = [echo_plugin.parent]
    config.plugins.capabilities.allow = ["hooks.conversation", "hooks.modify"]
    registry = PluginRegistry.for_config(
        config, settings=RuntimeSettings(recycle_after_calls=10 * CALLS)
    )
    try:
        snapshot = registry.load(config.plugins)
        yield next(h for h in snapshot.hook_handlers() if h.plugin.name == "echo")
    finally:
        registry.close()


def request(call: int, size: int) -> ToolCallRequest:
    """Arguments of about `size` bytes as JSON, different in every call."""
    filler = size - 40
    return ToolCallRequest(f"s{call}", f"tool-{call}", {"call": call, "text": "x" * filler})


async def call_many(echo: PluginHookHandler, size: int) -> None:
    for call in range(CALLS):
        sent = request(call, size)
        outcome = await echo.handle(Event.BEFORE_TOOL_CALL, sent)
        assert outcome == Continue(sent), f"call {call} came back changed"
    stats = echo.plugin.calls.stats()
    assert stats.calls >= CALLS
    assert stats.instances_created == 1  # every call on the same warm instance
    assert stats.instances_discarded == 0


@pytest.mark.timeout(600)
@pytest.mark.parametrize("size", [200, 200 * KIB], ids=["200-bytes", "200-KiB"])
def test_one_warm_instance_answers_thousands_of_calls_in_bounded_memory(
    echo: PluginHookHandler, size: int
) -> None:
    asyncio.run(call_many(echo, size))


def test_an_argument_over_the_memory_limit_is_a_memory_overrun_and_the_next_call_works(
    echo: PluginHookHandler,
) -> None:
    async def calls() -> None:
        with pytest.raises(PluginMemoryExceeded) as raised:
            await echo.handle(Event.BEFORE_TOOL_CALL, request(0, 2 * KIB * KIB))
        assert "memory_mb" in (raised.value.hint or "")
        sent = request(1, 300 * KIB)
        assert await echo.handle(Event.BEFORE_TOOL_CALL, sent) == Continue(sent)

    asyncio.run(calls())


# -- the core module, without the host ------------------------------------------------------


@pytest.fixture(scope="module")
def hooks_dummy() -> str:
    hooks = wit_root() / "zeroclaw" / "hooks" / "v1"
    return run_wasm_tools(
        "component", "embed", "--dummy-names", "legacy", hooks, "-w", "hooks", "-t"
    )


def core_instance(wat: str) -> tuple[wasmtime.Store, wasmtime.Instance]:
    store = wasmtime.Store()
    return store, wasmtime.Instance(store, wasmtime.Module(store.engine, wat), [])


def test_realloc_grows_memory_keeps_an_old_block_and_the_post_return_frees(
    hooks_dummy: str,
) -> None:
    store, instance = core_instance(complete_core_module("(module)", hooks_dummy))
    exports = instance.exports(store)
    realloc = exports["cabi_realloc"]
    memory = exports["memory"]
    post = exports["cabi_post_zeroclaw:hooks/handler@1.0.0#before-tool-call"]
    assert isinstance(realloc, wasmtime.Func)
    assert isinstance(memory, wasmtime.Memory)
    assert isinstance(post, wasmtime.Func)

    first = realloc(store, 0, 0, 1, 100)
    assert first == HEAP_BASE
    memory.write(store, b"abc", first)
    second = realloc(store, 0, 0, 8, 3)
    assert second % 8 == 0
    assert second >= first + 100
    assert realloc(store, first, 100, 1, 50) == first  # shrinking keeps the block
    moved = realloc(store, first, 100, 1, 100_000)  # growing copies it past the end
    assert memory.read(store, moved, moved + 3) == b"abc"
    assert memory.size(store) * 65536 >= moved + 100_000

    post(store, 16)
    assert realloc(store, 0, 0, 1, 10) == HEAP_BASE


def test_realloc_past_the_memory_maximum_returns_an_address_beyond_the_end(
    hooks_dummy: str,
) -> None:
    wat = '(module (memory (export "memory") 1 2))'
    store, instance = core_instance(complete_core_module(wat, hooks_dummy))
    realloc = instance.exports(store)["cabi_realloc"]
    memory = instance.exports(store)["memory"]
    assert isinstance(realloc, wasmtime.Func)
    assert isinstance(memory, wasmtime.Memory)

    assert realloc(store, 0, 0, 1, 65536) == HEAP_BASE  # into the second page
    beyond = realloc(store, 0, 0, 1, 65536)
    assert beyond + 65536 > memory.data_len(store)  # the host reports it as an overrun
    assert realloc(store, 0, 0, 1, 2**32 - 1) + 2**32 - 1 > memory.data_len(store)


def test_a_module_with_its_own_allocator_or_post_return_keeps_them(hooks_dummy: str) -> None:
    own_post = '(func (export "cabi_post_zeroclaw:hooks/handler@1.0.0#handles") (param i32))'
    completed = complete_core_module(f"(module {own_post})", hooks_dummy)
    assert completed.count('"cabi_post_zeroclaw:hooks/handler@1.0.0#handles"') == 1
    assert '"cabi_post_zeroclaw:hooks/handler@1.0.0#before-tool-call"' in completed

    own_realloc = (
        '(memory (export "memory") 1)'
        '(func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)'
    )
    completed = complete_core_module(f"(module {own_realloc})", hooks_dummy)
    assert completed.count('"cabi_realloc"') == 1
    assert not re.search(r'\(export "cabi_post_', completed)
