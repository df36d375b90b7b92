"""Plugin signatures: who vouches for this manifest and this component.

A signature is an Ed25519 signature over the plugin's manifest bytes and its component's
sha256 (`signed_message`), kept beside them in `plugin.sig`:

```toml
format = "zeroclaw-plugin-signature-v1"
signer = "ed25519:Q0d1..."         # the public key, as `zeroclaw plugins keygen` prints it
manifest_sha256 = "51de..."
component_sha256 = "9a0b..."
signature = "base64..."
```

Changing either file breaks it: the digests it names are checked first (so the error can
say which file changed), then the signature itself over the bytes on disk. The manifest is
signed as bytes, not as parsed TOML, so no two tools can disagree about what was signed.

`check_signature` says what a plugin directory's signature is worth; `enforce` applies
`plugins.signature_mode`: `off` looks at nothing, `warn` turns every problem into a
warning, `require` refuses an unsigned plugin, a signer not in `plugins.trusted_keys`,
and a file changed after signing, each with its own message.

Signing (private keys) is in distribution/signing.py; verifying needs only public keys.
This module does not import wasmtime.
"""

from __future__ import annotations

import base64
import binascii
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, ValidationError

from zeroclaw.config.models import SignatureMode
from zeroclaw.plugins.contract.digests import PluginDigests
from zeroclaw.plugins.errors import SignatureError

SIGNATURE_FILE = "plugin.sig"
SIGNATURE_FORMAT = "zeroclaw-plugin-signature-v1"
KEY_PREFIX = "ed25519:"


class PluginSignature(BaseModel):
    """A parsed plugin.sig."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["zeroclaw-plugin-signature-v1"]
    signer: str
    manifest_sha256: str
    component_sha256: str
    signature: str


def signed_message(manifest_bytes: bytes, component_sha256: str) -> bytes:
    """The exact bytes an Ed25519 signature covers."""
    return (
        f"{SIGNATURE_FORMAT}\ncomponent-sha256:{component_sha256}\nmanifest:\n".encode()
        + manifest_bytes
    )


def public_key_text(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return KEY_PREFIX + base64.b64encode(raw).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    kind, _, encoded = text.strip().partition(":")
    try:
        raw = base64.b64decode(encoded, validate=True)
        if kind + ":" != KEY_PREFIX:
            raise ValueError(kind)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise SignatureError(
            f"{text!r} is not an Ed25519 public key",
            hint='write it as `zeroclaw plugins keygen` prints it: "ed25519:" and 32 bytes '
            "in base64",
        ) from None


def read_signature(directory: Path) -> PluginSignature | None:
    """The plugin's plugin.sig, or None when it has none."""
    path = directory / SIGNATURE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return PluginSignature.model_validate(data)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise SignatureError(
            f"{path} is not a plugin signature: {str(exc).splitlines()[0]}",
            hint="sign the plugin again with `zeroclaw plugins sign PATH --key KEY`",
        ) from None


SignatureState = Literal["ok", "unsigned", "untrusted", "changed", "invalid"]


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What one plugin's signature is worth. `problem` says why when state is not ok."""

    state: SignatureState
    signer: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def check_signature(
    plugin: str, directory: Path, digests: PluginDigests, trusted_keys: list[str]
) -> SignatureCheck:
    """Verify `directory`'s plugin.sig against the files on disk and the trusted keys."""
    signature = read_signature(directory)
    where = directory / SIGNATURE_FILE
    if signature is None:
        return SignatureCheck("unsigned", None, f"plugin {plugin!r} is not signed (no {where})")
    signer = signature.signer
    for what, path, signed, actual in (
        ("component", digests.component_path, signature.component_sha256, digests.component_sha256),
        ("manifest", digests.manifest_path, signature.manifest_sha256, digests.manifest_sha256),
    ):
        if signed != actual:
            return SignatureCheck(
                "changed",
                signer,
                f"{path}: the {what} of plugin {plugin!r} changed after it was signed "
                f"(signed sha256 {signed}, now {actual})",
            )
    try:
        key = parse_public_key(signer)
        key.verify(
            base64.b64decode(signature.signature, validate=True),
            signed_message(digests.manifest_bytes, digests.component_sha256),
        )
    except (InvalidSignature, SignatureError, ValueError, binascii.Error):
        return SignatureCheck(
            "invalid", signer, f"{where}: the signature of plugin {plugin!r} does not verify"
        )
    if signer not in {key.strip() for key in trusted_keys}:
        return SignatureCheck(
            "untrusted",
            signer,
            f"plugin {plugin!r} is signed by {signer}, which is not in plugins.trusted_keys",
        )
    return SignatureCheck("ok", signer)


_HINTS: dict[SignatureState, str] = {
    "unsigned": "sign it (`zeroclaw plugins sign PATH --key KEY`), get a signed release, or "
    'set plugins.signature_mode = "warn"',
    "untrusted": "if you trust that key, add it to plugins.trusted_keys",
    "changed": "reinstall the plugin from its source; if you changed it yourself, sign it again",
    "invalid": "reinstall the plugin from its source, or sign it again",
}


def enforce(check: SignatureCheck | None, mode: SignatureMode) -> tuple[str, ...]:
    """Under `require`, raise for a signature that is not ok; under `warn`, return the
    problem as a warning; otherwise nothing."""
    if check is None or check.ok or mode == "off":
        return ()
    assert check.problem is not None
    if mode == "require":
        raise SignatureError(
            f'{check.problem} (plugins.signature_mode = "require")', hint=_HINTS[check.state]
        )
    return (f'{check.problem} (plugins.signature_mode = "warn": loading anyway)',)
