"""A plugin built for a newer patch of the ABI loads and answers: a real component whose WIT
packages are `zeroclaw:hooks@1.0.9` and `zeroclaw:host@1.0.3`, on a host at 1.0.0.

The WIT is the repository's own with only the version changed, made at test time (a copy
under fixtures/ could drift from wit/). The component's exports and imports carry those
versions in their names (`zeroclaw:hooks/handler@1.0.9#handles`), which is what the host
must accept.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from runtime_support import LoadPlugins
from wat_builder import WIT

from zeroclaw.hooks import Cancel, Event, ToolCallRequest
from zeroclaw.plugins.authoring.build import wat_component
from zeroclaw.plugins.contract.abi import check_wit_package, export_table, parse_wit_package
from zeroclaw.plugins.errors import AbiError

HOOKS_AT = "1.0.9"
HOST_AT = "1.0.3"

# before-tool-call logs the tool's name through zeroclaw:host/log@1.0.3 and cancels.
PATCHED_HOOK = f"""
(module
  (import "zeroclaw:host/log@{HOST_AT}" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  ;; handles() -> [before-tool-call] (enum case 13)
  (data (i32.const 16) "\\0d")
  (data (i32.const 24) "\\10\\00\\00\\00\\01\\00\\00\\00")
  ;; cancel(reason = "patched host") : disc 2, (ptr 96, len 12)
  (data (i32.const 96) "patched host")
  (data (i32.const 128) "\\02\\00\\00\\00\\60\\00\\00\\00\\0c\\00\\00\\00")

  (func (export "zeroclaw:hooks/handler@{HOOKS_AT}#handles") (result i32)
    i32.const 24)

  (func (export "zeroclaw:hooks/handler@{HOOKS_AT}#before-tool-call")
    (param $sid i32) (param $sid_len i32)
    (param $tool i32) (param $tool_len i32)
    (param $args i32) (param $args_len i32)
    (result i32)
    (call $log (i32.const 2) (local.get $tool) (local.get $tool_len))
    i32.const 128)
)
"""


def versioned_wit(out: Path) -> Path:
    """A WIT root: the world `test:patch/hooks-patch` over the repository's hooks package
    at HOOKS_AT and host package at HOST_AT."""
    root = out / "wit"
    for package, version in (("hooks", HOOKS_AT), ("host", HOST_AT)):
        target = root / "deps" / f"zeroclaw-{package}"
        shutil.copytree(WIT / package / "v1", target)
        for file in target.glob("*.wit"):
            text = file.read_text()
            file.write_text(
                text.replace(f"zeroclaw:{package}@1.0.0", f"zeroclaw:{package}@{version}")
            )
    (root / "patch.wit").write_text(
        "package test:patch;\n\nworld hooks-patch {\n"
        f"    include zeroclaw:hooks/hooks@{HOOKS_AT};\n"
        f"    import zeroclaw:host/log@{HOST_AT};\n}}\n"
    )
    return root


@pytest.fixture(scope="module")
def patched_component(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("patched")
    wit = versioned_wit(work)
    return wat_component(PATCHED_HOOK, wit, "test:patch/hooks-patch", work / "patched.wasm", work)


def test_the_host_table_for_1_0_serves_every_patch_and_no_newer_minor() -> None:
    table = export_table(parse_wit_package("zeroclaw:hooks@1.0.9"))

    assert table is not None
    assert list(table) == ["zeroclaw:hooks/handler@1.0.9"]
    assert export_table(parse_wit_package("zeroclaw:hooks@1.1.0")) is None
    with pytest.raises(AbiError, match=r"newer than this host's zeroclaw:hooks@1\.0\.0"):
        check_wit_package("zeroclaw:hooks@1.1.0")


async def test_a_plugin_built_for_a_newer_patch_loads_and_answers(
    plugins_dir: Path,
    patched_component: Path,
    load: LoadPlugins,
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory = plugins_dir / "patched"
    directory.mkdir()
    shutil.copy(patched_component, directory / "plugin.wasm")
    (directory / "plugin.toml").write_text(
        'name = "patched"\nversion = "1.0.0"\n'
        f'wit_package = "zeroclaw:hooks@{HOOKS_AT}"\ncomponent = "plugin.wasm"\n'
        'capabilities = ["log", "hooks.conversation", "hooks.modify"]\n'
    )
    caplog.set_level(logging.INFO, logger="zeroclaw.plugin.patched")

    snapshot = load()

    status = snapshot.status("patched")
    assert status is not None
    assert status.error is None, status.error
    plugin = snapshot.plugins["patched"]
    assert str(plugin.package) == f"zeroclaw:hooks@{HOOKS_AT}"
    assert plugin.interface == f"zeroclaw:hooks/handler@{HOOKS_AT}"
    assert plugin.imports == (f"zeroclaw:host/log@{HOST_AT}",)
    assert plugin.events == {Event.BEFORE_TOOL_CALL}
    handler = next(h for h in snapshot.hook_handlers() if h.plugin.name == "patched")
    result = await handler.handle(Event.BEFORE_TOOL_CALL, ToolCallRequest("s1", "ls", {}))
    assert result == Cancel("patched host")
    lines = [r.getMessage() for r in caplog.records if r.name == "zeroclaw.plugin.patched"]
    assert lines == ["ls"]
