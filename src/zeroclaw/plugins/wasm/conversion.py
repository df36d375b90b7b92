"""Python values <-> component values, through converters built once per function type.

Why this exists: wasmtime-py's `Func.__call__` re-reads the function's type and every
record, variant and list type on every call (`FuncType.params`, `RecordType.fields`,
`VariantType.cases`: each crosses the C API and allocates Python objects), about 90 us for
one record in and one variant out. `codec_for(func_type)` walks a function type once into a
tree of small closures that know their field names, kinds and element converters, and
write straight into wasmtime's C value structs. Codecs are cached by the type's rendering
(`abi.describe_func`), so every plugin built against the same WIT shares them.

Below the public API: the fast path uses wasmtime-py's private `_ffi` module (the C value
structs) and the C call `wasmtime_component_func_call`. Arguments are written into memory
Python owns, in structs laid out like the C ones (checked at import), strings as `bytes`
pointed at in place: lowering calls no C function and leaves nothing to free (the call
only reads its arguments). The result, which wasmtime allocates, is read in place and freed
whole by one `wasmtime_component_val_delete` (the boxes behind variant, option and result
payloads included, which the public lift leaks). Each C call costs about a microsecond on
the project's machine, more than the Python around it: the first version of this layer
made one per string, field name and box (~15 per hook call), this one makes two.
`FAST_PATH` is False when this wasmtime-py lacks any piece the fast path needs or lays its
structs out otherwise; every call then goes through the public `Func.__call__` with the
same Python values and gets the same results (slower). tests/plugins/test_conversion.py
runs both paths on every hook function and compares.

The Python side of each WIT type:

    record    in:  an object with snake_case attributes (a hook payload dataclass), or a
                   dict with snake_case keys;            out: a dict with snake_case keys
    variant   in/out: `Variant(tag, payload)`; `result` is a variant with tags ok and err
    option    None or the value                          list: list (in: list or tuple)
    enum      the case name as a str                     string, bool, numbers: themselves
    a string field named `arguments` also takes a dict, written as JSON text (tool
    arguments are JSON objects in WIT, dicts in the host)
"""

from __future__ import annotations

import ctypes
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import wasmtime
from wasmtime.component import (
    EnumType,
    Func,
    FuncType,
    ListType,
    OptionType,
    Record,
    RecordType,
    ResultType,
    ValType,
    Variant,
    VariantType,
)
from wasmtime.component import _types as public_types

from zeroclaw.plugins.contract.abi import describe_func

__all__ = [
    "FAST_PATH",
    "MAX_LIST_ITEMS",
    "ConversionError",
    "FunctionCodec",
    "LiftError",
    "Variant",
    "codec_for",
    "kebab",
    "snake",
]

JSON_TEXT_FIELDS = frozenset({"arguments"})
# The longest list the host converts from a guest. A one-byte enum costs the host ~170
# bytes and ~1 us as a Python value: without a cap, a 64 MiB guest could make the host
# spend seconds and hundreds of MiB per call (wasmtime stops copying at ~2M items).
MAX_LIST_ITEMS = 100_000
# One encoder, made once: `json.dumps` with options builds a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False)


class ConversionError(TypeError):
    """A Python value does not fit the WIT type it is sent as: a bug on the host's side."""


class LiftError(ConversionError):
    """A guest returned a value the host cannot use: the plugin broke its contract."""


def snake(name: str) -> str:
    return name.replace("-", "_")


def kebab(name: str) -> str:
    return name.replace("_", "-")


# -- the private pieces the fast path uses, found once ----------------------------------------

# Arguments are lowered into memory Python owns, in structs laid out like wasmtime's C value
# structs (checked below) whose strings are `char *`: a `bytes` object is written in place
# (ctypes keeps it alive with the array), so lowering calls no C function and leaves nothing
# to free. `wasmtime_component_func_call` only reads its arguments (it copies them into
# Rust values; wasmtime-py's own `Func.__call__` frees what it lowered after the call).


