"""The cached conversion layer agrees with wasmtime-py's own conversions, value for value.

Lowering: what our converters write into a C value, read back by wasmtime-py's public
`convert_from_c`, equals the public lowering of the same payload. Lifting: what wasmtime-py
writes with `convert_to_c`, read by our converters, equals the public result. Every hook
function type of the WIT is covered, with payloads that use every kind of value (unicode
text, absent and present options, nested lists, big integers, floats, tool arguments as
dicts). Then the same calls go through real guests on both paths. Our converters are two:
the extension's (native/fast_calls.c, where it is built) and the Python fast path; every
test of them runs on each (`path`), and their errors are the same, word for word.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from wasmtime import _ffi as ffi
from wasmtime.component import Component, Func, FuncType, Linker, Record, Variant

from zeroclaw.hooks.events import (
    AfterCompaction,
    AfterToolCall,
    CompactionRequest,
    Event,
    GatewayStart,
    HeartbeatTick,
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
)
from zeroclaw.messages import ChatMessage, ToolCall, ToolResult, Usage
from zeroclaw.plugins.wasm import conversion
from zeroclaw.plugins.wasm.conversion import ConversionError, LiftError, codec_for, kebab

HANDLER = "zeroclaw:hooks/handler@1.0.0"

MESSAGES = (
    ChatMessage("system", "Sei gentile. 你好 🦀"),
    ChatMessage("user", ""),
    ChatMessage(
        "assistant",
        "",
        tool_calls=(ToolCall("c1", "file_read", {"path": "a.txt", "n": [1, 2.5, None]}),),
    ),
    ChatMessage("tool", "contents", tool_call_id="c1", name="file_read"),
)
PAYLOADS: dict[Event, Any] = {
    Event.ON_GATEWAY_START: GatewayStart("127.0.0.1", 65535),
    Event.ON_SESSION_START: SessionStart("s1", "terminal", None),
    Event.ON_SESSION_END: SessionEnd("s1", "gateway", "ülrich"),
    Event.ON_LLM_INPUT: LLMInput("s1", "openai", "gpt", MESSAGES),
    Event.ON_LLM_OUTPUT: LLMOutput(
        "s1", "openai", "gpt", None, (ToolCall("c2", "x", {}),), Usage(2**31, 0), 12.5
    ),
    Event.ON_AFTER_TOOL_CALL: AfterToolCall(
        "s1", "shell", {"cmd": "ls"}, ToolResult(False, "", "denied"), 3
    ),
    Event.ON_MESSAGE_SENT: MessageSent("terminal", "user", "bye"),
    Event.ON_HEARTBEAT_TICK: HeartbeatTick(2**64 - 1, 1_700_000_000.25),
    Event.AFTER_COMPACTION: AfterCompaction("s1", "summary", 42),
    Event.BEFORE_MODEL_RESOLVE: ModelResolve("s1", "offline", "hint:fast"),
    Event.BEFORE_PROMPT_BUILD: PromptBuild("s1", "terminal", "u1", "Be brief.", ("a", "b")),
    Event.BEFORE_LLM_CALL: LLMCall("s1", "gpt", MESSAGES),
    Event.BEFORE_TOOL_CALL: ToolCallRequest("s1", "file_write", {"path": "x", "content": "é"}),
    Event.ON_MESSAGE_RECEIVED: InboundMessage("terminal", "s1", "user", "hi"),
    Event.ON_MESSAGE_SENDING: OutboundMessage("terminal", "s1", "user", "hello"),
    Event.BEFORE_COMPACTION: CompactionRequest("s1", 40, 9000),
    Event.TOOL_RESULT_PERSIST: ToolResultPersist("s1", "file_read", "c1", ToolResult(True, "ok")),
}


@pytest.fixture(params=["python", "native"])
def path(request: pytest.FixtureRequest) -> str:
    """Which of our converters a test runs on."""
    if request.param == "native" and conversion.NATIVE is None:
        pytest.skip("the native calls extension is not built here (scripts/install builds it)")
    return str(request.param)


def fast_codec(func_type: FuncType, path: str) -> conversion.FunctionCodec:
    codec = codec_for(func_type, native=path == "native")
    assert codec.fast
    assert (codec.native is not None) is (path == "native")
    return codec


@pytest.fixture(scope="module")
def handler_types(components: dict[str, Path]) -> dict[str, FuncType]:
    """Every function of the hooks handler interface, by name, with its type."""
    engine = wasmtime.Engine()
    component = Component.from_file(engine, components["hook_minimal"])
    interface = component.type.exports(engine)[HANDLER].ty
    return {name: extern.ty for name, extern in interface.exports(engine).items()}


def plain(value: Any) -> Any:
    """A public wasmtime value as plain data (Record and Variant compare loosely)."""
    if isinstance(value, Record):
        return {name: plain(v) for name, v in sorted(vars(value).items())}
    if isinstance(value, Variant):
        return ("variant", value.tag, plain(value.payload))
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def ours(value: Any) -> Any:
    """Our lifted values in the same plain shape (record keys back to WIT names)."""
    if isinstance(value, dict):
        return {kebab(name): ours(v) for name, v in sorted(value.items())}
    if isinstance(value, Variant):
        return ("variant", value.tag, ours(value.payload))
    if isinstance(value, list):
        return [ours(item) for item in value]
    return value


@pytest.mark.parametrize("event", list(PAYLOADS), ids=lambda e: e.value)
def test_lowering_matches_the_public_lowering(
    event: Event, handler_types: dict[str, FuncType], path: str
) -> None:
    func_type = handler_types[kebab(event.value)]
    (_, param_type), *_ = func_type.params

    read_back = lowered_and_read_back(func_type, PAYLOADS[event], path)

    assert plain(read_back) == plain(conversion._to_public(param_type, PAYLOADS[event]))


def test_arguments_larger_than_the_scratch_memory_are_lowered_whole(
    handler_types: dict[str, FuncType], path: str
) -> None:
    """The scratch memory starts at a few KiB and grows to fit (the lowering starts over;
    the extension's arena takes more blocks)."""
    func_type = handler_types["before-llm-call"]
    (_, param_type), *_ = func_type.params
    messages = tuple(ChatMessage("user", f"{index} " + "é" * 700) for index in range(400))
    payload = LLMCall("s1", "gpt", (*MESSAGES, *messages))

    read_back = lowered_and_read_back(func_type, payload, path)

    assert plain(read_back) == plain(conversion._to_public(param_type, payload))
    assert len(read_back.messages) == 404


def test_a_list_changed_while_it_is_lowered_is_lowered_as_it_was(
    handler_types: dict[str, FuncType],
) -> None:
    """The extension lowers a copy of a list's items: Python code that runs during the
    lowering (here: a message's attributes, read) cannot move them under it."""
    if conversion.NATIVE is None:
        pytest.skip("the native calls extension is not built here (scripts/install builds it)")
    messages: list[Any] = []

    class Growing:
        """A message whose every attribute read adds a thousand messages to its list."""

        def __getattr__(self, name: str) -> Any:
            if len(messages) < 20_000:
                messages.extend(Growing() for _ in range(1000))
            return {"role": "user", "content": "x", "tool_calls": (), "tool_call_id": None}.get(
                name
            )

    messages += [Growing(), Growing()]
    payload = LLMCall("s1", "gpt", messages)  # type: ignore[arg-type]

    read_back = lowered_and_read_back(handler_types["before-llm-call"], payload, "native")

    assert len(read_back.messages) == 2
    assert len(messages) > 1000  # it did grow meanwhile


def test_a_scratch_grown_past_a_mebibyte_is_not_kept(handler_types: dict[str, FuncType]) -> None:
    codec = fast_codec(handler_types["before-llm-call"], "python")
    big = LLMCall("s1", "gpt", (ChatMessage("user", "x" * 3_000_000),))

    def size() -> int:
        scratch = conversion._THREAD_SCRATCH.scratch
        assert scratch is not None
        return len(scratch.buf)

    codec.lower_args([big])
    grown = size()
    codec.lower_args([PAYLOADS[Event.BEFORE_LLM_CALL]])

    assert grown >= 3_000_000
    assert size() <= 1 << 20


def lowered_and_read_back(func_type: FuncType, payload: Any, path: str) -> Any:
    """What wasmtime reads of our lowering of `payload`: a C copy made from it by wasmtime
    itself, as a public value."""
    codec = fast_codec(func_type, path)
    (_, param_type), *_ = func_type.params
    # The thread's scratch memory (Python), or the extension's arena, as a call lowers
    address = codec.lower_args([payload])
    copy = ffi.wasmtime_component_val_t()
    ffi.wasmtime_component_val_clone(
        ctypes.cast(address, ctypes.POINTER(ffi.wasmtime_component_val_t)),
        ctypes.pointer(copy),
    )
    return param_type.convert_from_c(copy)


RESULTS = [
    Variant("unchanged"),
    Variant("cancel", {"reason": "nope ✋"}),
]


@pytest.mark.parametrize(
    "event",
    [e for e in PAYLOADS if e.kind.value == "modifying"],
    ids=lambda e: e.value,
)
def test_lifting_matches_the_public_lifting(
    event: Event, handler_types: dict[str, FuncType], path: str
) -> None:
    func_type = handler_types[kebab(event.value)]
    result_type = func_type.result
    assert result_type is not None
    codec = fast_codec(func_type, path)
    store = wasmtime.Store(wasmtime.Engine())
    for value in [*RESULTS, Variant("continue", PAYLOADS[event])]:
        public = conversion._to_public(result_type, value)
        slot = ffi.wasmtime_component_val_t()
        result_type.convert_to_c(store, public, ctypes.pointer(slot))

        lifted = codec.lift_at(ctypes.addressof(slot))

        assert ours(lifted) == plain(public)


def test_handles_lifts_to_event_names(handler_types: dict[str, FuncType], path: str) -> None:
    codec = fast_codec(handler_types["handles"], path)
    enum_list = handler_types["handles"].result
    assert enum_list is not None
    slot = ffi.wasmtime_component_val_t()
    enum_list.convert_to_c(
        wasmtime.Store(wasmtime.Engine()),
        ["before-tool-call", "on-llm-input"],
        ctypes.pointer(slot),
    )

    assert codec.lift_at(ctypes.addressof(slot)) == ["before-tool-call", "on-llm-input"]


def test_codecs_are_built_once_per_function_type(handler_types: dict[str, FuncType]) -> None:
    first = codec_for(handler_types["before-tool-call"])
    second = codec_for(handler_types["before-tool-call"])

    assert first is second
    assert first.fast


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (HeartbeatTick(-1, 0.0), "u64"),
        (GatewayStart("host", 70_000), "u16"),
        (SessionStart("s1", 5, None), "expected a str"),  # type: ignore[arg-type]
    ],
)
def test_values_that_do_not_fit_are_refused_before_the_guest_runs(
    payload: Any, message: str, handler_types: dict[str, FuncType], path: str
) -> None:
    name = {HeartbeatTick: "on-heartbeat-tick", GatewayStart: "on-gateway-start"}.get(
        type(payload), "on-session-start"
    )
    codec = fast_codec(handler_types[name], path)

    with pytest.raises(ConversionError, match=message):
        codec.lower_args([payload])


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("on-session-start", [SessionStart("s1", 5, None)]),  # type: ignore[arg-type]
        ("on-session-start", [SessionStart("s1", "terminal", b"u1")]),  # type: ignore[arg-type]
        ("on-gateway-start", [GatewayStart("host", 70_000)]),
        ("on-gateway-start", [GatewayStart("host", -1)]),
        ("on-heartbeat-tick", [HeartbeatTick(2**64, 0.0)]),
        ("on-heartbeat-tick", [HeartbeatTick(1, "soon")]),  # type: ignore[arg-type]
        ("on-llm-output", [LLMOutput("s1", "p", "m", None, (), Usage(1, True), 1.0)]),
        ("on-llm-output", [LLMOutput("s1", "p", "m", None, "calls", Usage(1, 2), 1.0)]),  # type: ignore[arg-type]
        ("before-llm-call", [LLMCall("s1", "m", ("not a message",))]),  # type: ignore[arg-type]
        ("before-llm-call", [LLMCall("s1", "m", (ChatMessage("user", "hi", tool_calls=5),))]),  # type: ignore[arg-type]
        ("before-tool-call", [ToolCallRequest("s1", "x", ["not", "a", "mapping"])]),  # type: ignore[arg-type]
        ("before-tool-call", [{"session_id": "s1", "tool": "x"}]),  # a key missing
        ("before-tool-call", [object()]),  # no attributes
        ("before-tool-call", []),
        ("before-tool-call", [PAYLOADS[Event.BEFORE_TOOL_CALL]] * 2),
    ],
)
def test_both_converters_refuse_a_value_with_the_same_words(
    name: str, args: list[Any], handler_types: dict[str, FuncType]
) -> None:
    if conversion.NATIVE is None:
        pytest.skip("the native calls extension is not built here (scripts/install builds it)")
    refused = []
    for path in ("python", "native"):
        with pytest.raises((ConversionError, KeyError, AttributeError)) as raised:
            fast_codec(handler_types[name], path).lower_args(args)
        refused.append((type(raised.value), str(raised.value)))

    assert refused[0] == refused[1]


