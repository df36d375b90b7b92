"""`plugins keygen | sign | verify` and plugins.signature_mode at install and load, with
real Ed25519 keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dist_support import MakeFolder, Run, set_plugins

from zeroclaw.config import load_config
from zeroclaw.plugins.lifecycle.registry import PluginRegistry


@pytest.fixture
def key(run: Run, tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "keys" / "release.key"
    result = run("plugins", "keygen", "--out", str(path))
    assert result.exit_code == 0, result.output
    public = result.output.strip().splitlines()[-1]
    assert public.startswith("ed25519:")
    assert (path.stat().st_mode & 0o777) == 0o600
    return path, public


def test_keygen_never_overwrites_a_key(run: Run, key: tuple[Path, str]) -> None:
    result = run("plugins", "keygen", "--out", str(key[0]))

    assert result.exit_code == 1
    assert "already exists; a key is never overwritten" in result.output


def test_sign_then_verify_against_the_trusted_keys(
    run: Run, make_folder: MakeFolder, key: tuple[Path, str], config_file: Path
) -> None:
    folder = make_folder()
    assert run("plugins", "sign", str(folder), "--key", str(key[0])).exit_code == 0

    untrusted = run("plugins", "verify", str(folder))
    assert untrusted.exit_code == 1
    assert f"is signed by {key[1]}, which is not in plugins.trusted_keys" in untrusted.output

    untrusted_json = run("plugins", "verify", str(folder), "--json")
    assert untrusted_json.exit_code == 1
    assert untrusted_json.stdout == ""
    error = json.loads(untrusted_json.stderr)["error"]
    assert "which is not in plugins.trusted_keys" in error["message"]

    set_plugins(config_file, f'trusted_keys = ["{key[1]}"]')
    trusted = run("plugins", "verify", str(folder))
    assert trusted.exit_code == 0, trusted.output
    assert f"signed by {key[1]} (trusted)" in trusted.output
    as_json = json.loads(run("plugins", "verify", str(folder), "--json").stdout)
    assert as_json == {
        "ok": True,
        "name": "guard",
        "version": as_json["version"],
        "signer": key[1],
        "trusted": True,
    }

    manifest = folder / "plugin.toml"
    manifest.write_text(manifest.read_text().replace("a test plugin", "an edited plugin"))
    changed = run("plugins", "verify", str(folder))
    assert changed.exit_code == 1
    assert "the manifest of plugin 'guard' changed after it was signed" in changed.output


def test_a_forged_signature_does_not_verify(
    run: Run, make_folder: MakeFolder, key: tuple[Path, str], config_file: Path, tmp_path: Path
) -> None:
    folder = make_folder()
    assert run("plugins", "sign", str(folder), "--key", str(key[0])).exit_code == 0
    other = tmp_path / "other.key"
    assert run("plugins", "keygen", "--out", str(other)).exit_code == 0
    forged_signer = (other.parent / "other.key.pub").read_text().strip()
    sig = folder / "plugin.sig"
    # claim the other key signed it, keeping the first key's signature bytes
    sig.write_text(sig.read_text().replace(key[1], forged_signer))
    set_plugins(config_file, f'trusted_keys = ["{forged_signer}"]')

    result = run("plugins", "verify", str(folder))

    assert result.exit_code == 1
    assert "the signature of plugin 'guard' does not verify" in result.output


def test_require_refuses_an_unsigned_plugin_at_install(
    run: Run, make_folder: MakeFolder, config_file: Path, install_dir: Path
) -> None:
    set_plugins(config_file, 'signature_mode = "require"')

    result = run("plugins", "install", str(make_folder()), "--yes")

    assert result.exit_code == 1
    assert "plugin 'guard' is not signed" in result.output
    assert not (install_dir / "guard").exists()


def test_require_installs_a_trusted_plugin_and_records_the_signer(
    run: Run, make_folder: MakeFolder, config_file: Path, key: tuple[Path, str], lock_file: Path
) -> None:
    folder = make_folder()
    assert run("plugins", "sign", str(folder), "--key", str(key[0])).exit_code == 0
    set_plugins(config_file, f'signature_mode = "require"\ntrusted_keys = ["{key[1]}"]')

    result = run("plugins", "install", str(folder), "--yes")

    assert result.exit_code == 0, result.output
    assert f"signed by {key[1]} (trusted)" in result.output
    assert f'signer = "{key[1]}"' in lock_file.read_text()


def _status(config_file: Path, name: str) -> object:
    config = load_config(config_file)
    with PluginRegistry.for_config(config) as registry:
        snapshot = registry.build(config.plugins, strict=False)
        status = snapshot.status(name)
        snapshot.close()
    return status


def test_load_under_require_refuses_a_component_changed_after_signing(
    make_folder: MakeFolder,
    config_file: Path,
    key: tuple[Path, str],
    tmp_path: Path,
    run: Run,
    components: dict[str, Path],
) -> None:
    dev = tmp_path / "dev"
    folder = make_folder(where=dev)
    assert run("plugins", "sign", str(folder), "--key", str(key[0])).exit_code == 0
    set_plugins(
        config_file, f'dirs = ["{dev}"]\nsignature_mode = "require"\ntrusted_keys = ["{key[1]}"]'
    )
    assert _status(config_file, "guard").state == "loaded"  # type: ignore[attr-defined]

    (folder / "plugin.wasm").write_bytes(components["hook_counter"].read_bytes())
    status = _status(config_file, "guard")

    assert status.state == "failed"  # type: ignore[attr-defined]
    assert "the component of plugin 'guard' changed after it was signed" in (
        status.error.message  # type: ignore[attr-defined]
    )


def test_warn_loads_an_unsigned_plugin_with_a_warning(
    make_folder: MakeFolder, config_file: Path, tmp_path: Path
) -> None:
    dev = tmp_path / "dev"
    make_folder(where=dev)
    set_plugins(config_file, f'dirs = ["{dev}"]\nsignature_mode = "warn"')

    status = _status(config_file, "guard")

    assert status.state == "loaded"  # type: ignore[attr-defined]
    assert any("is not signed" in w for w in status.plugin.warnings)  # type: ignore[attr-defined]


def test_a_malformed_trusted_key_is_a_config_error(run: Run, config_file: Path) -> None:
    set_plugins(config_file, 'trusted_keys = ["ed25519:short"]')

    result = run("plugins", "list")

    assert result.exit_code == 1
    assert "plugins.trusted_keys[0]" in result.output
    assert "Ed25519 public key" in result.output