class _Text(ctypes.Structure):
    """`wasm_byte_vec_t` (and `wasm_name_t`) as Python writes it: data is a `char *`."""

    _fields_ = [("size", ctypes.c_size_t), ("data", ctypes.c_char_p)]


class _InVal(ctypes.Structure):
    """`wasmtime_component_val_t`, written by Python."""


class _InEntry(ctypes.Structure):
    """`wasmtime_component_valrecord_entry_t`, written by Python."""


class _InList(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("data", ctypes.POINTER(_InVal))]


class _InRecord(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("data", ctypes.POINTER(_InEntry))]


class _InVariant(ctypes.Structure):
    _fields_ = [("discriminant", _Text), ("val", ctypes.POINTER(_InVal))]


class _InResult(ctypes.Structure):
    _fields_ = [("is_ok", ctypes.c_bool), ("val", ctypes.POINTER(_InVal))]


try:
    from wasmtime import _ffi as ffi
    from wasmtime.component._enter import maybe_raise_last_exn

    _VAL = ffi.wasmtime_component_val_t

    class _InUnion(ctypes.Union):
        _fields_ = [
            ("boolean", ctypes.c_bool),
            ("s8", ctypes.c_int8),
            ("u8", ctypes.c_uint8),
            ("s16", ctypes.c_int16),
            ("u16", ctypes.c_uint16),
            ("s32", ctypes.c_int32),
            ("u32", ctypes.c_uint32),
            ("s64", ctypes.c_int64),
            ("u64", ctypes.c_uint64),
            ("f32", ctypes.c_float),
            ("f64", ctypes.c_double),
            ("string", _Text),
            ("list", _InList),
            ("record", _InRecord),
            ("variant", _InVariant),
            ("enumeration", _Text),
            ("option", ctypes.POINTER(_InVal)),
            ("result", _InResult),
            ("whole", ctypes.c_ubyte * ctypes.sizeof(ffi.wasmtime_component_valunion_t)),
        ]

    _InVal._fields_ = [("kind", ctypes.c_uint8), ("of", _InUnion)]
    _InEntry._fields_ = [("name", _Text), ("val", _InVal)]

    # The result's storage is wasmtime's (it allocates what it returns): read in place, then
    # freed whole by one `wasmtime_component_val_delete`.
    _val_delete = ffi.wasmtime_component_val_delete
    # Our own function object, with `void *` arguments: it is handed our structs.
    _func_call = ffi.dll["wasmtime_component_func_call"]
    _func_call.restype = ctypes.POINTER(ffi.wasmtime_error_t)
    _func_call.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_void_p,
        ctypes.c_size_t,
    ]
    _error_from_ptr = wasmtime.WasmtimeError._from_ptr
    _K = {
        name: int(getattr(ffi, f"WASMTIME_COMPONENT_{name}").value)
        for name in (
            *("BOOL", "S8", "U8", "S16", "U16", "S32", "U32", "S64", "U64", "F32", "F64"),
            *("STRING", "LIST", "RECORD", "VARIANT", "ENUM", "OPTION", "RESULT"),
        )
    }

    def _same_layout() -> bool:
        pairs = (
            (_InVal, _VAL, ("kind", "of")),
            (_InEntry, ffi.wasmtime_component_valrecord_entry_t, ("name", "val")),
            (_Text, ffi.wasm_byte_vec_t, ("size", "data")),
            (_InList, ffi.wasmtime_component_vallist_t, ("size", "data")),
            (_InRecord, ffi.wasmtime_component_valrecord_t, ("size", "data")),
            (_InVariant, ffi.wasmtime_component_valvariant_t, ("discriminant", "val")),
            (_InResult, ffi.wasmtime_component_valresult_t, ("is_ok", "val")),
        )
        return ctypes.sizeof(_InUnion) == ctypes.sizeof(ffi.wasmtime_component_valunion_t) and all(
            ctypes.sizeof(ours) == ctypes.sizeof(theirs)
            and all(getattr(ours, f).offset == getattr(theirs, f).offset for f in fields)
            for ours, theirs, fields in pairs
        )

    FAST_PATH = _same_layout()