def test_both_converters_refuse_a_result_of_another_type_alike(
    handler_types: dict[str, FuncType],
) -> None:
    if conversion.NATIVE is None:
        pytest.skip("the native calls extension is not built here (scripts/install builds it)")
    enum_list = handler_types["handles"].result
    assert enum_list is not None
    slot = ffi.wasmtime_component_val_t()
    store = wasmtime.Store(wasmtime.Engine())
    enum_list.convert_to_c(store, ["on-llm-input"], ctypes.pointer(slot))
    refused = []
    for path in ("python", "native"):
        with pytest.raises(LiftError) as raised:
            fast_codec(handler_types["before-tool-call"], path).lift_at(ctypes.addressof(slot))
        refused.append(str(raised.value))

    assert refused[0] == refused[1]
    assert refused[0].startswith("expected a variant value from the guest, got kind")


# -- through real guests, on every path --------------------------------------------------------


def guest_func(
    components: dict[str, Path], fixture: str, event: Event, engine: wasmtime.Engine | None = None
) -> tuple[Func, wasmtime.Store]:
    engine = engine or wasmtime.Engine()
    component = Component.from_file(engine, components[fixture])
    store = wasmtime.Store(engine)
    instance = Linker(engine).instantiate(store, component)
    interface = component.get_export_index(HANDLER)
    func = instance.get_func(store, component.get_export_index(kebab(event.value), interface))
    assert func is not None
    return func, store


