"""Plugins as OCI artifacts: `plugins publish PATH oci://...` and `install oci://...`.

The layout is the ecosystem's one for WebAssembly components (the CNCF Wasm OCI artifact
layout, which wkg, wasm-pkg-tools and Wassette read):

- config: media type `application/vnd.wasm.config.v0+json`, a JSON object with
  `architecture: "wasm"`, `os: "wasip2"`, `layerDigests` (the component layer) and
  `component.target` (the WIT world the plugin implements);
- layer 1: the component, media type `application/wasm`;
- layer 2: plugin.toml, `application/vnd.zeroclaw.plugin.manifest.v1+toml`;
- layer 3 (when signed): plugin.sig, `application/vnd.zeroclaw.plugin.signature.v1+toml`;
- annotations: the plugin's name, version and description (`org.opencontainers.image.*`)
  and its signer.

So a component tool sees an ordinary Wasm component, and ZeroClaw gets the manifest and
the signature with it.

Talking to the registry goes through the `oras` library (its `Registry` provider: the
auth, the upload session protocol). It does not check what it downloads, so this module
does, and refuses:
- a manifest whose sha256 is not the digest it was asked for (by digest, or the digest
  the tag resolved to), or that is not an OCI image manifest;
- a layer whose declared size is over `plugins.install.max_download_mb`, or whose body
  runs past its declared size or the cap (the stream is cut there);
- a blob whose sha256 is not its digest;
- a tag that resolves to another digest after the pull than before it (everything is
  fetched by the first digest; the tag is checked again at the end, so an install never
  records a tag as pinning content it no longer points to).

Plain http is used only for a registry on a loopback address (a local registry, tests).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zeroclaw.plugins.contract.digests import sha256_bytes, sha256_file
from zeroclaw.plugins.contract.manifest import MANIFEST_FILE, load_manifest, parse_manifest
from zeroclaw.plugins.contract.signature import SIGNATURE_FILE, read_signature
from zeroclaw.plugins.distribution.download import is_loopback
from zeroclaw.plugins.errors import OciError

WASM_CONFIG_MEDIA_TYPE = "application/vnd.wasm.config.v0+json"
WASM_LAYER_MEDIA_TYPE = "application/wasm"
MANIFEST_MEDIA_TYPE = "application/vnd.zeroclaw.plugin.manifest.v1+toml"
SIGNATURE_MEDIA_TYPE = "application/vnd.zeroclaw.plugin.signature.v1+toml"
OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
_TITLE = "org.opencontainers.image.title"
_SIGNER = "dev.zeroclaw.plugin.signer"
_MAX_MANIFEST_BYTES = 4 << 20
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class OciReference:
    registry: str
    repository: str
    tag: str | None
    digest: str | None  # "sha256:..."

    @classmethod
    def parse(cls, text: str) -> OciReference:
        rest = text.removeprefix("oci://")
        registry, slash, path = rest.partition("/")
        digest = None
        if "@" in path:
            path, _, digest = path.partition("@")
            if not digest.startswith("sha256:") or len(digest) != 71:
                raise OciError(
                    f"{text}: {digest!r} is not a sha256 digest",
                    hint="write oci://REGISTRY/REPO@sha256:<64 hex digits>",
                )
        tag = None
        name, colon, maybe_tag = path.rpartition(":")
        if colon and "/" not in maybe_tag:
            path, tag = name, maybe_tag
        if not slash or not registry or not path:
            raise OciError(
                f"{text!r} is not an OCI reference",
                hint="write oci://REGISTRY/REPO:TAG or oci://REGISTRY/REPO@sha256:DIGEST",
            )
        if tag is None and digest is None:
            tag = "latest"
        return cls(registry, path, tag, digest)

    @property
    def host(self) -> str:
        return (
            self.registry.rsplit(":", 1)[0]
            if not self.registry.startswith("[")
            else (self.registry.split("]")[0] + "]")
        )

    def at(self, reference: str) -> str:
        """`registry/repo:tag` or `registry/repo@digest`, as oras parses it."""
        separator = "@" if reference.startswith("sha256:") else ":"
        return f"{self.registry}/{self.repository}{separator}{reference}"

    def __str__(self) -> str:
        tail = f"@{self.digest}" if self.digest else f":{self.tag}"
        return f"oci://{self.registry}/{self.repository}{tail}"


def _registry(reference: OciReference) -> Any:
    import oras.provider  # type: ignore[import-untyped]

    return oras.provider.Registry(hostname=reference.registry, insecure=is_loopback(reference.host))


# -- publishing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Published:
    reference: str
    digest: str  # of the OCI manifest


def publish(directory: Path, target: str) -> Published:
    """Push the plugin in `directory` to `target` (oci://REGISTRY/REPO:TAG)."""
    reference = OciReference.parse(target)
    if reference.tag is None or reference.digest is not None:
        raise OciError(f"{target}: publish to a tag", hint="write oci://REGISTRY/REPO:TAG")
    manifest = load_manifest(directory)
    from zeroclaw.plugins.contract.manifest import component_file

    component = component_file(directory, manifest)
    signature = read_signature(directory)
    registry = _registry(reference)
    container = registry.get_container(reference.at(reference.tag))
    with tempfile.TemporaryDirectory(prefix="zeroclaw-publish-") as temporary:
        wasm_layer = _layer(component, WASM_LAYER_MEDIA_TYPE, "plugin.wasm")
        config = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "architecture": "wasm",
            "os": "wasip2",
            "layerDigests": [wasm_layer["digest"]],
            "component": {"target": _world(manifest.wit_package)},
        }
        config_path = Path(temporary) / "config.json"
        config_path.write_text(json.dumps(config, indent=2))
        config_layer = _layer(config_path, WASM_CONFIG_MEDIA_TYPE, None)
        layers = [(component, wasm_layer)]
        layers.append(
            (
                directory / MANIFEST_FILE,
                _layer(directory / MANIFEST_FILE, MANIFEST_MEDIA_TYPE, MANIFEST_FILE),
            )
        )
        if signature is not None:
            sig_path = directory / SIGNATURE_FILE
            layers.append((sig_path, _layer(sig_path, SIGNATURE_MEDIA_TYPE, SIGNATURE_FILE)))
        for path, layer in [(config_path, config_layer), *layers]:
            _check(
                registry.upload_blob(str(path), container, layer), f"uploading {path.name}", target
            )
        annotations = {
            _TITLE: manifest.name,
            "org.opencontainers.image.version": manifest.version,
            "org.opencontainers.image.description": manifest.description,
        }
        if signature is not None:
            annotations[_SIGNER] = signature.signer
        document = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST_MEDIA_TYPE,
            "config": config_layer,
            "layers": [layer for _, layer in layers],
            "annotations": annotations,
        }
        response = registry.upload_manifest(document, container)
        _check(response, "uploading the manifest", target)
    digest = response.headers.get("Docker-Content-Digest", "")
    return Published(str(reference), digest)


