"""Component calls in one C call (native/fast_calls.c), where `scripts/install` built it.

Why: a plugin call on conversion.py's Python fast path costs ~8 us of the host's own work
in a loop, and about twice that inside an agent turn (the turn's other work evicts the
path's code and data): the arguments packed with `struct` (~2.5 us a hook payload), the
store armed through ctypes (~0.5-1 us), the ctypes call itself (~1 us of marshalling), the
result read back and freed by another ctypes call. The extension does all of it in one
call from Python: the arguments lowered straight from the Python objects into wasmtime's C
values on the C stack, the deadline armed (the native ticker's `zc_ticker_arm`, called from
C), `wasmtime_component_func_call` (the GIL given up or kept, as `call_at` says), the
result lifted into the same Python values the Python path makes, and freed.

It links to nothing of wasmtime: `configure` hands it the addresses of the C functions it
calls (from wasmtime-py's own library) and the layout of the values, which it checks
against its own declarations. A function type is described to it once, as nested tuples
(conversion.py `_spec`); it keeps the tree, with the field and case names as Python
strings and as UTF-8 bytes.

`load()` is None where it was not built (no compiler or no Python headers, another Python
version: the file name carries the interpreter's ABI tag), where `ZEROCLAW_PYTHON_CALLS` is
set, or where `configure` refused the layout: every call then takes conversion.py's Python
fast path, with the same values and errors (tests/plugins/runtime/test_conversion.py runs
both on every hook function).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sysconfig
from functools import cache
from pathlib import Path
from typing import Any, Final

MODULE: Final = "zeroclaw_fast_calls"
EXTENSION: Final = (
    Path(__file__).parent / "native" / f"{MODULE}{sysconfig.get_config_var('EXT_SUFFIX')}"
)


@cache
def load() -> Any | None:
    """The extension module, not yet configured; None where it cannot be used here."""
    if os.environ.get("ZEROCLAW_PYTHON_CALLS") or not EXTENSION.is_file():
        return None
    loader = importlib.machinery.ExtensionFileLoader(MODULE, str(EXTENSION))
    spec = importlib.util.spec_from_file_location(MODULE, EXTENSION, loader=loader)
    if spec is None:  # pragma: no cover - a file location always gives one
        return None
    try:
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except (ImportError, OSError):  # built for another Python, or damaged
        return None
    return module