def call_guest(components: dict[str, Path], fixture: str, event: Event, path: str) -> Any:
    func, store = guest_func(components, fixture, event)
    if path == "public":
        codec = codec_for(func.type(store), fast=False)
        assert not codec.fast
    else:
        codec = fast_codec(func.type(store), path)
    return codec.call(func, store, [PAYLOADS[event]])


@pytest.mark.parametrize(
    ("fixture", "event"),
    [
        ("hook_pirate", Event.BEFORE_PROMPT_BUILD),
        ("hook_guard", Event.BEFORE_TOOL_CALL),
        ("hook_redact", Event.TOOL_RESULT_PERSIST),
        ("hook_minimal", Event.BEFORE_TOOL_CALL),
    ],
)
def test_guest_calls_give_the_same_result_on_every_path(
    components: dict[str, Path], fixture: str, event: Event, path: str
) -> None:
    fast = call_guest(components, fixture, event, path)
    public = call_guest(components, fixture, event, "public")

    assert fast == public
    assert isinstance(fast, Variant)


def test_a_guest_result_reads_back_every_field(components: dict[str, Path], path: str) -> None:
    result = call_guest(components, "hook_redact", Event.TOOL_RESULT_PERSIST, path)

    assert result == Variant(
        "continue",
        {
            "session_id": "s1",
            "tool": "renamed",
            "call_id": "c1",
            "result": {"success": True, "output": "[redacted]", "error": None},
        },
    )


