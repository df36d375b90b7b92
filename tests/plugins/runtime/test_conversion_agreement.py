"""The two converters agree on values hypothesis makes up, for every hook function type.

The native extension (native/fast_calls.c) and the Python fast path lower the same Python
values into the same C values (read back by wasmtime itself), refuse the same values with
the same error, word for word, and lift the same C values (written by wasmtime-py's public
lowering) into equal Python values. Values are drawn from each WIT type: mostly fitting
(unicode text, integers at and past their range, floats with infinities, absent and
present options, every case of a variant), sometimes a value of another type anywhere in
the tree.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_conversion import HANDLER, ours, plain
from wasmtime import _ffi as ffi
from wasmtime.component import (
    Component,
    EnumType,
    FuncType,
    ListType,
    OptionType,
    RecordType,
    ResultType,
    ValType,
    Variant,
    VariantType,
)
from wasmtime.component import _types as public_types

from zeroclaw.plugins.wasm import conversion
from zeroclaw.plugins.wasm.conversion import (
    JSON_TEXT_FIELDS,
    ConversionError,
    codec_for,
    snake,
)

pytestmark = pytest.mark.skipif(
    conversion.NATIVE is None,
    reason="the native calls extension is not built here (scripts/install builds it)",
)

EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# What either converter may raise for a value that does not fit.
REFUSALS = (ConversionError, KeyError, AttributeError, OverflowError, UnicodeError)
MISFITS = st.sampled_from([None, 1.5, 7, "text", b"bytes", [], {}, (), True])


def fitting(
    ty: ValType, field: str | None = None, *, strict: bool = False
) -> st.SearchStrategy[Any]:
    """Values of `ty` as the host sends them (integers one past either end included, tool
    arguments as a dict, an enum's name misspelt); `strict`: only values wasmtime-py's
    public lowering takes (for the lifting side)."""
    if isinstance(ty, public_types.String):
        text = st.text(max_size=12)
        if field in JSON_TEXT_FIELDS and not strict:
            keys = st.text(max_size=4)
            leaves = st.integers() | st.text(max_size=4) | st.none()
            return text | st.dictionaries(keys, leaves, max_size=3)
        return text
    scalar = conversion._scalar(ty)
    if scalar is not None:
        kind = scalar[0]
        if kind == "BOOL":
            return st.booleans()
        if kind in conversion._INT_RANGES:
            low, high = conversion._INT_RANGES[kind]
            return st.integers(low, high) if strict else st.integers(low - 1, high + 1)
        narrow = st.floats(allow_nan=False, width=32 if kind == "F32" else 64)
        return narrow if strict else narrow | st.floats(allow_nan=False)
    if isinstance(ty, RecordType):
        fields = {snake(name): values(t, name, strict=strict) for name, t in ty.fields}
        return st.fixed_dictionaries(fields)
    if isinstance(ty, ListType):
        return st.lists(values(ty.element, strict=strict), max_size=3)
    if isinstance(ty, OptionType):
        return st.none() | values(ty.payload, strict=strict)
    if isinstance(ty, VariantType | ResultType):
        cases = list(ty.cases) if isinstance(ty, VariantType) else [("ok", ty.ok), ("err", ty.err)]
        return st.one_of(*(_case(name, payload, strict) for name, payload in cases))
    if isinstance(ty, EnumType):
        names = st.sampled_from(list(ty.names))
        return names if strict else names | st.text(max_size=6)
    raise AssertionError(f"no strategy for {ty!r}")


def _case(name: str, payload: ValType | None, strict: bool) -> st.SearchStrategy[Variant]:
    if payload is None:
        return st.just(Variant(name))
    return values(payload, strict=strict).map(lambda value: Variant(name, value))


def values(
    ty: ValType, field: str | None = None, *, strict: bool = False
) -> st.SearchStrategy[Any]:
    """Mostly fitting values, one in twenty-five of another type (`strict`: fitting only)."""
    if strict:
        return fitting(ty, field, strict=True)
    return st.integers(0, 24).flatmap(lambda k: MISFITS if k == 0 else fitting(ty, field))


@pytest.fixture(scope="module")
def function_types(components: dict[str, Path]) -> dict[str, FuncType]:
    """The hook handler's functions by name; the tool's and provider's as `tool:NAME` and
    `provider:NAME`."""
    engine = wasmtime.Engine()
    found = {}
    for fixture, prefix in (
        ("hook_minimal", ""),
        ("tool_echo", "tool:"),
        ("provider_info", "provider:"),
    ):
        component = Component.from_file(engine, components[fixture])
        for interface in component.type.exports(engine).values():
            for name, extern in interface.ty.exports(engine).items():
                if isinstance(extern.ty, FuncType):
                    found[prefix + name] = extern.ty
    assert HANDLER in Component.from_file(engine, components["hook_minimal"]).type.exports(engine)
    return found


def lowered(func_type: FuncType, args: list[Any], *, native: bool) -> tuple[Any, ...]:
    """What one converter makes of `args`: the values wasmtime reads back, or its refusal."""
    codec = codec_for(func_type, native=native)
    assert (codec.native is not None) is native
    try:
        address = codec.lower_args(args)
    except REFUSALS as error:
        return ("refused", type(error), str(error))
    read_back = []
    for index, (_, param_type) in enumerate(func_type.params):
        copy = ffi.wasmtime_component_val_t()
        slot = address + index * ctypes.sizeof(ffi.wasmtime_component_val_t)
        ffi.wasmtime_component_val_clone(
            ctypes.cast(slot, ctypes.POINTER(ffi.wasmtime_component_val_t)),
            ctypes.pointer(copy),
        )
        read_back.append(plain(param_type.convert_from_c(copy)))
    return ("lowered", read_back)


@pytest.mark.parametrize(
    "name",
    [
        "before-tool-call",
        "before-llm-call",
        "on-llm-output",
        "on-after-tool-call",
        "tool-result-persist",
        "on-heartbeat-tick",
        "on-gateway-start",
        "on-session-start",
        "before-prompt-build",
        "tool:call",
        "provider:chat",
    ],
)
@EXAMPLES
@given(data=st.data())
def test_both_converters_lower_or_refuse_alike(
    name: str, function_types: dict[str, FuncType], data: st.DataObject
) -> None:
    func_type = function_types[name]
    args = [data.draw(values(ty), label=param) for param, ty in func_type.params]

    native = lowered(func_type, args, native=True)

    assert native == lowered(func_type, args, native=False)


@pytest.mark.parametrize(
    "name",
    [
        "before-tool-call",
        "before-llm-call",
        "tool-result-persist",
        "handles",
        "tool:tools",
        "tool:call",
        "provider:info",
        "provider:chat",
    ],
)
@EXAMPLES
@given(data=st.data())
def test_both_converters_lift_alike(
    name: str, function_types: dict[str, FuncType], data: st.DataObject
) -> None:
    result_type = function_types[name].result
    assert result_type is not None
    value = data.draw(values(result_type, strict=True), label="result")
    slot = ffi.wasmtime_component_val_t()
    result_type.convert_to_c(
        wasmtime.Store(wasmtime.Engine()),
        conversion._to_public(result_type, value),
        ctypes.pointer(slot),
    )
    try:
        lifted = [
            codec_for(function_types[name], native=native).lift_at(ctypes.addressof(slot))
            for native in (True, False)
        ]
    finally:
        ffi.wasmtime_component_val_delete(ctypes.pointer(slot))

    assert ours(lifted[0]) == ours(lifted[1])
