"""A filesystem grant means the directory it names on disk: a symlink inside an allowed
directory does not lead a preopen out of it, nor around a deny rule."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from zeroclaw.plugins.contract.grants import grant_capabilities


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "allowed" / "private").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "allowed" / "escape").symlink_to(tmp_path / "outside")
    (tmp_path / "allowed" / "alias").symlink_to(tmp_path / "allowed" / "private")
    return tmp_path


def test_a_symlink_out_of_an_allowed_directory_is_not_granted(tree: Path) -> None:
    grants = grant_capabilities(
        [f"fs.read:{tree}/allowed/escape"], [f"fs.read:{tree}/allowed"], plugin="p"
    )
    assert grants.fs_read_dirs == frozenset()
    assert [r.reason for r in grants.refused] == ["not_allowed"]


def test_a_symlink_does_not_get_around_a_deny_rule(tree: Path) -> None:
    grants = grant_capabilities(
        [f"fs.read:{tree}/allowed/alias"],
        [f"fs.read:{tree}/allowed"],
        [f"fs.read:{tree}/allowed/private"],
        plugin="p",
    )
    assert grants.fs_read_dirs == frozenset()
    assert [r.reason for r in grants.refused] == ["denied"]


def test_a_granted_directory_is_its_real_path(tree: Path) -> None:
    (tree / "link-to-allowed").symlink_to(tree / "allowed")
    grants = grant_capabilities(
        [f"fs.read:{tree}/link-to-allowed/private"], [f"fs.read:{tree}/allowed"], plugin="p"
    )
    assert grants.fs_read_dirs == {os.path.realpath(tree / "allowed" / "private")}


def test_a_granted_directory_replaced_by_a_symlink_is_not_preopened(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wasmtime

    from zeroclaw.plugins.wasm.instance import WasiSettings

    granted = str(tree / "allowed" / "private")
    settings = WasiSettings.granted(frozenset({granted}), frozenset(), frozenset())
    assert settings.read_dirs == (granted,)
    opened: list[Any] = []
    monkeypatch.setattr(
        wasmtime.WasiConfig, "preopen_dir", lambda self, *args, **kw: opened.append(args)
    )
    settings.config()
    assert opened == [(granted, granted)]
    opened.clear()
    os.rmdir(granted)
    os.symlink(tree / "outside", granted)
    settings.config()
    assert opened == []