def test_a_call_keeps_no_reference_to_what_it_lowered(
    components: dict[str, Path], path: str
) -> None:
    """The extension holds the Python objects it points wasmtime into for the call only."""
    func, store = guest_func(components, "hook_guard", Event.BEFORE_TOOL_CALL)
    codec = fast_codec(func.type(store), path)
    payload = ToolCallRequest("s1", "file_write", {"path": "x", "content": "é" * 10})
    parts = [payload, payload.session_id, payload.tool, payload.arguments]
    before = [sys.getrefcount(part) for part in parts]

    for _ in range(1000):
        codec.call(func, store, [payload])

    assert [sys.getrefcount(part) for part in parts] == before


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc (Linux)")
def test_the_fast_path_frees_what_it_lifts(components: dict[str, Path], path: str) -> None:
    """wasmtime-py's public lift leaks the box behind each variant and option payload
    (~190 bytes per call of these two functions, measured); the fast paths free them."""
    engine = wasmtime.Engine()
    calls = []
    for fixture, event in (
        ("hook_pirate", Event.BEFORE_PROMPT_BUILD),
        ("hook_redact", Event.TOOL_RESULT_PERSIST),
    ):
        func, store = guest_func(components, fixture, event, engine)
        calls.append((fast_codec(func.type(store), path), func, store, [PAYLOADS[event]]))

    def run(times: int) -> None:
        for _ in range(times):
            for codec, func, store, args in calls:
                codec.call(func, store, args)

    run(5000)  # warm up the allocators
    before = resident_bytes()
    run(30_000)

    assert resident_bytes() - before < 2_000_000  # a 190-byte leak per pair would be 5.7 MB


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096
