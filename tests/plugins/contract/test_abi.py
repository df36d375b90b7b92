"""ABI: which WIT packages and versions load, and whether a component's exports match."""

from __future__ import annotations

from pathlib import Path

import pytest
from wasmtime import Engine
from wasmtime.component import Component
from wat_builder import render_abi_json

from zeroclaw.plugins.contract.abi import (
    ABI_JSON_NAME,
    check_exports,
    check_wit_package,
    describe_exports,
    import_names,
    parse_wit_package,
)
from zeroclaw.plugins.errors import AbiError, ExportMismatchError


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def test_supported_versions_are_accepted() -> None:
    assert str(check_wit_package("zeroclaw:hooks@1.0.0")) == "zeroclaw:hooks@1.0.0"
    assert check_wit_package("zeroclaw:tools@1.0.0").name == "tools"
    assert check_wit_package("zeroclaw:providers@1.0.0").major == 1
    # A newer patch changes no contract.
    assert check_wit_package("zeroclaw:hooks@1.0.7").patch == 7


def test_another_major_is_refused_naming_both_versions() -> None:
    with pytest.raises(AbiError) as caught:
        check_wit_package("zeroclaw:hooks@2.0.0")

    message = str(caught.value)
    assert "zeroclaw:hooks@2.0.0" in message
    assert "this host supports zeroclaw:hooks@1.0.0" in message
    assert "major 1 only" in message


def test_a_newer_minor_is_refused() -> None:
    with pytest.raises(AbiError) as caught:
        check_wit_package("zeroclaw:tools@1.3.0")

    message = str(caught.value)
    assert "zeroclaw:tools@1.3.0 is newer than this host's zeroclaw:tools@1.0.0" in message
    assert "minor 3 > 0" in message
    assert "upgrade ZeroClaw" in message


def test_an_unknown_package_is_refused() -> None:
    with pytest.raises(AbiError) as caught:
        check_wit_package("zeroclaw:widgets@1.0.0")

    message = str(caught.value)
    assert "unknown package 'zeroclaw:widgets'" in message
    assert "zeroclaw:hooks@1.0.0, zeroclaw:tools@1.0.0, zeroclaw:providers@1.1.0" in message


@pytest.mark.parametrize(
    "text", ["zeroclaw:hooks", "zeroclaw:hooks@1.0", "hooks@1.0.0", "zeroclaw:hooks@v1.0.0", ""]
)
def test_a_malformed_package_is_refused(text: str) -> None:
    with pytest.raises(AbiError) as caught:
        parse_wit_package(text)

    message = str(caught.value)
    assert f'wit_package "{text}" is malformed' in message
    assert "namespace:package@MAJOR.MINOR.PATCH" in message
    assert "this host supports zeroclaw:hooks@1.0.0" in message


def test_matching_exports_pass(engine: Engine, components: dict[str, Path]) -> None:
    hooks = Component.from_file(engine, components["hook_minimal"])
    tools = Component.from_file(engine, components["tool_echo"])

    check_exports(hooks.type, engine, parse_wit_package("zeroclaw:hooks@1.0.0"))
    check_exports(tools.type, engine, parse_wit_package("zeroclaw:tools@1.0.0"))


def test_a_tools_component_declared_as_hooks_is_refused(
    engine: Engine, components: dict[str, Path]
) -> None:
    tools = Component.from_file(engine, components["tool_echo"])

    with pytest.raises(ExportMismatchError) as caught:
        check_exports(tools.type, engine, parse_wit_package("zeroclaw:hooks@1.0.0"), plugin="echo")

    error = caught.value
    assert "plugin 'echo' declares zeroclaw:hooks@1.0.0" in error.message
    assert "it exports zeroclaw:tools/tool@1.0.0" in error.message
    assert "missing export zeroclaw:hooks/handler@1.0.0" in error.message
    assert error.hint is not None
    assert 'set wit_package = "zeroclaw:tools@1.0.0"' in error.hint


def test_right_names_with_wrong_types_are_refused(
    engine: Engine, components: dict[str, Path]
) -> None:
    fake = Component.from_file(engine, components["hooks_wrong_types"])

    with pytest.raises(ExportMismatchError) as caught:
        check_exports(fake.type, engine, parse_wit_package("zeroclaw:hooks@1.0.0"))

    message = caught.value.message
    assert "handles has the wrong type" in message
    assert "expected func() -> list<enum{on-gateway-start," in message
    assert "found    func() -> list<string>" in message
    assert "missing function before-tool-call" in message


def test_top_level_exports_are_unexpected(engine: Engine, components: dict[str, Path]) -> None:
    answer = Component.from_file(engine, components["answer"])

    with pytest.raises(ExportMismatchError, match="it exports functions answer"):
        check_exports(answer.type, engine, parse_wit_package("zeroclaw:tools@1.0.0"))


COMPONENTIZE_PY_INIT = """
(component
  (core module $m (func (export "init")))
  (core instance $i (instantiate $m))
  (func $init (canon lift (core func $i "init")))
  (instance $exports (export "init" (func $init)))
  (export "exports" (instance $exports))
)
"""


def test_componentize_py_init_export_is_ignored(engine: Engine) -> None:
    component = Component(engine, COMPONENTIZE_PY_INIT)

    assert describe_exports(component.type, engine) == {}


def test_imports_are_listed_without_instantiating(
    engine: Engine, components: dict[str, Path]
) -> None:
    kv = Component.from_file(engine, components["hook_kv"])
    wasi = Component.from_file(engine, components["hook_wasi"])
    plain = Component.from_file(engine, components["hook_minimal"])

    assert import_names(kv.type, engine) == ["zeroclaw:host/kv@1.0.0"]
    assert import_names(wasi.type, engine) == ["wasi:cli/environment@0.2.0"]
    assert import_names(plain.type, engine) == []


def test_export_table_matches_the_wit(tmp_path: Path) -> None:
    shipped = (
        Path(__file__).parents[3] / "src" / "zeroclaw" / "plugins" / "contract" / ABI_JSON_NAME
    )

    assert render_abi_json(tmp_path) == shipped.read_text(), (
        "wit/ changed: run `.venv/bin/python tests/plugins/wat_builder.py --write-abi`"
    )
