"""`plugins publish` and `plugins install oci://` against a real registry (Debian's
docker-registry on 127.0.0.1), and every refusal of what a registry may serve."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from dist_support import MakeFolder, Run, set_plugins

from zeroclaw.plugins.contract.lock import PluginLock
from zeroclaw.plugins.distribution.oci import (
    MANIFEST_MEDIA_TYPE,
    WASM_CONFIG_MEDIA_TYPE,
    WASM_LAYER_MEDIA_TYPE,
    publish,
    pull_resolved,
    resolve,
)
from zeroclaw.plugins.errors import OciError


def _manifest(registry: str, repo: str, reference: str) -> tuple[dict[str, object], str]:
    response = httpx.get(
        f"http://{registry}/v2/{repo}/manifests/{reference}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    response.raise_for_status()
    return response.json(), response.headers["Docker-Content-Digest"]


def test_publish_writes_the_wasm_oci_layout_and_install_pins_it(
    run: Run,
    make_folder: MakeFolder,
    registry: tuple[str, Path],
    install_dir: Path,
    lock_file: Path,
) -> None:
    host, _ = registry
    published = run("plugins", "publish", str(make_folder()), f"oci://{host}/zeroclaw/guard:1.0.0")
    assert published.exit_code == 0, published.output

    manifest, digest = _manifest(host, "zeroclaw/guard", "1.0.0")
    assert manifest["config"]["mediaType"] == WASM_CONFIG_MEDIA_TYPE  # type: ignore[index]
    types = [layer["mediaType"] for layer in manifest["layers"]]  # type: ignore[attr-defined]
    assert types == [WASM_LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE]
    assert manifest["annotations"]["org.opencontainers.image.version"] == "1.0.0"  # type: ignore[index]

    result = run("plugins", "install", f"oci://{host}/zeroclaw/guard:1.0.0", "--yes")
    assert result.exit_code == 0, result.output
    assert (install_dir / "guard" / "plugin.wasm").is_file()
    entry = PluginLock.read(lock_file).get("guard")
    assert entry is not None
    assert f"sha256:{entry.source_sha256}" == digest

    by_digest = run("plugins", "install", f"oci://{host}/zeroclaw/guard@{digest}", "--yes")
    assert by_digest.exit_code == 0, by_digest.output
    assert "already installed, unchanged" in by_digest.output


def test_a_signed_plugin_travels_with_its_signature(
    run: Run,
    make_folder: MakeFolder,
    registry: tuple[str, Path],
    config_file: Path,
    tmp_path: Path,
) -> None:
    host, _ = registry
    folder = make_folder()
    key = tmp_path / "release.key"
    public = run("plugins", "keygen", "--out", str(key)).output.strip().splitlines()[-1]
    assert run("plugins", "sign", str(folder), "--key", str(key)).exit_code == 0
    assert run("plugins", "publish", str(folder), f"oci://{host}/guard:signed").exit_code == 0
    set_plugins(config_file, f'signature_mode = "require"\ntrusted_keys = ["{public}"]')

    result = run("plugins", "install", f"oci://{host}/guard:signed", "--yes")

    assert result.exit_code == 0, result.output
    assert f"signed by {public} (trusted)" in result.output


def _blob_data(storage: Path, digest: str) -> Path:
    hexdigest = digest.removeprefix("sha256:")
    return storage / "docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest / "data"


def test_a_layer_whose_content_does_not_match_its_digest_is_refused(
    run: Run, make_folder: MakeFolder, registry: tuple[str, Path], install_dir: Path
) -> None:
    host, storage = registry
    assert run("plugins", "publish", str(make_folder()), f"oci://{host}/guard:1").exit_code == 0
    manifest, _ = _manifest(host, "guard", "1")
    wasm = manifest["layers"][0]  # type: ignore[index]
    data = _blob_data(storage, wasm["digest"])
    tampered = bytearray(data.read_bytes())
    tampered[-1] ^= 0xFF  # same size, other bytes
    data.write_bytes(bytes(tampered))

    result = run("plugins", "install", f"oci://{host}/guard:1", "--yes")

    assert result.exit_code == 1
    assert "its content does not match its digest" in result.output
    assert not (install_dir / "guard").exists()


def test_a_manifest_whose_content_does_not_match_its_digest_is_refused(
    run: Run, make_folder: MakeFolder, registry: tuple[str, Path]
) -> None:
    host, storage = registry
    assert run("plugins", "publish", str(make_folder()), f"oci://{host}/guard:1").exit_code == 0
    _, digest = _manifest(host, "guard", "1")
    data = _blob_data(storage, digest)
    document = json.loads(data.read_bytes())
    document["annotations"]["org.opencontainers.image.version"] = "6.6.6"
    data.write_bytes(json.dumps(document).encode())

    result = run("plugins", "install", f"oci://{host}/guard@{digest}", "--yes")

    assert result.exit_code == 1
    assert f"not {digest}: its content does not match its digest" in result.output


def test_an_oversized_layer_is_refused_before_it_is_downloaded(
    run: Run, make_folder: MakeFolder, registry: tuple[str, Path], config_file: Path
) -> None:
    host, _ = registry
    folder = make_folder()
    (folder / "plugin.wasm").write_bytes(bytes(2 << 20))  # publish does not validate
    assert run("plugins", "publish", str(folder), f"oci://{host}/guard:big").exit_code == 0
    set_plugins(config_file, "install = { max_download_mb = 1 }")

    result = run("plugins", "install", f"oci://{host}/guard:big", "--yes")

    assert result.exit_code == 1
    assert "over the 1 MiB cap (plugins.install.max_download_mb)" in result.output


def test_a_tag_that_moves_during_the_pull_is_refused(
    make_folder: MakeFolder, registry: tuple[str, Path], tmp_path: Path
) -> None:
    host, _ = registry
    publish(make_folder(), f"oci://{host}/guard:latest")
    resolved = resolve(f"oci://{host}/guard:latest")
    publish(make_folder(version="1.0.1", where=tmp_path / "v2"), f"oci://{host}/guard:latest")
    into = tmp_path / "pulled"
    into.mkdir()

    with pytest.raises(OciError, match="the tag moved while it was being pulled"):
        pull_resolved(resolved, into, max_layer_bytes=1 << 20)


def test_an_artifact_that_is_not_a_plugin_is_refused(
    run: Run, registry: tuple[str, Path], tmp_path: Path
) -> None:
    host, _ = registry
    import oras.client  # type: ignore[import-untyped]

    blob = tmp_path / "notes.txt"
    blob.write_text("hello")
    oras.client.OrasClient(hostname=host, insecure=True).push(
        f"{host}/notes:1", files=[str(blob)], disable_path_validation=True
    )

    result = run("plugins", "install", f"oci://{host}/notes:1", "--yes")

    assert result.exit_code == 1
    assert "not a Wasm component artifact" in result.output
