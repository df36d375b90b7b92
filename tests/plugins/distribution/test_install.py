"""`zeroclaw plugins install | remove | upgrade | list` and plugins.lock, through the real
CLI on real plugin folders, archives served by a loopback http server, and real loads."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from dist_support import MakeFolder, Run, set_plugins

from zeroclaw.config import load_config
from zeroclaw.plugins.contract.digests import sha256_file
from zeroclaw.plugins.contract.lock import PluginLock
from zeroclaw.plugins.lifecycle.registry import PluginRegistry


def tar_gz(folder: Path, out: Path) -> Path:
    with tarfile.open(out, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return out


def load(config_file: Path) -> dict[str, object]:
    """name -> PluginStatus after a real load of the config's plugins."""
    config = load_config(config_file)
    with PluginRegistry.for_config(config) as registry:
        snapshot = registry.build(config.plugins, strict=False)
        statuses = {status.name: status for status in snapshot.statuses}
        snapshot.close()
    return statuses  # type: ignore[return-value]


def test_install_from_a_folder_shows_the_grants_pins_it_and_it_loads(
    run: Run, make_folder: MakeFolder, install_dir: Path, lock_file: Path, config_file: Path
) -> None:
    folder = make_folder(capabilities=("log", "kv"))

    result = run("plugins", "install", str(folder), "--yes")

    assert result.exit_code == 0, result.output
    assert "plugin guard 1.0.0 (zeroclaw:hooks@1.0.0)" in result.output
    assert "asks for: kv, log" in result.output
    assert "this config grants: log" in result.output
    assert "not granted: kv" in result.output
    assert (install_dir / "guard" / "plugin.wasm").is_file()
    entry = PluginLock.read(lock_file).get("guard")
    assert entry is not None
    assert entry.source == str(folder)
    assert entry.component_sha256 == sha256_file(folder / "plugin.wasm")
    assert entry.manifest_sha256 == sha256_file(folder / "plugin.toml")
    assert load(config_file)["guard"].state == "loaded"  # type: ignore[attr-defined]
    listed = run("plugins", "list")
    assert f"source: {folder}, version 1.0.0, component sha256 {entry.component_sha256[:16]}" in (
        listed.output
    )


def test_declining_the_prompt_installs_nothing(
    run: Run, make_folder: MakeFolder, install_dir: Path, lock_file: Path
) -> None:
    result = run("plugins", "install", str(make_folder()), input="n\n")

    assert result.exit_code == 1
    assert "Install guard 1.0.0?" in result.output
    assert "not confirmed: nothing was installed" in result.output
    assert not (install_dir / "guard").exists()
    assert not lock_file.exists()


def test_a_plugin_that_fails_validation_is_not_installed(
    run: Run, make_folder: MakeFolder, install_dir: Path, lock_file: Path
) -> None:
    folder = make_folder()
    (folder / "plugin.wasm").write_bytes(b"\0asm not really")

    result = run("plugins", "install", str(folder), "--yes")

    assert result.exit_code == 1
    assert "failed validation, so nothing was installed" in result.output
    assert "Traceback" not in result.output
    assert not (install_dir / "guard").exists()
    assert not lock_file.exists()
    staging = install_dir.parent / ".plugins.staging"
    assert not staging.exists() or not any(staging.iterdir())


def test_install_from_a_loopback_url_pinned_by_sha256(
    run: Run,
    make_folder: MakeFolder,
    install_dir: Path,
    lock_file: Path,
    file_server: tuple[str, Path],
) -> None:
    base, served = file_server
    archive = tar_gz(make_folder(), served / "guard-1.0.0.tar.gz")
    digest = sha256_file(archive)

    wrong = run("plugins", "install", f"{base}/guard-1.0.0.tar.gz", "--sha256", "0" * 64, "--yes")
    assert wrong.exit_code == 1
    assert f"has sha256 {digest}, not the {'0' * 64}" in wrong.output
    assert not (install_dir / "guard").exists()

    result = run("plugins", "install", f"{base}/guard-1.0.0.tar.gz", "--sha256", digest, "--yes")
    assert result.exit_code == 0, result.output
    entry = PluginLock.read(lock_file).get("guard")
    assert entry is not None
    assert entry.source_sha256 == digest
    assert (install_dir / "guard" / "plugin.toml").is_file()


def test_plain_http_off_loopback_is_refused(run: Run) -> None:
    result = run("plugins", "install", "http://plugins.example.com/guard.tar.gz", "--yes")

    assert result.exit_code == 1
    assert "plain http is allowed only to a loopback address" in result.output


def test_a_zip_archive_installs_too(
    run: Run, make_folder: MakeFolder, install_dir: Path, tmp_path: Path
) -> None:
    folder = make_folder()
    archive = Path(shutil.make_archive(str(tmp_path / "guard"), "zip", folder))

    result = run("plugins", "install", str(archive), "--name", "guard", "--yes")

    assert result.exit_code == 0, result.output
    assert (install_dir / "guard" / "plugin.wasm").is_file()


def test_name_must_match_when_given(run: Run, make_folder: MakeFolder) -> None:
    result = run("plugins", "install", str(make_folder()), "--name", "other", "--yes")

    assert result.exit_code == 1
    assert "holds plugin 'guard', not 'other' (--name)" in result.output