except (ImportError, AttributeError, KeyError):  # pragma: no cover - another wasmtime-py
    FAST_PATH = False

Lower = Callable[[Any, Any], None]  # (python value, _InVal slot) -> None
Lift = Callable[[Any], Any]  # wasmtime's C value (read, not freed) -> python value

_INT_RANGES = {
    "S8": (-(2**7), 2**7 - 1),
    "U8": (0, 2**8 - 1),
    "S16": (-(2**15), 2**15 - 1),
    "U16": (0, 2**16 - 1),
    "S32": (-(2**31), 2**31 - 1),
    "U32": (0, 2**32 - 1),
    "S64": (-(2**63), 2**63 - 1),
    "U64": (0, 2**64 - 1),
}
_INT_TYPES = {
    public_types.S8: "S8",
    public_types.U8: "U8",
    public_types.S16: "S16",
    public_types.U16: "U16",
    public_types.S32: "S32",
    public_types.U32: "U32",
    public_types.S64: "S64",
    public_types.U64: "U64",
}


# -- building converters ----------------------------------------------------------------------


def _write_text(text: Any, data: bytes) -> None:
    text.size = len(data)
    text.data = data


def _read_text(vec: Any) -> str:
    size = vec.size
    return ctypes.string_at(vec.data, size).decode("utf-8") if size else ""


def _check_kind(slot: Any, kind: int, what: str) -> None:
    if slot.kind != kind:
        raise LiftError(f"expected a {what} value from the guest, got kind {slot.kind}")


def _codec(ty: ValType, field: str | None = None) -> tuple[Lower, Lift]:
    """The lowering and lifting closures of one value type (`field`: the record field it is
    the type of, for the JSON-text rule)."""
    if isinstance(ty, public_types.String):
        return _string_codec(json_text=field in JSON_TEXT_FIELDS)
    if isinstance(ty, public_types.Bool):
        return _bool_codec()
    int_name = _INT_TYPES.get(type(ty))
    if int_name is not None:
        return _int_codec(int_name)
    if isinstance(ty, public_types.F32 | public_types.F64):
        return _float_codec("F32" if isinstance(ty, public_types.F32) else "F64")
    if isinstance(ty, RecordType):
        return _record_codec(ty)
    if isinstance(ty, ListType):
        return _list_codec(ty)
    if isinstance(ty, OptionType):
        return _option_codec(ty)
    if isinstance(ty, VariantType):
        return _variant_codec([(name, t) for name, t in ty.cases], "VARIANT")
    if isinstance(ty, ResultType):
        return _variant_codec([("ok", ty.ok), ("err", ty.err)], "RESULT")
    if isinstance(ty, EnumType):
        return _enum_codec(ty.names)
    raise ConversionError(f"no fast converter for {type(ty).__name__}")


def _string_codec(*, json_text: bool) -> tuple[Lower, Lift]:
    kind = _K["STRING"]

    def lower(value: Any, slot: Any) -> None:
        if type(value) is not str:
            if json_text and isinstance(value, Mapping):
                value = _JSON.encode(value)
            else:
                raise ConversionError(f"expected a str, got {type(value).__name__}")
        data = value.encode("utf-8")
        text = slot.of.string
        text.size = len(data)
        text.data = data
        slot.kind = kind

    def lift(slot: Any) -> str:
        _check_kind(slot, kind, "string")
        return _read_text(slot.of.string)

    return lower, lift


def _bool_codec() -> tuple[Lower, Lift]:
    kind = _K["BOOL"]

    def lower(value: Any, slot: Any) -> None:
        if type(value) is not bool:
            raise ConversionError(f"expected a bool, got {type(value).__name__}")
        slot.kind = kind
        slot.of.boolean = value

    def lift(slot: Any) -> bool:
        _check_kind(slot, kind, "bool")
        return bool(slot.of.boolean)

    return lower, lift