def _world(wit_package: str) -> str:
    namespace_name, _, version = wit_package.partition("@")
    package = namespace_name.split(":", 1)[1]
    return f"{namespace_name}/{package}@{version}"


def _layer(path: Path, media_type: str, title: str | None) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "mediaType": media_type,
        "digest": "sha256:" + sha256_file(path),
        "size": path.stat().st_size,
    }
    if title is not None:
        layer["annotations"] = {_TITLE: title}
    return layer


def _check(response: Any, what: str, target: str) -> None:
    if response.status_code not in (200, 201, 202):
        raise OciError(
            f"{target}: {what} failed: HTTP {response.status_code} {response.text[:200]}",
            hint="check the registry address, the repository name and your credentials "
            "(docker login)",
        )


# -- pulling ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolved:
    reference: OciReference
    digest: str  # sha256:... of the manifest
    manifest: dict[str, Any]


def resolve(text: str, expected_digest: str | None = None) -> Resolved:
    """The manifest `text` names, checked against its digest."""
    reference = OciReference.parse(text)
    if expected_digest is not None:
        wanted = f"sha256:{expected_digest}"
        if reference.digest is not None and reference.digest != wanted:
            raise OciError(
                f"{text}: the reference's digest is not the pinned sha256 {expected_digest}",
                hint="pin the digest the reference names",
            )
        reference = OciReference(reference.registry, reference.repository, reference.tag, wanted)
    raw = _manifest_bytes(reference, reference.digest or reference.tag or "latest")
    digest = "sha256:" + sha256_bytes(raw)
    if reference.digest is not None and digest != reference.digest:
        raise OciError(
            f"{text}: the registry's manifest has digest {digest}, not {reference.digest}: "
            "its content does not match its digest",
            hint="the registry or something between serves altered content: do not install it",
        )
    try:
        manifest = json.loads(raw)
    except json.JSONDecodeError:
        raise OciError(f"{text}: the manifest is not JSON", hint="check the reference") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("schemaVersion") != 2
        or not isinstance(manifest.get("layers"), list)
    ):
        raise OciError(
            f"{text}: not an OCI image manifest (an index or another kind of document)",
            hint="publish the plugin with `zeroclaw plugins publish`",
        )
    return Resolved(reference, digest, manifest)


def pull(text: str, into: Path, *, max_layer_bytes: int, expected_digest: str | None) -> str:
    """Fetch the plugin `text` names into the folder `into`; returns the manifest's sha256
    (hex, without prefix)."""
    resolved = resolve(text, expected_digest)
    return pull_resolved(resolved, into, max_layer_bytes=max_layer_bytes)