def test_load_and_reload_refuse_a_component_swapped_after_install(
    run: Run,
    make_folder: MakeFolder,
    install_dir: Path,
    lock_file: Path,
    config_file: Path,
    components: dict[str, Path],
) -> None:
    assert run("plugins", "install", str(make_folder()), "--yes").exit_code == 0
    pinned = PluginLock.read(lock_file).get("guard")
    assert pinned is not None
    swapped = install_dir / "guard" / "plugin.wasm"
    shutil.copy(components["hook_counter"], swapped)  # a valid component, just not this one

    status = load(config_file)["guard"]

    assert status.state == "failed"  # type: ignore[attr-defined]
    message = status.error.message  # type: ignore[attr-defined]
    assert str(swapped) in message
    assert pinned.component_sha256 in message
    assert sha256_file(swapped) in message
    assert str(lock_file) in message


def test_an_edited_manifest_is_refused_too(
    run: Run, make_folder: MakeFolder, install_dir: Path, config_file: Path
) -> None:
    assert run("plugins", "install", str(make_folder()), "--yes").exit_code == 0
    manifest = install_dir / "guard" / "plugin.toml"
    manifest.write_text(manifest.read_text().replace('["log"]', '["log", "kv"]'))

    status = load(config_file)["guard"]

    assert status.state == "failed"  # type: ignore[attr-defined]
    assert "the manifest of plugin 'guard' has sha256" in status.error.message  # type: ignore[attr-defined]


def test_install_locked_restores_what_the_lock_pins(
    run: Run,
    make_folder: MakeFolder,
    install_dir: Path,
    tmp_path: Path,
    file_server: tuple[str, Path],
) -> None:
    base, served = file_server
    tar_gz(make_folder(), served / "guard.tar.gz")
    assert run("plugins", "install", f"{base}/guard.tar.gz", "--yes").exit_code == 0
    shutil.rmtree(install_dir / "guard")  # a new machine, with the config and the lock

    result = run("plugins", "install", "--locked")

    assert result.exit_code == 0, result.output
    assert "guard 1.0.0: installed from" in result.output
    assert (install_dir / "guard" / "plugin.wasm").is_file()

    # the archive behind the URL changed: --locked refuses it
    shutil.rmtree(install_dir / "guard")
    tar_gz(make_folder(version="1.0.1", where=tmp_path / "v2"), served / "guard.tar.gz")
    changed = run("plugins", "install", "--locked")
    assert changed.exit_code == 1
    assert "not the" in changed.output
    assert not (install_dir / "guard").exists()


def test_remove_deletes_the_folder_and_the_pin(
    run: Run, make_folder: MakeFolder, install_dir: Path, lock_file: Path
) -> None:
    assert run("plugins", "install", str(make_folder()), "--yes").exit_code == 0

    result = run("plugins", "remove", "guard")

    assert result.exit_code == 0, result.output
    assert not (install_dir / "guard").exists()
    assert PluginLock.read(lock_file).get("guard") is None
    again = run("plugins", "remove", "guard")
    assert again.exit_code == 1
    assert "plugin 'guard' is not installed" in again.output


def test_upgrade_shows_the_grant_diff_and_keeps_the_old_version_when_the_new_one_fails(
    run: Run, make_folder: MakeFolder, install_dir: Path, lock_file: Path, config_file: Path
) -> None:
    set_plugins(config_file, "")
    folder = make_folder()
    assert run("plugins", "install", str(folder), "--yes").exit_code == 0
    old = PluginLock.read(lock_file).get("guard")

    # a broken new version: validation fails, the old one stays
    manifest = folder / "plugin.toml"
    manifest.write_text(manifest.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    (folder / "plugin.wasm").write_bytes(b"garbage")
    failed = run("plugins", "upgrade", "guard", "--yes")
    assert failed.exit_code == 1
    assert PluginLock.read(lock_file).get("guard") == old
    assert sha256_file(install_dir / "guard" / "plugin.wasm") == old.component_sha256  # type: ignore[union-attr]

    # a good new version that asks for less
    make_folder(version="1.1.0", capabilities=())
    upgraded = run("plugins", "upgrade", "guard", "--yes")
    assert upgraded.exit_code == 0, upgraded.output
    assert "replaces version 1.0.0" in upgraded.output
    assert "grant changes: -log" in upgraded.output
    entry = PluginLock.read(lock_file).get("guard")
    assert entry is not None
    assert entry.version == "1.1.0"


def test_a_plugin_already_in_plugins_dirs_is_not_installed_twice(
    run: Run, make_folder: MakeFolder, config_file: Path, tmp_path: Path
) -> None:
    dev = tmp_path / "dev"
    make_folder(where=dev)
    set_plugins(config_file, f'dirs = ["{dev}"]')

    result = run("plugins", "install", str(dev / "guard"), "--yes")

    assert result.exit_code == 1
    assert "is already in plugins.dirs" in result.output


def test_a_broken_lock_file_is_one_clear_error(run: Run, lock_file: Path) -> None:
    lock_file.write_text("format = 1\n[plugins.guard]\nsource = 3\n")

    result = run("plugins", "list")

    assert result.exit_code == 1
    assert f"{lock_file}: plugins.guard.source" in result.output
    assert "Traceback" not in result.output
