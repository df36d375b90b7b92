"""A guest cannot make the host build an arbitrarily long Python list: a list longer than
`MAX_LIST_ITEMS` fails the call (PluginBadResult) before its items are converted, on both
converters (the native extension's and the Python fast path)."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime
from wasmtime.component import Linker
from wat_builder import build_component

from zeroclaw.plugins.wasm import conversion
from zeroclaw.plugins.wasm.conversion import MAX_LIST_ITEMS, LiftError, codec_for
from zeroclaw.plugins.wasm.engine import PluginEngine

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "hook_biglist.wat"


@pytest.mark.parametrize("native", [False, True], ids=["python", "native"])
def test_a_list_over_the_cap_is_a_bad_result(tmp_path: Path, native: bool) -> None:
    if native and conversion.NATIVE is None:
        pytest.skip("the native calls extension is not built here (scripts/install builds it)")
    assert MAX_LIST_ITEMS < 200_000
    component = build_component(FIXTURE, tmp_path)
    with PluginEngine(cache_dir=tmp_path / "cache") as engine:
        loaded = engine.load_component(component)
        store = wasmtime.Store(engine.engine)
        store.set_epoch_deadline(engine.deadline(10_000))
        instance = Linker(engine.engine).instantiate(store, loaded.component)
        parent = loaded.component.get_export_index("zeroclaw:hooks/handler@1.0.0")
        func = instance.get_func(store, loaded.component.get_export_index("handles", parent))
        assert func is not None
        codec = codec_for(func.type(store), native=native)
        assert (codec.native is not None) is native
        with pytest.raises(LiftError, match="a list of 200000 items"):
            codec.call(func, store, ())