def pull_resolved(resolved: Resolved, into: Path, *, max_layer_bytes: int) -> str:
    reference = resolved.reference
    registry = _registry(reference)
    container = registry.get_container(reference.at(resolved.digest))
    config = resolved.manifest.get("config", {})
    if config.get("mediaType") != WASM_CONFIG_MEDIA_TYPE:
        raise OciError(
            f"{reference}: not a Wasm component artifact (config media type "
            f"{config.get('mediaType')!r}, expected {WASM_CONFIG_MEDIA_TYPE})",
            hint="publish the plugin with `zeroclaw plugins publish`",
        )
    by_type: dict[str, dict[str, Any]] = {}
    for layer in resolved.manifest["layers"]:
        media_type = layer.get("mediaType")
        if media_type in (WASM_LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, SIGNATURE_MEDIA_TYPE):
            if media_type in by_type:
                raise OciError(
                    f"{reference}: more than one {media_type} layer",
                    hint="publish the plugin with `zeroclaw plugins publish`",
                )
            by_type[media_type] = layer
    for needed in (WASM_LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE):
        if needed not in by_type:
            raise OciError(
                f"{reference}: the artifact has no {needed} layer, so it is not a ZeroClaw plugin",
                hint="publish the plugin with `zeroclaw plugins publish`",
            )
    manifest_path = into / MANIFEST_FILE
    _fetch_blob(
        registry, container, by_type[MANIFEST_MEDIA_TYPE], manifest_path, max_layer_bytes, reference
    )
    plugin = parse_manifest(manifest_path.read_text(encoding="utf-8"), source=manifest_path)
    component_path = into / plugin.component
    component_path.parent.mkdir(parents=True, exist_ok=True)
    _fetch_blob(
        registry,
        container,
        by_type[WASM_LAYER_MEDIA_TYPE],
        component_path,
        max_layer_bytes,
        reference,
    )
    if SIGNATURE_MEDIA_TYPE in by_type:
        _fetch_blob(
            registry,
            container,
            by_type[SIGNATURE_MEDIA_TYPE],
            into / SIGNATURE_FILE,
            max_layer_bytes,
            reference,
        )
    if reference.tag is not None and reference.digest is None:
        now = "sha256:" + sha256_bytes(_manifest_bytes(reference, reference.tag))
        if now != resolved.digest:
            raise OciError(
                f"{reference}: the tag moved while it was being pulled (from {resolved.digest} "
                f"to {now})",
                hint="install again, or install by digest (oci://REGISTRY/REPO@sha256:...) "
                "to pin one version",
            )
    return resolved.digest.removeprefix("sha256:")


def _manifest_bytes(reference: OciReference, tag_or_digest: str) -> bytes:
    registry = _registry(reference)
    container = registry.get_container(reference.at(tag_or_digest))
    import requests

    try:
        registry.auth.load_configs(container)
        response = registry.do_request(
            f"{registry.prefix}://{container.manifest_url()}",
            "GET",
            headers={"Accept": OCI_MANIFEST_MEDIA_TYPE},
            stream=True,
        )
    except (requests.RequestException, ValueError) as exc:
        raise OciError(
            f"{reference}: cannot reach the registry: {exc}",
            hint="check the registry address and that it is running",
        ) from None
    with response:
        if response.status_code == 404:
            raise OciError(
                f"{reference}: not found in the registry", hint="check the repository and tag"
            )
        if response.status_code != 200:
            raise OciError(
                f"{reference}: the registry answered HTTP {response.status_code}",
                hint="check the reference and your credentials (docker login)",
            )
        body = b""
        for chunk in response.iter_content(_CHUNK):
            body += chunk
            if len(body) > _MAX_MANIFEST_BYTES:
                raise OciError(
                    f"{reference}: the manifest is larger than 4 MiB", hint="check the reference"
                )
    return body


def _fetch_blob(
    registry: Any,
    container: Any,
    layer: dict[str, Any],
    path: Path,
    max_bytes: int,
    reference: OciReference,
) -> None:
    import requests

    digest = str(layer.get("digest", ""))
    size = layer.get("size")
    title = layer.get("annotations", {}).get(_TITLE, layer.get("mediaType"))
    if not digest.startswith("sha256:") or not isinstance(size, int) or size < 0:
        raise OciError(
            f"{reference}: layer {title} has no valid digest and size", hint="republish it"
        )
    if size > max_bytes:
        raise OciError(
            f"{reference}: layer {title} is {size} bytes, over the "
            f"{max_bytes // (1 << 20)} MiB cap (plugins.install.max_download_mb)",
            hint="raise plugins.install.max_download_mb if you expect a plugin this large",
        )
    hasher = hashlib.sha256()
    received = 0
    try:
        with registry.get_blob(container, digest, stream=True) as response:
            if response.status_code != 200:
                raise OciError(
                    f"{reference}: fetching layer {title} failed: HTTP {response.status_code}",
                    hint="check the registry",
                )
            with path.open("wb") as out:
                for chunk in response.iter_content(_CHUNK):
                    received += len(chunk)
                    if received > size:
                        raise OciError(
                            f"{reference}: layer {title} is larger than its declared {size} bytes",
                            hint="the registry serves altered content: do not install it",
                        )
                    hasher.update(chunk)
                    out.write(chunk)
    except requests.RequestException as exc:
        raise OciError(
            f"{reference}: fetching layer {title} failed: {exc}", hint="check the registry"
        ) from None
    actual = "sha256:" + hasher.hexdigest()
    if actual != digest:
        raise OciError(
            f"{reference}: layer {title} has digest {actual}, not {digest}: its content does not "
            "match its digest",
            hint="the registry or something between serves altered content: do not install it",
        )