def _int_codec(name: str) -> tuple[Lower, Lift]:
    kind = _K[name]
    low, high = _INT_RANGES[name]
    attr = name.lower()

    def lower(value: Any, slot: Any) -> None:
        if type(value) is not int or not low <= value <= high:
            raise ConversionError(f"expected an int in [{low}, {high}] ({attr}), got {value!r}")
        slot.kind = kind
        setattr(slot.of, attr, value)

    def lift(slot: Any) -> int:
        _check_kind(slot, kind, attr)
        return int(getattr(slot.of, attr))

    return lower, lift


def _float_codec(name: str) -> tuple[Lower, Lift]:
    kind = _K[name]
    attr = name.lower()

    def lower(value: Any, slot: Any) -> None:
        if type(value) is not float and type(value) is not int:
            raise ConversionError(f"expected a float, got {type(value).__name__}")
        slot.kind = kind
        setattr(slot.of, attr, float(value))

    def lift(slot: Any) -> float:
        _check_kind(slot, kind, attr)
        return float(getattr(slot.of, attr))

    return lower, lift


def _record_codec(ty: RecordType) -> tuple[Lower, Lift]:
    kind = _K["RECORD"]
    fields = []
    for name, field_type in ty.fields:
        lower_field, lift_field = _codec(field_type, name)
        fields.append((snake(name), name.encode("utf-8"), lower_field, lift_field))
    count = len(fields)
    entries_type = _InEntry * count
    # Every record starts as a copy of this one: its field names written once (the bytes
    # stay alive with `named`, which this closure keeps).
    named = entries_type()
    for index, (_, data, _, _) in enumerate(fields):
        _write_text(named[index].name, data)
    template = bytes(named)
    lowers = [(index, attr, lower_field) for index, (attr, _, lower_field, _) in enumerate(fields)]

    def lower(value: Any, slot: Any) -> None:
        get = value.__getitem__ if type(value) is dict else partial(getattr, value)
        entries = entries_type.from_buffer_copy(template)
        for index, attr, lower_field in lowers:
            lower_field(get(attr), entries[index].val)
        record = slot.of.record
        record.size = count
        record.data = entries
        slot.kind = kind
        _ = named  # kept alive: the entries point at its name bytes

    def lift(slot: Any) -> dict[str, Any]:
        _check_kind(slot, kind, "record")
        record = slot.of.record
        if record.size != count:
            raise LiftError(f"expected a record of {count} fields, got {record.size}")
        entries = record.data
        return {
            attr: lift_field(entries[index].val)
            for index, (attr, _, _, lift_field) in enumerate(fields)
        }

    return lower, lift


def _list_codec(ty: ListType) -> tuple[Lower, Lift]:
    kind = _K["LIST"]
    lower_item, lift_item = _codec(ty.element)

    def lower(value: Any, slot: Any) -> None:
        if not isinstance(value, list | tuple):
            raise ConversionError(f"expected a list or tuple, got {type(value).__name__}")
        items = (_InVal * len(value))()
        for index, item in enumerate(value):
            lower_item(item, items[index])
        raw = slot.of.list
        raw.size = len(value)
        raw.data = items
        slot.kind = kind

    def lift(slot: Any) -> list[Any]:
        _check_kind(slot, kind, "list")
        raw = slot.of.list
        if raw.size > MAX_LIST_ITEMS:
            raise LiftError(
                f"the guest returned a list of {raw.size} items; the host takes at most "
                f"{MAX_LIST_ITEMS}"
            )
        items = raw.data
        return [lift_item(items[index]) for index in range(raw.size)]

    return lower, lift


def _boxed(lower_payload: Lower, value: Any) -> Any:
    """A pointer to a value holding `value` (option, variant and result payloads)."""
    box = _InVal()
    lower_payload(value, box)
    return ctypes.pointer(box)


