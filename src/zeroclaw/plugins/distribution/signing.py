"""Making keys and signing plugins (`zeroclaw plugins keygen`, `plugins sign`).

A signing key is an Ed25519 private key in a PKCS#8 PEM file, written with mode 0600 and
never overwritten; its public key goes beside it in `KEY.pub`, in the text form
`plugins.trusted_keys` takes ("ed25519:" and 32 bytes in base64). The private key stays
with the publisher; an operator only ever needs the public one.

`sign` writes plugin.sig into the plugin folder (format: contract/signature.py): the
signature covers the plugin.toml bytes and the component's sha256, so it must be made
after the last build and the last edit of the manifest.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import tomlkit
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from zeroclaw.plugins.contract.digests import PluginDigests, plugin_digests
from zeroclaw.plugins.contract.manifest import load_manifest
from zeroclaw.plugins.contract.signature import (
    SIGNATURE_FILE,
    SIGNATURE_FORMAT,
    public_key_text,
    signed_message,
)
from zeroclaw.plugins.errors import SignatureError


def generate_key(path: Path) -> str:
    """Write a new private key to `path` (0600) and its public key to `path.pub`; return the
    public key's text. An existing file is never replaced."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public = public_key_text(key.public_key())
    public_path = path.with_name(path.name + ".pub")
    for existing in (path, public_path):
        if existing.exists():
            raise SignatureError(
                f"{existing} already exists; a key is never overwritten",
                hint="choose another --out path, or move the old key away first",
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)
    public_path.write_text(public + "\n", encoding="utf-8")
    return public


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise SignatureError(
            f"signing key {path} does not exist",
            hint="make one with `zeroclaw plugins keygen --out PATH`",
        ) from None
    except (ValueError, TypeError) as exc:
        raise SignatureError(
            f"{path} is not an unencrypted PEM private key: {exc}",
            hint="give the key file `zeroclaw plugins keygen` wrote (not the .pub)",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(
            f"{path} holds a {type(key).__name__}, not an Ed25519 key",
            hint="make an Ed25519 key with `zeroclaw plugins keygen`",
        )
    return key


def sign_plugin(directory: Path, key: Ed25519PrivateKey) -> tuple[Path, str, PluginDigests]:
    """Sign the plugin in `directory`; returns plugin.sig's path, the signer and the digests."""
    manifest = load_manifest(directory)
    digests = plugin_digests(directory, manifest)
    signature = key.sign(signed_message(digests.manifest_bytes, digests.component_sha256))
    signer = public_key_text(key.public_key())
    document = tomlkit.document()
    document.add(tomlkit.comment(f"Signature of plugin {manifest.name} {manifest.version}."))
    document["format"] = SIGNATURE_FORMAT
    document["signer"] = signer
    document["manifest_sha256"] = digests.manifest_sha256
    document["component_sha256"] = digests.component_sha256
    document["signature"] = base64.b64encode(signature).decode()
    path = directory / SIGNATURE_FILE
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return path, signer, digests
