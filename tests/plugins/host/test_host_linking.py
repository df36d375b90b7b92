"""link_host_interfaces: the contract the runtime uses, and log, config and memory through
a real component."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from host_helpers import instantiate, make_context
from wasmtime.component import Component, Linker, Variant
from wat_builder import assemble_wit, dummy_component

from zeroclaw.memory import MemoryStore
from zeroclaw.plugins.errors import ImportNotGrantedError
from zeroclaw.plugins.host.context import HostServices, host_function
from zeroclaw.plugins.host.linker import link_host_interfaces
from zeroclaw.plugins.host.wit_values import HostCallError
from zeroclaw.plugins.wasm.engine import PluginEngine

ALL = ["log", "kv", "config", "http:api.example.com", "memory.read", "memory.write"]


def test_importing_the_host_package_does_not_import_wasmtime() -> None:
    code = (
        "import sys, zeroclaw.plugins.host.linker, zeroclaw.plugins.host.http, "
        "zeroclaw.plugins.host.kv, zeroclaw.plugins.host.log, zeroclaw.plugins.host.config, "
        "zeroclaw.plugins.host.memory; print('wasmtime' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_every_interface_of_the_host_package_links(
    plugin_engine: PluginEngine, tmp_path: Path, services: HostServices
) -> None:
    path = dummy_component(
        assemble_wit(tmp_path), "zeroclaw:host/all-interfaces@1.0.0", tmp_path / "all.wasm"
    )
    component = Component.from_file(plugin_engine.engine, path)
    imports = list(component.type.imports(plugin_engine.engine))
    linker = Linker(plugin_engine.engine)

    link_host_interfaces(linker, imports, make_context("p", ALL), services)

    store = wasmtime.Store(plugin_engine.engine)
    store.set_epoch_deadline(plugin_engine.deadline(10_000))
    linker.instantiate(store, component)  # fails if any function were missing
    assert sorted(imports) == [
        f"zeroclaw:host/{name}@1.0.0" for name in ("config", "http", "kv", "log", "memory")
    ]


def test_an_interface_not_granted_is_refused_at_link_time(
    plugin_engine: PluginEngine, probes: dict[str, Path], services: HostServices
) -> None:
    component = Component.from_file(plugin_engine.engine, probes["kv_probe"])

    with pytest.raises(ImportNotGrantedError, match=r"zeroclaw:host/kv@1\.0\.0"):
        link_host_interfaces(
            Linker(plugin_engine.engine),
            component.type.imports(plugin_engine.engine),
            make_context("p", ["log"]),
            services,
        )


def test_a_host_bug_becomes_the_fallback_value_not_an_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(key: str) -> bytes:
        raise RuntimeError("boom")

    def refusing(key: str) -> bytes:
        raise HostCallError("invalid-key", key)

    context = make_context("p", ["kv"])
    fallback = host_function(context, "kv.get", broken, lambda: "fallback")
    wit_error = host_function(context, "kv.get", refusing, lambda: "fallback")

    assert fallback(object(), "k") == "fallback"
    assert "host function kv.get failed" in caplog.text
    assert wit_error(object(), "bad") == Variant("invalid-key", "bad")


# -- log, config and memory through a real component ------------------------------------------


@pytest.fixture
def misc(plugin_engine: PluginEngine, probes: dict[str, Path], tmp_path: Path) -> Any:
    memory = MemoryStore.open(tmp_path / "zeroclaw.db")
    memory.blocking(memory.remember("user city", "the user lives in Lyon"))
    context = make_context(
        "misc",
        ["log", "config", "memory.read", "memory.write", "secret:TOKEN"],
        settings={"retry": {"max": 3}, "name": "probe"},
        secrets={"TOKEN": "t0k"},
    )
    services = HostServices(tmp_path, memory)
    yield instantiate(plugin_engine, probes["misc_probe"], context, services), memory
    services.close()
    memory.close()


def test_a_component_logs_under_its_name(misc: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    probe, _ = misc

    probe.call("log", "warn", "disk almost full\nforged line")

    (record,) = [r for r in caplog.records if r.name == "zeroclaw.plugin.misc"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "disk almost full\\nforged line"


def test_a_component_reads_settings_and_secrets(misc: Any) -> None:
    probe, _ = misc

    assert probe.call("get", "retry.max") == "3"
    assert probe.call("get", "nope") is None
    assert probe.call("get-all") == '{"retry": {"max": 3}, "name": "probe"}'
    assert probe.call("get-secret", "TOKEN") == "t0k"
    assert probe.call("get-secret", "OTHER") == Variant("not-granted", "OTHER")


def test_a_component_stores_and_recalls_memories(misc: Any) -> None:
    probe, memory = misc

    assert probe.call("store", "probe note", "Lyon is sunny") is None
    found = probe.call("recall", "Lyon", 10)

    assert {entry.key for entry in found} == {"user city", "probe note"}
    assert all(getattr(entry, "session-id") is None for entry in found)
    assert all(getattr(entry, "created-at").endswith("Z") for entry in found)
    assert (
        memory.blocking(memory.get_memory("probe note", namespace="plugin:misc")).value
        == "Lyon is sunny"
    )
    assert probe.call("store", "", "x") == Variant("invalid", "the key is empty")