def _option_codec(ty: OptionType) -> tuple[Lower, Lift]:
    kind = _K["OPTION"]
    lower_payload, lift_payload = _codec(ty.payload)

    def lower(value: Any, slot: Any) -> None:
        slot.of.option = None if value is None else _boxed(lower_payload, value)
        slot.kind = kind

    def lift(slot: Any) -> Any:
        _check_kind(slot, kind, "option")
        box = slot.of.option
        return lift_payload(box.contents) if box else None

    return lower, lift


def _variant_codec(cases: list[tuple[str, ValType | None]], which: str) -> tuple[Lower, Lift]:
    kind = _K[which]
    codecs: dict[str, tuple[Lower, Lift] | None] = {
        name: None if payload is None else _codec(payload) for name, payload in cases
    }
    encoded = {name: name.encode("utf-8") for name in codecs}

    def lower(value: Any, slot: Any) -> None:
        if not isinstance(value, Variant) or value.tag not in codecs:
            raise ConversionError(f"expected Variant with a tag in {sorted(codecs)}, got {value!r}")
        codec = codecs[value.tag]
        box = None if codec is None else _boxed(codec[0], value.payload)
        if which == "RESULT":
            slot.of.result.is_ok = value.tag == "ok"
            slot.of.result.val = box
        else:
            _write_text(slot.of.variant.discriminant, encoded[value.tag])
            slot.of.variant.val = box
        slot.kind = kind

    def lift(slot: Any) -> Variant:
        _check_kind(slot, kind, which.lower())
        if which == "RESULT":
            result = slot.of.result
            tag = "ok" if result.is_ok else "err"
            box = result.val
        else:
            variant = slot.of.variant
            tag = _read_text(variant.discriminant)
            box = variant.val
        if tag not in codecs:
            raise LiftError(f"the guest returned an unknown case {tag!r}")
        codec = codecs[tag]
        if codec is None or not box:
            return Variant(tag)
        return Variant(tag, codec[1](box.contents))

    return lower, lift


def _enum_codec(names: list[str]) -> tuple[Lower, Lift]:
    kind = _K["ENUM"]
    known = {name: name.encode("utf-8") for name in names}

    def lower(value: Any, slot: Any) -> None:
        if value not in known:
            raise ConversionError(f"expected one of {sorted(known)}, got {value!r}")
        _write_text(slot.of.enumeration, known[value])
        slot.kind = kind

    def lift(slot: Any) -> str:
        _check_kind(slot, kind, "enum")
        return _read_text(slot.of.enumeration)

    return lower, lift


# -- the public path: the same Python values through Func.__call__ ------------------------------


def _to_public(ty: ValType, value: Any, field: str | None = None) -> Any:
    if isinstance(ty, RecordType):
        record = Record()
        get = value.__getitem__ if type(value) is dict else partial(getattr, value)
        for name, field_type in ty.fields:
            setattr(record, name, _to_public(field_type, get(snake(name)), name))
        return record
    if isinstance(ty, ListType):
        return [_to_public(ty.element, item) for item in value]
    if isinstance(ty, OptionType):
        return None if value is None else _to_public(ty.payload, value)
    if isinstance(ty, VariantType | ResultType):
        cases = dict(ty.cases) if isinstance(ty, VariantType) else {"ok": ty.ok, "err": ty.err}
        payload_type = cases[value.tag]
        payload = None if payload_type is None else _to_public(payload_type, value.payload)
        if isinstance(ty, ResultType) or ty._tagged():
            return Variant(value.tag, payload)
        return payload
    if (
        isinstance(ty, public_types.String)
        and field in JSON_TEXT_FIELDS
        and isinstance(value, Mapping)
    ):
        return _JSON.encode(value)
    if isinstance(ty, public_types.F32 | public_types.F64) and type(value) is int:
        return float(value)
    return value


