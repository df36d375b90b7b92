"""Values crossing the boundary through wasmtime-py: the host can tell every case apart.

wasmtime-py returns a variant without its tag when its cases' Python types differ. The WIT
avoids that for hook results: every case carries a record or nothing, so two cases always
share a Python type and wasmtime-py always returns `Variant(tag, payload)`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import wasmtime
from wasmtime.component import Component, Instance, Linker, Record, Variant

from zeroclaw.plugins.contract.abi import expected_exports

HANDLER = "zeroclaw:hooks/handler@1.0.0"
Hook = tuple[wasmtime.Store, Component, Instance]


@pytest.fixture(scope="module")
def hook(components: dict[str, Path]) -> Hook:
    engine = wasmtime.Engine()
    component = Component.from_file(engine, components["hook_minimal"])
    store = wasmtime.Store(engine)
    instance = Linker(engine).instantiate(store, component)
    return store, component, instance


def call(hook: Hook, name: str, *args: object) -> object:
    store, component, instance = hook
    interface = component.get_export_index(HANDLER)
    index = component.get_export_index(name, interface)
    assert index is not None
    func = instance.get_func(store, index)
    assert func is not None
    return func(store, *args)


def tool_call(tool: str) -> Record:
    event = Record()
    setattr(event, "session-id", "s1")
    event.tool = tool
    event.arguments = "{}"
    return event


def test_handles_returns_event_names(hook: Hook) -> None:
    assert call(hook, "handles") == ["before-tool-call"]


def test_hook_results_always_come_back_tagged(
    hook: Hook,
) -> None:
    cancelled = call(hook, "before-tool-call", tool_call("shell"))
    unchanged = call(hook, "before-tool-call", tool_call("ls"))

    assert isinstance(cancelled, Variant)
    assert cancelled.tag == "cancel"
    assert cancelled.payload.reason == "blocked by fixture"
    assert unchanged == Variant("unchanged")


def test_every_modifying_result_has_the_tagged_shape() -> None:
    handler = expected_exports()["zeroclaw:hooks@1.0.0"][HANDLER]
    results = {name: sig.partition(" -> ")[2] for name, sig in handler.items() if " -> " in sig}

    assert len(results) == 9  # handles + the 8 modifying events
    for name, result in results.items():
        if name == "handles":
            continue
        assert re.fullmatch(
            r"variant\{unchanged, continue\(record\{.*\}\), cancel\(record\{reason: string\}\)\}",
            result,
        ), name


def test_tool_results_are_distinguishable(components: dict[str, Path]) -> None:
    engine = wasmtime.Engine()
    component = Component.from_file(engine, components["tool_echo"])
    store = wasmtime.Store(engine)
    instance = Linker(engine).instantiate(store, component)
    interface = component.get_export_index("zeroclaw:tools/tool@1.0.0")
    tools = instance.get_func(store, component.get_export_index("tools", interface))
    run = instance.get_func(store, component.get_export_index("call", interface))
    assert tools is not None
    assert run is not None

    (spec,) = tools(store)
    output = run(store, "echo", '{"a": 1}')

    assert spec.name == "echo"
    assert json.loads(getattr(spec, "parameters-schema")) == {"type": "object"}
    assert output == '{"a": 1}'
