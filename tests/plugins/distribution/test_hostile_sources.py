"""Hostile archives and folders: each is refused with one clear line, and nothing is left
installed, pinned or staged."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from dist_support import MakeFolder, Run, set_plugins

Builder = Callable[[Path, Path], Path]


def _tar(out: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(out, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def _plugin_members(folder: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    return [
        _file("guard/plugin.toml", (folder / "plugin.toml").read_bytes()),
        _file("guard/plugin.wasm", (folder / "plugin.wasm").read_bytes()),
    ]


def traversal(folder: Path, out: Path) -> Path:
    return _tar(out, [*_plugin_members(folder), _file("guard/../../evil.txt", b"x")])


def absolute(folder: Path, out: Path) -> Path:
    return _tar(out, [*_plugin_members(folder), _file("/tmp/zeroclaw-evil.txt", b"x")])


def symlink_out(folder: Path, out: Path) -> Path:
    return _tar(
        out,
        [*_plugin_members(folder), _link("guard/passwd", "../../../etc/passwd", tarfile.SYMTYPE)],
    )


def hardlink_out(folder: Path, out: Path) -> Path:
    return _tar(
        out, [*_plugin_members(folder), _link("guard/shadow", "/etc/shadow", tarfile.LNKTYPE)]
    )


def size_bomb(folder: Path, out: Path) -> Path:
    # 3 MiB of zeros compress to a few KiB; the cap in these tests is 1 MiB
    return _tar(out, [*_plugin_members(folder), _file("guard/zeros.bin", bytes(3 << 20))])


def count_bomb(folder: Path, out: Path) -> Path:
    return _tar(out, [*_plugin_members(folder), *(_file(f"guard/f{i}", b"") for i in range(20))])


def zip_traversal(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        zf.write(folder / "plugin.toml", "guard/plugin.toml")
        zf.writestr("../../evil.txt", "x")
    return out


def zip_size_bomb(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(folder / "plugin.toml", "guard/plugin.toml")
        zf.writestr("guard/zeros.bin", bytes(3 << 20))
    return out


def component_outside(folder: Path, out: Path) -> Path:
    manifest = (folder / "plugin.toml").read_bytes().replace(b'"plugin.wasm"', b'"../plugin.wasm"')
    return _tar(
        out,
        [
            _file("plugin.toml", manifest),
            _file("plugin.wasm", (folder / "plugin.wasm").read_bytes()),
        ],
    )


def component_symlinked_out(folder: Path, out: Path) -> Path:
    manifest = (folder / "plugin.toml").read_bytes().replace(b'"plugin.wasm"', b'"link.wasm"')
    return _tar(
        out,
        [
            _file("guard/plugin.toml", manifest),
            _file("guard/plugin.wasm", (folder / "plugin.wasm").read_bytes()),
            _link("guard/link.wasm", "../../outside.wasm", tarfile.SYMTYPE),
        ],
    )


CASES: dict[str, tuple[Builder, str]] = {
    "traversal": (traversal, "climbs out of the folder with '..'"),
    "absolute path": (absolute, "has an absolute path"),
    "symlink out": (symlink_out, "is a symbolic link to '../../../etc/passwd', outside the folder"),
    "hard link out": (hardlink_out, "is a hard link to '/etc/shadow', outside the folder"),
    "size bomb": (size_bomb, "unpacks to more than 1 MiB"),
    "file-count bomb": (count_bomb, "holds more than 10 files"),
    "zip traversal": (zip_traversal, "climbs out of the folder with '..'"),
    "zip size bomb": (zip_size_bomb, "unpacks to more than 1 MiB"),
    "component outside its folder": (component_outside, "`component`: must be a path relative"),
    "component linked out": (component_symlinked_out, "is a symbolic link to '../../outside.wasm'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_archive_is_refused_and_nothing_is_left(
    case: str,
    run: Run,
    make_folder: MakeFolder,
    config_file: Path,
    install_dir: Path,
    lock_file: Path,
    tmp_path: Path,
) -> None:
    set_plugins(config_file, "install = { max_unpacked_mb = 1, max_files = 10 }")
    build, expected = CASES[case]
    suffix = ".zip" if case.startswith("zip") else ".tar.gz"
    archive = build(make_folder(), tmp_path / f"hostile{suffix}")

    result = run("plugins", "install", str(archive), "--yes")

    assert result.exit_code == 1
    assert expected in result.output
    assert result.output.count("error:") == 1
    assert "Traceback" not in result.output
    assert not install_dir.exists() or not any(install_dir.iterdir())
    assert not lock_file.exists()
    staging = install_dir.parent / ".plugins.staging"
    assert not staging.exists() or not any(staging.iterdir())
    assert not Path("/tmp/zeroclaw-evil.txt").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_a_folder_with_a_link_out_is_refused(
    run: Run, make_folder: MakeFolder, tmp_path: Path, install_dir: Path
) -> None:
    folder = make_folder()
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me")
    (folder / "notes.txt").symlink_to(secret)

    result = run("plugins", "install", str(folder), "--yes")

    assert result.exit_code == 1
    assert "outside the plugin folder" in result.output
    assert not (install_dir / "guard").exists()
