"""Python values <-> component values, through converters built once per function type.

Why this exists: wasmtime-py's `Func.__call__` re-reads the function's type and every
record, variant and list type on every call (`FuncType.params`, `RecordType.fields`,
`VariantType.cases`: each crosses the C API and allocates Python objects), about 90 us for
one record in and one variant out. `codec_for(func_type)` walks a function type once into a
tree of small functions that know their field names, kinds and element converters; a
record whose fields are all strings, bools or numbers gets one lowering function generated
for its type (`_flat_record_lower`). Codecs are cached by the type's rendering
(`abi.describe_func`), so every plugin built against the same WIT shares them.

Below the public API: the fast path uses wasmtime-py's private `_ffi` module (the layout
of the C value structs) and the C call `wasmtime_component_func_call`. Arguments are
packed (`struct.pack_into`) into a scratch buffer of the calling thread, laid out like
the C values (checked at import), with the strings' bytes and the field names' pointers:
lowering calls no C function and leaves nothing to free (the call only reads its
arguments). The result, which wasmtime allocates, is read in place (`unpack_from` at the
addresses it gave, through the process's memory as one buffer) and freed whole by one
`wasmtime_component_val_delete` (the boxes behind variant, option and result payloads
included, which the public lift leaks). Each C call costs about a microsecond on the
project's machine, more than the Python around it, and so does a ctypes object made per
field: the first version of this layer made ~15 C calls per hook call, the second two plus
a ctypes view per field, this one makes two (the store's deadline is the caller's third)
and no ctypes object per call.
`FAST_PATH` is False when this wasmtime-py lacks any piece the fast path needs or lays its
structs out otherwise; every call then goes through the public `Func.__call__` with the
same Python values and gets the same results (slower). tests/plugins/test_conversion.py
runs both paths on every hook function and compares.

Faster still, where `scripts/install` built it: the native extension (native_calls.py)
does all of a call in C. `codec_for` describes the function type to it once (`_spec`), a
codec carries the extension's twin (`FunctionCodec.native`), and `call_at` (and
`WarmInstance.call`, directly) hands the call to it; the Python fast path above stays the
fallback, with the same values and the same errors (test_conversion.py and
test_conversion_agreement.py hold the two to that).

The Python side of each WIT type:

    record    in:  an object with snake_case attributes (a hook payload dataclass), or a
                   dict with snake_case keys;            out: a dict with snake_case keys
    variant   in/out: `Variant(tag, payload)`; `result` is a variant with tags ok and err
    option    None or the value                          list: list (in: list or tuple)
    enum      the case name as a str                     string, bool, numbers: themselves
    a string field named `arguments` also takes a dict, written as compact JSON text
    (tool arguments are JSON objects in WIT, dicts in the host)
"""

from __future__ import annotations

import ctypes
import json
import operator
import struct
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import orjson
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
from zeroclaw.plugins.wasm import native_calls, native_ticker

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


def json_text(value: Mapping[str, Any]) -> bytes:
    """A mapping as compact UTF-8 JSON text (tool arguments into a guest). orjson takes
    ~0.2 us for a hook's arguments where `json` takes ~2-4 us (it builds an encoder per
    call); what orjson refuses (keys that are not strings, integers past 64 bits) goes
    through `json`, with the same separators."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ConversionError(TypeError):
    """A Python value does not fit the WIT type it is sent as: a bug on the host's side."""


class LiftError(ConversionError):
    """A guest returned a value the host cannot use: the plugin broke its contract."""


def snake(name: str) -> str:
    return name.replace("-", "_")


def kebab(name: str) -> str:
    return name.replace("_", "-")


# -- the private pieces the fast path uses, found once ----------------------------------------