def _from_public(ty: ValType, value: Any) -> Any:
    if isinstance(ty, RecordType):
        return {snake(name): _from_public(t, getattr(value, name)) for name, t in ty.fields}
    if isinstance(ty, ListType):
        return [_from_public(ty.element, item) for item in value]
    if isinstance(ty, OptionType):
        return None if value is None else _from_public(ty.payload, value)
    if isinstance(ty, VariantType | ResultType):
        cases = dict(ty.cases) if isinstance(ty, VariantType) else {"ok": ty.ok, "err": ty.err}
        if isinstance(value, Variant):
            tag, payload = value.tag, value.payload
        else:  # untagged: wasmtime-py returned the payload alone; find its case by type
            tag, payload = _case_of(cases, value), value
        payload_type = cases[tag]
        return Variant(tag, None if payload_type is None else _from_public(payload_type, payload))
    return value


def _case_of(cases: Mapping[str, ValType | None], value: Any) -> str:
    for name, payload_type in cases.items():
        classes: set[type] = set()
        if payload_type is None:
            if value is None:
                return name
            continue
        payload_type.add_classes(classes)
        if isinstance(value, tuple(classes)):
            return name
    raise LiftError(f"cannot tell which case {value!r} is")


# -- codecs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionCodec:
    """How to call one function type: its parameters' and result's converters.

    `call` takes the Python values of the parameters and returns the Python value of the
    result (None for a function without one).
    """

    signature: str
    params: tuple[tuple[str, ValType], ...]
    result: ValType | None
    lowers: tuple[Lower, ...] | None  # None: the public path
    lift: Lift | None

    @property
    def fast(self) -> bool:
        return self.lowers is not None

    def call(self, func: Func, store: wasmtime.Store, args: Sequence[Any]) -> Any:
        if len(args) != len(self.params):
            raise ConversionError(f"{self.signature} takes {len(self.params)} argument(s)")
        if self.lowers is None:
            return self._call_public(func, store, args)
        return self._call_fast(func, store, args)

    def _call_fast(self, func: Func, store: wasmtime.Store, args: Sequence[Any]) -> Any:
        lowers = self.lowers
        assert lowers is not None
        count = len(lowers)
        params = _in_array(count)()
        for index, (lower, arg) in enumerate(zip(lowers, args, strict=True)):
            lower(arg, params[index])
        lift = self.lift
        result = _VAL() if lift is not None else None
        error = _func_call(
            ctypes.byref(func._func),
            store._context(),
            params,
            count,
            None if result is None else ctypes.byref(result),
            0 if result is None else 1,
        )
        if error:
            raised = _error_from_ptr(error)
            maybe_raise_last_exn()  # a host function's own exception, as the public path
            raise raised
        if result is None or lift is None:
            return None
        try:
            return lift(result)
        finally:
            _val_delete(ctypes.byref(result))

    def _call_public(self, func: Func, store: wasmtime.Store, args: Sequence[Any]) -> Any:
        values = [_to_public(ty, arg) for (_, ty), arg in zip(self.params, args, strict=True)]
        result = func(store, *values)
        return None if self.result is None else _from_public(self.result, result)


@functools.cache
def _in_array(count: int) -> Any:
    """The ctypes array type of `count` arguments, made once (`T * n` costs on every call)."""
    return _InVal * count


_CODECS: dict[tuple[str, bool], FunctionCodec] = {}


def codec_for(func_type: FuncType, *, fast: bool = True) -> FunctionCodec:
    """The codec of a function type, built on first use and shared after.

    `fast=False` (or a wasmtime-py without the private pieces, or a type the fast path does
    not cover) gives the public path.
    """
    signature = describe_func(func_type)
    use_fast = fast and FAST_PATH
    key = (signature, use_fast)
    codec = _CODECS.get(key)
    if codec is not None:
        return codec
    params = tuple(func_type.params)
    result = func_type.result
    lowers: tuple[Lower, ...] | None = None
    lift: Lift | None = None
    if use_fast:
        try:
            lowers = tuple(_codec(ty)[0] for _, ty in params)
            lift = None if result is None else _codec(result)[1]
        except ConversionError:
            lowers, lift = None, None
    codec = FunctionCodec(signature, params, result, lowers, lift)
    _CODECS[key] = codec
    return codec
