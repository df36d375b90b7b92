"""zeroclaw:host/kv: one SQLite file, rows namespaced per plugin, limits and a quota."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime
from host_helpers import instantiate, make_context
from wasmtime.component import Component, Linker, Variant

from zeroclaw.plugins.host.context import HostServices
from zeroclaw.plugins.host.kv import link
from zeroclaw.plugins.host.kv_store import (
    ENTRY_OVERHEAD_BYTES,
    MAX_KEY_BYTES,
    MAX_VALUE_BYTES,
    QUOTA_BYTES,
    KvError,
    KvStore,
)
from zeroclaw.plugins.wasm.engine import PluginEngine


@pytest.fixture
def kv(tmp_path: Path) -> Iterator[KvStore]:
    store = KvStore.open(tmp_path / "plugins" / "kv.db")
    yield store
    store.close()


# -- the store ------------------------------------------------------------------------------


def test_set_get_replace_delete(kv: KvStore) -> None:
    kv.set("a", "greeting", b"hello")
    kv.set("a", "greeting", b"bonjour")

    assert kv.get("a", "greeting") == b"bonjour"
    kv.delete("a", "greeting")
    with pytest.raises(KvError) as missing:
        kv.get("a", "greeting")
    assert missing.value.case == "not-found"
    kv.delete("a", "never-there")  # not an error


def test_plugins_never_see_each_others_keys(kv: KvStore) -> None:
    kv.set("alpha", "shared", b"from alpha")
    kv.set("beta", "shared", b"from beta")
    kv.set("beta", "only-beta", b"1")

    assert kv.get("alpha", "shared") == b"from alpha"
    assert kv.get("beta", "shared") == b"from beta"
    assert kv.list_keys("alpha", "") == ["shared"]
    with pytest.raises(KvError, match="not-found"):
        kv.get("alpha", "only-beta")
    kv.delete("alpha", "shared")
    assert kv.get("beta", "shared") == b"from beta"


def test_list_keys_by_prefix_sorted(kv: KvStore) -> None:
    for key in ["user:2", "user:10", "session:x", "user:1", "users", "user:é", "user;"]:
        kv.set("p", key, b"")

    assert kv.list_keys("p", "user:") == ["user:1", "user:10", "user:2", "user:é"]
    assert kv.list_keys("p", "") == sorted(
        ["user:2", "user:10", "session:x", "user:1", "users", "user:é", "user;"]
    )
    assert kv.list_keys("p", "nothing") == []


@pytest.mark.parametrize(
    ("key", "why"),
    [("", "empty"), ("k" * (MAX_KEY_BYTES + 1), "257 bytes"), ("a\x00b", "NUL")],
)
def test_invalid_keys_are_refused(kv: KvStore, key: str, why: str) -> None:
    for call in (lambda: kv.get("p", key), lambda: kv.set("p", key, b"v")):
        with pytest.raises(KvError) as refused:
            call()
        assert refused.value.case == "invalid-key"
        assert why in str(refused.value.payload)


def test_key_limit_counts_utf8_bytes(kv: KvStore) -> None:
    kv.set("p", "é" * (MAX_KEY_BYTES // 2), b"fits")  # 256 bytes
    with pytest.raises(KvError, match="invalid-key"):
        kv.set("p", "é" * (MAX_KEY_BYTES // 2) + "x", b"257 bytes")


def test_value_size_limit(kv: KvStore) -> None:
    kv.set("p", "max", b"v" * MAX_VALUE_BYTES)
    with pytest.raises(KvError) as refused:
        kv.set("p", "over", b"v" * (MAX_VALUE_BYTES + 1))

    assert (refused.value.case, refused.value.payload) == ("value-too-large", MAX_VALUE_BYTES)
    assert kv.list_keys("p", "") == ["max"]


def test_quota_is_per_plugin_and_replacing_a_value_counts_once(kv: KvStore) -> None:
    value = b"v" * MAX_VALUE_BYTES
    full = QUOTA_BYTES // (MAX_VALUE_BYTES + 2 + ENTRY_OVERHEAD_BYTES)
    for n in range(full):
        kv.set("greedy", f"{n:02}", value)

    with pytest.raises(KvError) as refused:
        kv.set("greedy", "one-more", value)
    assert (refused.value.case, refused.value.payload) == ("quota-exceeded", QUOTA_BYTES)
    kv.set("greedy", "00", value)  # replacing does not count the old value twice
    kv.set("other", "fine", value)  # another plugin has its own quota
    assert kv.usage("greedy") <= QUOTA_BYTES
    kv.delete("greedy", "00")
    kv.set("greedy", "one-more", value)  # deleting made room


def test_many_empty_values_hit_the_quota_through_the_entry_overhead(kv: KvStore) -> None:
    kv.set("p", "a", b"")
    assert kv.usage("p") == 1 + ENTRY_OVERHEAD_BYTES


def test_data_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plugins" / "kv.db"
    first = KvStore.open(path)
    first.set("p", "kept", b"\x00\x01binary")
    first.close()

    second = KvStore.open(path)
    try:
        assert second.get("p", "kept") == b"\x00\x01binary"
    finally:
        second.close()


def test_the_file_uses_wal(tmp_path: Path) -> None:
    services = HostServices(data_dir=tmp_path, memory=None)
    services.kv_store().set("p", "k", b"v")

    with sqlite3.connect(tmp_path / "plugins" / "kv.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    services.close()


def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "kv.db"
    path.write_bytes(b"this is not sqlite " * 100)

    with pytest.raises(KvError) as failed:
        KvStore.open(path)
    assert failed.value.case == "storage"
    assert str(path) in str(failed.value.payload)
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_a_closed_store_answers_with_a_storage_error(kv: KvStore) -> None:
    kv.close()
    with pytest.raises(KvError) as failed:
        kv.get("p", "k")
    assert failed.value.case == "storage"


# -- through a real component -------------------------------------------------------------


def test_a_component_stores_and_reads_its_own_keys(
    plugin_engine: PluginEngine, probes: dict[str, Path], services: HostServices
) -> None:
    probe = instantiate(plugin_engine, probes["kv_probe"], make_context("alpha", ["kv"]), services)

    assert probe.call("get", "greeting") == Variant("not-found")
    assert probe.call("set", "greeting", b"hello") is None
    assert probe.call("set", "greeting-2", b"") is None
    assert probe.call("get", "greeting") == b"hello"
    assert probe.call("list-keys", "greet") == ["greeting", "greeting-2"]
    assert probe.call("set", "", b"x") == Variant("invalid-key", "the key is empty")


def test_two_components_with_the_same_key_do_not_meet(
    plugin_engine: PluginEngine, probes: dict[str, Path], services: HostServices
) -> None:
    alpha = instantiate(plugin_engine, probes["kv_probe"], make_context("alpha", ["kv"]), services)
    beta = instantiate(plugin_engine, probes["kv_probe"], make_context("beta", ["kv"]), services)

    alpha.call("set", "token", b"alpha's")
    assert beta.call("get", "token") == Variant("not-found")
    beta.call("set", "token", b"beta's")
    assert alpha.call("get", "token") == b"alpha's"
    assert beta.call("list-keys", "") == ["token"]


def test_a_component_reads_what_an_earlier_runtime_stored(
    plugin_engine: PluginEngine, probes: dict[str, Path], tmp_path: Path
) -> None:
    context = make_context("alpha", ["kv"])
    before = HostServices(data_dir=tmp_path, memory=None)
    instantiate(plugin_engine, probes["kv_probe"], context, before).call("set", "k", b"kept")
    before.close()

    after = HostServices(data_dir=tmp_path, memory=None)
    assert (
        instantiate(plugin_engine, probes["kv_probe"], context, after).call("get", "k") == b"kept"
    )
    after.close()


def test_each_call_rechecks_the_grant(
    plugin_engine: PluginEngine, probes: dict[str, Path], services: HostServices
) -> None:
    context = make_context("sneaky", ["log"])
    linker = Linker(plugin_engine.engine)
    # Bypass link_host_interfaces (which refuses the import) to reach the function itself.
    with linker.root() as root, root.add_instance("zeroclaw:host/kv@1.0.0") as instance:
        link(instance, context, services)
    store = wasmtime.Store(plugin_engine.engine)
    store.set_epoch_deadline(plugin_engine.deadline(10_000))
    component = Component.from_file(plugin_engine.engine, probes["kv_probe"])
    func = linker.instantiate(store, component).get_func(store, "set")
    assert func is not None

    answer = func(store, "k", b"v")
    assert isinstance(answer, Variant)
    assert answer.tag == "storage"
    assert '"kv" capability' in answer.payload
    assert not services.kv_path.exists()