# wasmtime's C value structs, as ctypes declares them here: the layout the fast path writes
# arguments in and reads results from, checked against wasmtime-py's own declarations at
# import. The fast path itself writes and reads bytes at these offsets (`struct`), never
# through the ctypes fields: each field access makes a Python object.


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

    # What the result points at is wasmtime's (it allocates what it returns): read in place,
    # then freed whole by one `wasmtime_component_val_delete`, which keeps the GIL (a free
    # waits for nothing; giving the GIL up and taking it back costs more than the free).
    _val_delete = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(
        ("wasmtime_component_val_delete", ffi.dll)
    )
    # Our own function object, with `void *` arguments: it is handed addresses. It gives
    # the GIL up while the guest runs (the epoch ticker needs it to stop a looping guest).
    # error <- (func, context, args, args count, results, results count)
    _pointer, _size = ctypes.c_void_p, ctypes.c_size_t
    _call_types = (_pointer, _pointer, _pointer, _pointer, _size, _pointer, _size)
    _func_call = ctypes.CFUNCTYPE(*_call_types)(("wasmtime_component_func_call", ffi.dll))
    # The same call keeping the GIL: for a call on the event loop's thread when the ticker
    # needs no GIL (native_ticker.py). Giving the GIL up there handed it to whichever
    # thread waited (the ticker, the storage thread) and waited to get it back.
    _func_call_keeping_gil = ctypes.PYFUNCTYPE(*_call_types)(
        ("wasmtime_component_func_call", ffi.dll)
    )
    _error_from_ptr = wasmtime.WasmtimeError._from_ptr
    _ERROR_POINTER = ctypes.POINTER(ffi.wasmtime_error_t)
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
        # The offsets the packing formats below assume (`_slot`): a size then a pointer,
        # 8 bytes each; a variant's box after its discriminant.
        assumed = (
            _Text.data.offset == 8
            and _InVariant.val.offset == 16
            and _InUnion.variant.offset == 0
            and _InEntry.val.offset == ctypes.sizeof(_Text)
            and _K["BOOL"] == 0
        )
        return (
            assumed
            and ctypes.sizeof(_InUnion) == ctypes.sizeof(ffi.wasmtime_component_valunion_t)
            and all(
                ctypes.sizeof(ours) == ctypes.sizeof(theirs)
                and all(getattr(ours, f).offset == getattr(theirs, f).offset for f in fields)
                for ours, theirs, fields in pairs
            )
        )

    FAST_PATH = _same_layout()
    _VAL_SIZE = ctypes.sizeof(_InVal)
    _UNION = _InVal.of.offset
    _ENTRY_SIZE = ctypes.sizeof(_InEntry)
    _ENTRY_VAL = _InEntry.val.offset
    _RESULT_BOX = _InResult.val.offset
except (ImportError, AttributeError, KeyError):  # pragma: no cover - another wasmtime-py
    FAST_PATH = False
    # Unused then (every codec takes the public path); set so the module still imports.
    _VAL_SIZE, _UNION, _ENTRY_SIZE, _ENTRY_VAL, _RESULT_BOX = 32, 8, 48, 16, 8

# -- the scratch memory arguments are lowered into --------------------------------------------

_INITIAL_SCRATCH = 4096
# A scratch grown past this for a big payload is not kept for the calls after it.
_KEPT_SCRATCH = 1 << 20
# The kind the result's value is left with between calls: a bool holds nothing to free.
_EMPTY_KIND = 0


class _Full(Exception):
    """The scratch memory is too small for the arguments: `need` bytes at least."""

    def __init__(self, need: int) -> None:
        self.need = need


class _Scratch:
    """One thread's memory for a call: the result's C value at offset 0, then the
    arguments' values, then what they point at (record entries, list items, boxes, string
    bytes). A `bytearray` pinned by a ctypes view, so its address is fixed (resizing it
    raises instead of moving it): pointers into it are its address plus an offset."""

    __slots__ = ("_pin", "base", "buf", "kept")

    def __init__(self, size: int) -> None:
        self.buf = bytearray(size)
        self._pin = (ctypes.c_char * size).from_buffer(self.buf)
        self.base = ctypes.addressof(self._pin)
        self.kept = size <= _KEPT_SCRATCH  # else the next call starts a small one


class _ThreadScratch(threading.local):
    scratch: _Scratch | None = None
    lowered: Any = None  # the extension's `lower_args` (kept until the thread's next)


_THREAD_SCRATCH = _ThreadScratch()


def _scratch(need: int = 0) -> _Scratch:
    """This thread's scratch memory, at least `need` bytes (a call lowers its arguments,
    runs and reads its result before the thread does anything else with it)."""
    scratch = _THREAD_SCRATCH.scratch
    if scratch is not None and need <= len(scratch.buf) <= _KEPT_SCRATCH:
        return scratch
    # Growing (the lowering starts over): at least double. Else a new thread, or one whose
    # scratch a big payload left too large to keep: start small.
    size = _INITIAL_SCRATCH
    if scratch is not None and need > len(scratch.buf):
        size = 2 * len(scratch.buf)
    while size < need:
        size *= 2
    scratch = _THREAD_SCRATCH.scratch = _Scratch(size)
    return scratch


# Lower: (python value, scratch buffer, its address, offset of the value's slot, offset of
# the first free byte) -> the first free byte after what it wrote. The value's slot is
# written in place; what it points at goes after `end`. Raises `_Full` past the buffer.
Lower = Callable[[Any, bytearray, int, int, int], int]
# Arm: (a store context's address, epoch ticks) -> None: sets the store's deadline for the
# call about to run (engine.py `PluginEngine.arm`).
Arm = Callable[[int, int], object]
# Lift: (the address of a C value) -> python value: the call's result (in the scratch
# buffer) or what it points at (wasmtime's), read through `_MEMORY`, not freed.
Lift = Callable[[int], Any]

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
_INT_FORMATS = dict(zip(_INT_RANGES, "bBhHiIqQ", strict=True))
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


def _slot(*members: str) -> struct.Struct:
    """A value slot: its kind byte, then `members` from the start of the union (the
    offsets after the first given as pad bytes `Nx` where the layout needs them)."""
    return struct.Struct(f"=B{_UNION - 1}x{''.join(members)}")


_KIND = struct.Struct("=B")
# string, enum, list and record: a size and a pointer
_SIZED = _slot("QQ")
# variant: the discriminant's size and pointer, the box; result: is_ok, the box
_VARIANT = _slot("QQQ")
_RESULT = _slot(f"?{_RESULT_BOX - 1}xQ")
_OPTION = _slot("Q")


def _memory() -> memoryview | None:
    """The process's memory as one buffer, to read what wasmtime returned where it is:
    one `unpack_from` at an address, without the ctypes call (`string_at`, ~0.45 us on
    the reference machine) that would copy each part out first. Read only at addresses
    wasmtime handed over. None if this Python cannot read through it."""
    try:
        memory = memoryview((ctypes.c_ubyte * (sys.maxsize // 2)).from_address(0))
        probe = ctypes.create_string_buffer(b"zeroclaw")
        address = ctypes.addressof(probe)
        return memory if memory[address : address + 8].tobytes() == b"zeroclaw" else None
    except (ValueError, TypeError, OverflowError, MemoryError):  # pragma: no cover
        return None


_MEMORY: Any = _memory()
FAST_PATH = FAST_PATH and _MEMORY is not None


def _aligned(end: int) -> int:
    return (end + 7) & -8


def _static_text(data: bytes) -> tuple[int, Any]:
    """The address of a copy of `data` that lives as long as the returned holder."""
    holder = ctypes.create_string_buffer(data, len(data) or 1)
    return ctypes.addressof(holder), holder


def _tag_refusal(names: Sequence[str]) -> str:
    """The start of the error for a value that is no Variant of these cases (the value's
    repr follows): the Python converters' and the extension's (`_spec`) text."""
    return f"expected Variant with a tag in {sorted(names)}, got "


def _enum_refusal(names: Sequence[str]) -> str:
    return f"expected one of {sorted(names)}, got "


# -- building converters ----------------------------------------------------------------------


def _lift_error(kind: int, what: str) -> LiftError:
    return LiftError(f"expected a {what} value from the guest, got kind {kind}")


def _codec(ty: ValType, field: str | None = None) -> tuple[Lower, Lift]:
    """The lowering and lifting functions of one value type (`field`: the record field it
    is the type of, for the JSON-text rule)."""
    if isinstance(ty, public_types.String):
        return _string_codec(json_object=field in JSON_TEXT_FIELDS)
    scalar = _scalar(ty)
    if scalar is not None:
        return _scalar_codec(*scalar)
    if isinstance(ty, RecordType):
        return _record_codec(ty)
    if isinstance(ty, ListType):
        return _list_codec(ty)
    if isinstance(ty, OptionType):
        return _option_codec(ty)
    if isinstance(ty, VariantType):
        return _variant_codec([(name, t) for name, t in ty.cases])
    if isinstance(ty, ResultType):
        return _result_codec(ty)
    if isinstance(ty, EnumType):
        return _enum_codec(ty.names)
    raise ConversionError(f"no fast converter for {type(ty).__name__}")


def _string_codec(*, json_object: bool) -> tuple[Lower, Lift]:
    kind = _K["STRING"]
    pack = _SIZED.pack_into
    unpack = _SIZED.unpack_from

    def lower(value: Any, buf: bytearray, base: int, at: int, end: int) -> int:
        if type(value) is str:
            data = value.encode("utf-8")
        elif json_object and isinstance(value, Mapping):
            data = json_text(value)
        else:
            raise ConversionError(f"expected a str, got {type(value).__name__}")
        stop = end + len(data)
        if stop > len(buf):
            raise _Full(stop)
        buf[end:stop] = data
        pack(buf, at, kind, len(data), base + end)
        return stop

    def lift(at: int) -> str:
        found, size, data = unpack(_MEMORY, at)
        if found != kind:
            raise _lift_error(found, "string")
        return str(_MEMORY[data : data + size], "utf-8") if size else ""

    return lower, lift


def _scalar(ty: ValType) -> tuple[str, str, Callable[[Any], Any]] | None:
    """bool, an integer or a float: its kind, its `struct` format in the union and the
    check of a Python value (which returns what to write, or raises ConversionError);
    None for any other type."""
    if isinstance(ty, public_types.Bool):
        return "BOOL", "?", _check_bool
    int_name = _INT_TYPES.get(type(ty))
    if int_name is not None:
        return int_name, _INT_FORMATS[int_name], _int_check(int_name)
    if isinstance(ty, public_types.F32):
        return "F32", "f", _check_float
    if isinstance(ty, public_types.F64):
        return "F64", "d", _check_float
    return None


def _check_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise ConversionError(f"expected a bool, got {type(value).__name__}")
    return value


def _int_check(name: str) -> Callable[[Any], int]:
    low, high = _INT_RANGES[name]
    attr = name.lower()

    def check(value: Any) -> int:
        if type(value) is not int or not low <= value <= high:
            raise ConversionError(f"expected an int in [{low}, {high}] ({attr}), got {value!r}")
        return value

    return check


def _check_float(value: Any) -> float:
    if type(value) is not float and type(value) is not int:
        raise ConversionError(f"expected a float, got {type(value).__name__}")
    return float(value)


def _scalar_codec(name: str, member: str, check: Callable[[Any], Any]) -> tuple[Lower, Lift]:
    """A scalar's value is in the union itself."""
    kind = _K[name]
    layout = _slot(member)
    pack = layout.pack_into
    unpack = layout.unpack_from
    what = name.lower()

    def lower(value: Any, buf: bytearray, base: int, at: int, end: int) -> int:
        pack(buf, at, kind, check(value))
        return end

    def lift(at: int) -> Any:
        found, value = unpack(_MEMORY, at)
        if found != kind:
            raise _lift_error(found, what)
        return value

    return lower, lift


def _record_codec(ty: RecordType) -> tuple[Lower, Lift]:
    kind = _K["RECORD"]
    fields = [(snake(name), name, *_codec(field_type, name)) for name, field_type in ty.fields]
    count = len(fields)
    size = count * _ENTRY_SIZE
    # Every record's entries start as a copy of this template: the field names written
    # once, pointing at copies this closure keeps alive.
    names = [_static_text(name.encode("utf-8")) for _, name, _, _ in fields]
    template = b"".join(
        struct.pack(f"=QQ{_ENTRY_SIZE - 16}x", len(name.encode("utf-8")), address)
        for (_, name, _, _), (address, _) in zip(fields, names, strict=True)
    )
    attrs = [attr for attr, _, _, _ in fields]
    # One C call reads every field: attrgetter/itemgetter of several names give a tuple.
    get_attrs = operator.attrgetter(*attrs) if count > 1 else _one(operator.attrgetter, attrs)
    get_items = operator.itemgetter(*attrs) if count > 1 else _one(operator.itemgetter, attrs)
    lowers = [
        (index * _ENTRY_SIZE + _ENTRY_VAL, lower_field)
        for index, (_, _, lower_field, _) in enumerate(fields)
    ]
    lifts = [
        (attr, index * _ENTRY_SIZE + _ENTRY_VAL, lift_field)
        for index, (attr, _, _, lift_field) in enumerate(fields)
    ]
    pack = _SIZED.pack_into
    unpack = _SIZED.unpack_from

    def lower(value: Any, buf: bytearray, base: int, at: int, end: int) -> int:
        values = get_items(value) if type(value) is dict else get_attrs(value)
        start = _aligned(end)
        end = start + size
        if end > len(buf):
            raise _Full(end)
        buf[start:end] = template
        pack(buf, at, kind, count, base + start)
        for (offset, lower_field), field_value in zip(lowers, values):  # noqa: B905
            end = lower_field(field_value, buf, base, start + offset, end)
        _ = names  # kept alive: the entries point at them
        return end

    def lift(at: int) -> dict[str, Any]:
        found, found_count, data = unpack(_MEMORY, at)
        if found != kind:
            raise _lift_error(found, "record")
        if found_count != count:
            raise LiftError(f"expected a record of {count} fields, got {found_count}")
        return {attr: lift_field(data + offset) for attr, offset, lift_field in lifts}

    return _flat_record_lower(ty, get_attrs, get_items) or lower, lift


def _flat_record_lower(
    ty: RecordType, get_attrs: Callable[[Any], Any], get_items: Callable[[Any], Any]
) -> Lower | None:
    """The lowering of a record whose fields are all strings, bools or numbers (the
    records of most hook payloads), written out as one function for this type: the
    strings' bytes copied in one slice, every entry (its name included) written by one
    `pack_into`, no call per field. None when a field is of another kind: the record then
    lowers field by field (`_record_codec`). ~2x faster for a record of three strings."""
    if not ty.fields:
        return None
    formats: list[str] = []
    checks: list[str] = []
    entries: list[str] = []
    strings: list[int] = []
    env: dict[str, Any] = {
        "ConversionError": ConversionError,
        "Mapping": Mapping,
        "json_text": json_text,
        "_Full": _Full,
        "get_attrs": get_attrs,
        "get_items": get_items,
        "header": _SIZED.pack_into,
    }
    names = []
    for index, (name, field_type) in enumerate(ty.fields):
        encoded = name.encode("utf-8")
        address, holder = _static_text(encoded)
        names.append(holder)
        scalar = _scalar(field_type)
        if scalar is not None:
            kind, member, env[f"check{index}"] = scalar
            checks.append(f"    v{index} = check{index}(v{index})")
            entries.append(f"{len(encoded)}, {address}, {_K[kind]}, v{index}")
        elif isinstance(field_type, public_types.String):
            member = "QQ"
            strings.append(index)
            json_object = name in JSON_TEXT_FIELDS
            checks += [
                f"    if type(v{index}) is str:",
                f"        d{index} = v{index}.encode('utf-8')",
                # a dict first: isinstance of the Mapping ABC runs a Python frame
                f"    elif {json_object} and (type(v{index}) is dict"
                f" or isinstance(v{index}, Mapping)):",
                f"        d{index} = json_text(v{index})",
                "    else:",
                f"        raise ConversionError('expected a str, got ' + type(v{index}).__name__)",
            ]
            entries.append(f"{len(encoded)}, {address}, {_K['STRING']}, len(d{index}), p{index}")
        else:
            return None
        pad = _ENTRY_SIZE - _ENTRY_VAL - _UNION - struct.calcsize(f"={member}")
        formats.append(f"QQB{_UNION - 1}x{member}{pad}x")
    count = len(formats)
    env["entries"] = struct.Struct("=" + "".join(formats)).pack_into
    env["names"] = names  # kept alive: the entries point at them
    values = "".join(f"v{index}, " for index in range(count))
    pointers = [
        f"    p{index} = "
        + (f"p{before} + len(d{before})" if before is not None else "base + data")
        for before, index in zip([None, *strings], strings, strict=False)
    ]
    source = "\n".join(
        [
            "def lower(value, buf, base, at, end):",
            f"    {values}= get_items(value) if type(value) is dict else get_attrs(value)",
            *checks,
            "    start = (end + 7) & -8",
            f"    data = start + {count * _ENTRY_SIZE}",
            f"    text = b''.join(({''.join(f'd{index}, ' for index in strings)}))",
            "    stop = data + len(text)",
            "    if stop > len(buf):",
            "        raise _Full(stop)",
            "    buf[data:stop] = text",
            *pointers,
            f"    header(buf, at, {_K['RECORD']}, {count}, base + start)",
            f"    entries(buf, start, {', '.join(entries)})",
            "    return stop",
        ]
    )
    exec(compile(source, f"<lowering of {ty.__class__.__name__} {count} fields>", "exec"), env)
    lower: Lower = env["lower"]
    return lower


def _one(getter: Callable[..., Callable[[Any], Any]], attrs: list[str]) -> Callable[[Any], Any]:
    """`getter` of one name (or none), giving a tuple like the getter of several does."""
    if not attrs:
        return lambda value: ()
    get = getter(attrs[0])
    return lambda value: (get(value),)


def _list_codec(ty: ListType) -> tuple[Lower, Lift]:
    kind = _K["LIST"]
    lower_item, lift_item = _codec(ty.element)
    pack = _SIZED.pack_into
    unpack = _SIZED.unpack_from

    def lower(value: Any, buf: bytearray, base: int, at: int, end: int) -> int:
        if not isinstance(value, list | tuple):
            raise ConversionError(f"expected a list or tuple, got {type(value).__name__}")
        start = _aligned(end)
        end = start + len(value) * _VAL_SIZE
        if end > len(buf):
            raise _Full(end)
        pack(buf, at, kind, len(value), base + start)
        for item in value:
            end = lower_item(item, buf, base, start, end)
            start += _VAL_SIZE
        return end

    def lift(at: int) -> list[Any]:
        found, count, data = unpack(_MEMORY, at)
        if found != kind:
            raise _lift_error(found, "list")
        if count > MAX_LIST_ITEMS:
            raise LiftError(
                f"the guest returned a list of {count} items; the host takes at most "
                f"{MAX_LIST_ITEMS}"
            )
        if not count:
            return []
        return [lift_item(item) for item in range(data, data + count * _VAL_SIZE, _VAL_SIZE)]

    return lower, lift


def _boxed(
    lower_payload: Lower, value: Any, buf: bytearray, base: int, end: int
) -> tuple[int, int]:
    """A value holding `value` out of line (option, variant and result payloads): its
    address and the first free byte after it."""
    box = _aligned(end)
    end = box + _VAL_SIZE
    if end > len(buf):
        raise _Full(end)
    return base + box, lower_payload(value, buf, base, box, end)


def _option_codec(ty: OptionType) -> tuple[Lower, Lift]:
    kind = _K["OPTION"]
    lower_payload, lift_payload = _codec(ty.payload)
    pack = _OPTION.pack_into
    unpack = _OPTION.unpack_from

    def lower(value: Any, buf: bytearray, base: int, at: int, end: int) -> int:
        box = 0
        if value is not None:
            box, end = _boxed(lower_payload, value, buf, base, end)
        pack(buf, at, kind, box)
        return end

    def lift(at: int) -> Any:
        found, box = unpack(_MEMORY, at)
        if found != kind:
            raise _lift_error(found, "option")
        return lift_payload(box) if box else None

    return lower, lift


def _variant_codec(cases: list[tuple[str, ValType | None]]) -> tuple[Lower, Lift]:
    kind = _K["VARIANT"]
    codecs: dict[str, tuple[Lower, Lift] | None] = {
        name: None if payload is None else _codec(payload) for name, payload in cases
    }
    texts = {name: _static_text(name.encode("utf-8")) for name in codecs}
    lowering = {
        name: (len(name.encode("utf-8")), texts[name][0], None if codec is None else codec[0])
        for name, codec in codecs.items()
    }
    # A case is found by its name's bytes: no decoding on the way back. wasmtime lifts
    # only the type's own cases, so when no two names have the same length, the length
    # alone tells the case and the name is not even read.
    lifting = {
        name.encode("utf-8"): (name, None if codec is None else codec[1])
        for name, codec in codecs.items()
    }
    by_size = {len(name): case for name, case in lifting.items()}
    if len(by_size) < len(lifting):
        by_size = {}
    pack = _VARIANT.pack_into
    unpack = _VARIANT.unpack_from
    refused = _tag_refusal(list(codecs))

    def lower(value: Any, buf: bytearray, base: int, at: int, end: int) -> int:
        case = lowering.get(value.tag) if isinstance(value, Variant) else None
        if case is None:
            raise ConversionError(refused + repr(value))
        size, address, lower_payload = case
        box = 0
        if lower_payload is not None:
            box, end = _boxed(lower_payload, value.payload, buf, base, end)
        pack(buf, at, kind, size, address, box)
        _ = texts  # kept alive: the discriminants point at them
        return end

    def lift(at: int) -> Variant:
        found, size, data, box = unpack(_MEMORY, at)
        if found != kind:
            raise _lift_error(found, "variant")
        case = by_size.get(size)
        if case is None:
            name = _MEMORY[data : data + size].tobytes()
            case = lifting.get(name)
        if case is None:
            raise LiftError(
                f"the guest returned an unknown case {name.decode('utf-8', 'replace')!r}"
            )
        tag, lift_payload = case
        if lift_payload is None or not box:
            return Variant(tag)
        return Variant(tag, lift_payload(box))

    return lower, lift


def _result_codec(ty: ResultType) -> tuple[Lower, Lift]:
    kind = _K["RESULT"]
    codecs = {
        tag: None if payload is None else _codec(payload)
        for tag, payload in (("ok", ty.ok), ("err", ty.err))
    }
    pack = _RESULT.pack_into
    unpack = _RESULT.unpack_from
    refused = _tag_refusal(list(codecs))

    def lower(value: Any, buf: bytearray, base: int, at: int, end: int) -> int:
        if not isinstance(value, Variant) or value.tag not in codecs:
            raise ConversionError(refused + repr(value))
        codec = codecs[value.tag]
        box = 0
        if codec is not None:
            box, end = _boxed(codec[0], value.payload, buf, base, end)
        pack(buf, at, kind, value.tag == "ok", box)
        return end

    def lift(at: int) -> Variant:
        found, is_ok, box = unpack(_MEMORY, at)
        if found != kind:
            raise _lift_error(found, "result")
        tag = "ok" if is_ok else "err"
        codec = codecs[tag]
        if codec is None or not box:
            return Variant(tag)
        return Variant(tag, codec[1](box))

    return lower, lift


def _enum_codec(names: list[str]) -> tuple[Lower, Lift]:
    kind = _K["ENUM"]
    texts = {name: _static_text(name.encode("utf-8")) for name in names}
    known = {name: (len(name.encode("utf-8")), texts[name][0]) for name in names}
    by_bytes = {name.encode("utf-8"): name for name in names}
    pack = _SIZED.pack_into
    unpack = _SIZED.unpack_from
    refused = _enum_refusal(names)

    def lower(value: Any, buf: bytearray, base: int, at: int, end: int) -> int:
        case = known.get(value) if type(value) is str else None
        if case is None:
            raise ConversionError(refused + repr(value))
        pack(buf, at, kind, *case)
        _ = texts  # kept alive: the values point at them
        return end

    def lift(at: int) -> str:
        found, size, data = unpack(_MEMORY, at)
        if found != kind:
            raise _lift_error(found, "enum")
        name = _MEMORY[data : data + size].tobytes()
        return by_bytes.get(name) or name.decode("utf-8")

    return lower, lift


# -- the native path: the same types described to native/fast_calls.c ----------------------------


def _spec(ty: ValType, field: str | None = None) -> tuple[Any, ...]:
    """A value type as the extension takes it (native_calls.py): nested tuples, one per
    type, with the names and error texts the Python converters above use."""
    if isinstance(ty, public_types.String):
        return ("string", field in JSON_TEXT_FIELDS)
    scalar = _scalar(ty)
    if scalar is not None:
        return (scalar[0].lower(),)
    if isinstance(ty, RecordType):
        return ("record", tuple((snake(name), name, _spec(t, name)) for name, t in ty.fields))
    if isinstance(ty, ListType):
        return ("list", _spec(ty.element))
    if isinstance(ty, OptionType):
        return ("option", _spec(ty.payload))
    if isinstance(ty, VariantType):
        cases = tuple((name, None if t is None else _spec(t)) for name, t in ty.cases)
        return ("variant", cases, _tag_refusal([name for name, _ in cases]))
    if isinstance(ty, ResultType):
        ok = None if ty.ok is None else _spec(ty.ok)
        err = None if ty.err is None else _spec(ty.err)
        return ("result", ok, err, _tag_refusal(["ok", "err"]))
    if isinstance(ty, EnumType):
        return ("enum", tuple(ty.names), _enum_refusal(ty.names))
    raise ConversionError(f"no fast converter for {type(ty).__name__}")


def _raise_call_error(address: int) -> None:
    """A failed call's wasmtime error (at `address`, taken over) raised, as `call_at` does:
    a host function's own exception first."""
    raised = _error_from_ptr(ctypes.cast(address, _ERROR_POINTER))
    maybe_raise_last_exn()
    raise raised


def _native() -> Any | None:
    """The extension (native_calls.py), configured; None where it is not used."""
    module = native_calls.load() if FAST_PATH else None
    if module is None:
        return None
    address = native_ticker.wasmtime_address
    entry = ffi.wasmtime_component_valrecord_entry_t
    try:
        module.configure(
            layout=(
                ctypes.sizeof(_VAL),
                _VAL.of.offset,
                ctypes.sizeof(ffi.wasmtime_component_valunion_t),
                ctypes.sizeof(entry),
                entry.val.offset,
            ),
            kinds=tuple(_K.values()),
            functions=(
                address("wasmtime_component_func_call"),
                address("wasmtime_component_val_delete"),
                address("wasmtime_context_set_epoch_deadline"),
                native_ticker.arm_address(),
            ),
            objects=(
                Variant,
                Mapping,
                json_text,
                (ConversionError, LiftError),
                _raise_call_error,
            ),
            max_list_items=MAX_LIST_ITEMS,
        )
    except (ValueError, TypeError):  # another layout: the Python fast path
        return None
    return module


NATIVE: Final = _native()
_NATIVE_CODEC: Any = None if NATIVE is None else NATIVE.Codec


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
        # wasmtime-py tags a result like a variant: only when its cases' Python types
        # overlap (`result<string, variant{...}>` takes the bare str or Variant).
        if ty._tagged():
            return Variant(value.tag, payload)
        return payload
    if (
        isinstance(ty, public_types.String)
        and field in JSON_TEXT_FIELDS
        and isinstance(value, Mapping)
    ):
        return json_text(value).decode("utf-8")
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
    result (None for a function without one). `call_at` is the same call given the
    addresses of the function and of its store's context (`func_address`,
    `context_address`), which a caller that calls one instance many times keeps.
    """

    signature: str
    params: tuple[tuple[str, ValType], ...]
    result: ValType | None
    lowers: tuple[Lower, ...] | None  # None: the public path
    lift: Lift | None
    # The extension's codec of this type (native_calls.py), which `call_at` takes when set.
    native: Any = None

    @property
    def fast(self) -> bool:
        return self.lowers is not None

    def call(
        self,
        func: Func,
        store: wasmtime.Store,
        args: Sequence[Any],
        *,
        arm: Arm | None = None,
        ticks: int = 0,
    ) -> Any:
        if self.lowers is None:
            if len(args) != len(self.params):
                raise ConversionError(f"{self.signature} takes {len(self.params)} argument(s)")
            return self._call_public(func, store, args, arm, ticks)
        return self.call_at(func_address(func), context_address(store), args, arm=arm, ticks=ticks)

    def call_at(
        self,
        func: int,
        context: int,
        args: Sequence[Any],
        *,
        keep_gil: bool = False,
        arm: Arm | None = None,
        ticks: int = 0,
    ) -> Any:
        """The fast path: arguments lowered into this thread's scratch memory, the C call,
        the result read where wasmtime wrote it (the scratch's first value) and freed.
        `keep_gil`: the guest runs with the GIL held (only where a native ticker stops it).
        `arm(context, ticks)`: the store's deadline, set once the arguments are lowered,
        right before the guest runs (what the host does before, a garbage collection
        included, is not the guest's time)."""
        native = self.native
        if native is not None:
            return native.call(func, context, args, keep_gil, ticks, arm, None)
        # One argument into a kept scratch (every hook call): lowered here, without the
        # general loop of `_lowered`; a scratch too small for it starts over there.
        scratch = _THREAD_SCRATCH.scratch
        lowers = self.lowers
        if (
            scratch is not None
            and scratch.kept
            and lowers is not None
            and len(args) == 1 == len(lowers)
        ):
            try:
                lowers[0](args[0], scratch.buf, scratch.base, _VAL_SIZE, 2 * _VAL_SIZE)
            except _Full:
                scratch = self._lowered(args)
        else:
            scratch = self._lowered(args)
        if arm is not None:
            arm(context, ticks)
        base = scratch.base
        lift = self.lift
        error = (_func_call_keeping_gil if keep_gil else _func_call)(
            func,
            context,
            base + _VAL_SIZE,
            len(args),
            None if lift is None else base,
            0 if lift is None else 1,
        )
        if error:
            raised = _error_from_ptr(ctypes.cast(error, _ERROR_POINTER))
            maybe_raise_last_exn()  # a host function's own exception, as the public path
            raise raised
        if lift is None:
            return None
        try:
            return lift(base)
        finally:
            _val_delete(base)
            scratch.buf[0] = _EMPTY_KIND  # a bool: nothing left to free there

    def lower_args(self, args: Sequence[Any]) -> int:
        """Lower `args` as `call_at` does; the address of the first argument's C value in
        this thread's scratch memory (valid until the thread's next call)."""
        if self.native is not None:
            lowered = _THREAD_SCRATCH.lowered = self.native.lower(args)
            return int(lowered.address)
        return self._lowered(args).base + _VAL_SIZE

    def lift_at(self, address: int) -> Any:
        """The Python value of a result's C value at `address` (read, not freed)."""
        if self.native is not None:
            return self.native.lift(address)
        assert self.lift is not None
        return self.lift(address)

    def _lowered(self, args: Sequence[Any]) -> _Scratch:
        lowers = self.lowers
        assert lowers is not None
        if len(args) != len(lowers):
            raise ConversionError(f"{self.signature} takes {len(lowers)} argument(s)")
        first_free = (1 + len(lowers)) * _VAL_SIZE  # the result, then the arguments
        scratch = _scratch(first_free)
        while True:
            buf, base, at, end = scratch.buf, scratch.base, _VAL_SIZE, first_free
            try:
                for lower, arg in zip(lowers, args):  # noqa: B905 - counted above
                    end = lower(arg, buf, base, at, end)
                    at += _VAL_SIZE
            except _Full as full:
                scratch = _scratch(full.need)
                continue
            return scratch

    def _call_public(
        self, func: Func, store: wasmtime.Store, args: Sequence[Any], arm: Arm | None, ticks: int
    ) -> Any:
        values = [_to_public(ty, arg) for (_, ty), arg in zip(self.params, args, strict=True)]
        if arm is not None:
            arm(context_address(store), ticks)
        result = func(store, *values)
        return None if self.result is None else _from_public(self.result, result)


def func_address(func: Func) -> int:
    """The address of a function's C handle (for `FunctionCodec.call_at`; valid while
    `func` lives)."""
    return ctypes.addressof(func._func)


def context_address(store: wasmtime.Store) -> int:
    """The address of a store's context (for `call_at`; valid while the store lives)."""
    address = ctypes.cast(store._context(), ctypes.c_void_p).value
    assert address is not None
    return address


_CODECS: dict[tuple[str, bool, bool], FunctionCodec] = {}


def codec_for(func_type: FuncType, *, fast: bool = True, native: bool = True) -> FunctionCodec:
    """The codec of a function type, built on first use and shared after.

    `fast=False` (or a wasmtime-py without the private pieces, or a type the fast path does
    not cover) gives the public path; `native=False` (or no extension: native_calls.py) the
    Python fast path.
    """
    signature = describe_func(func_type)
    use_fast = fast and FAST_PATH
    use_native = use_fast and native and NATIVE is not None
    key = (signature, use_fast, use_native)
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
    made = None
    if use_native and lowers is not None:
        specs = tuple(_spec(ty) for _, ty in params)
        made = _NATIVE_CODEC(specs, None if result is None else _spec(result), signature)
    codec = FunctionCodec(signature, params, result, lowers, lift, made)
    _CODECS[key] = codec
    return codec
