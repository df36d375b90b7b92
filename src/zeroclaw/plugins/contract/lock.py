"""plugins.lock: what was installed, pinned by digest.

```toml
# Written by `zeroclaw plugins install`; see docs/plugins-distribution.md.
format = 1

[plugins.redact-secrets]
source = "oci://registry.example.com/zeroclaw/redact-secrets@sha256:3f1c..."
version = "0.3.1"
component_sha256 = "9a0b..."
manifest_sha256 = "51de..."
signer = "ed25519:Q0d1..."          # absent when the plugin is unsigned
source_sha256 = "3f1c..."          # the archive's digest, or the OCI manifest's
installed_at = "2026-12-05T08:00:00Z"
```

The file sits beside the config (`plugins.lock_file`). Every load and reload reads it
afresh; a plugin it names must have exactly the recorded component and manifest digests,
or it is refused (`LockMismatchError`, naming the file and both digests), so a swapped
`plugin.wasm` or an edited plugin.toml never runs unnoticed. A plugin it does not name
(a folder in `plugins.dirs` copied by hand) loads as before. `plugins install --locked`
reproduces every entry.

Writing goes through tomlkit so comments an operator adds survive, and is atomic (a
temporary file beside it, then a rename): a reader sees the old lock or the new one.

This module does not import wasmtime.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tomlkit.exceptions import TOMLKitError

from zeroclaw.plugins.contract.digests import PluginDigests
from zeroclaw.plugins.errors import LockError, LockMismatchError

LOCK_FORMAT = 1
_HEADER = (
    "Written by `zeroclaw plugins install`; see docs/plugins-distribution.md.\n"
    "Each plugin named here loads only with exactly these digests."
)
_DIGEST = r"[0-9a-f]{64}"
_FIX_HINT = (
    "reinstall it (`zeroclaw plugins install SOURCE`, or `plugins install --locked` to "
    "restore the pinned version), or `zeroclaw plugins remove NAME` to unpin it"
)


class LockEntry(BaseModel):
    """One installed plugin as the lock records it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    version: str
    component_sha256: str = Field(pattern=_DIGEST)
    manifest_sha256: str = Field(pattern=_DIGEST)
    signer: str | None = None
    source_sha256: str | None = Field(None, pattern=_DIGEST)
    installed_at: str = ""


@dataclass(frozen=True)
class PluginLock:
    """The lock file's entries, by plugin name. A missing file is an empty lock."""

    path: Path
    entries: dict[str, LockEntry] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> PluginLock:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise LockError(
                f"cannot read {path}: {exc}", hint="check the file's permissions and encoding"
            ) from None
        return cls(path, _entries(path, text))

    def get(self, name: str) -> LockEntry | None:
        return self.entries.get(name)

    def with_entry(self, name: str, entry: LockEntry) -> PluginLock:
        return replace(self, entries={**self.entries, name: entry})

    def without(self, name: str) -> PluginLock:
        return replace(self, entries={k: v for k, v in self.entries.items() if k != name})

    def write(self) -> None:
        """Write the entries, keeping the comments of the file on disk; atomically."""
        document = _document(self.path)
        table = tomlkit.table(is_super_table=True)
        for name in sorted(self.entries):
            entry = tomlkit.table()
            for key, value in self.entries[name].model_dump(exclude_none=True).items():
                entry[key] = value
            table[name] = entry
        document["format"] = LOCK_FORMAT
        document["plugins"] = table
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".plugins.lock.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(tomlkit.dumps(document))
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def check_pin(name: str, entry: LockEntry, digests: PluginDigests, lock_path: Path) -> None:
    """Refuse a pinned plugin whose manifest or component changed since it was locked."""
    for what, path, pinned, actual in (
        ("component", digests.component_path, entry.component_sha256, digests.component_sha256),
        ("manifest", digests.manifest_path, entry.manifest_sha256, digests.manifest_sha256),
    ):
        if pinned != actual:
            raise LockMismatchError(
                f"{path}: the {what} of plugin {name!r} has sha256 {actual}, but {lock_path} "
                f"pins sha256 {pinned}: it changed since it was installed",
                hint=_FIX_HINT,
            )


def _entries(path: Path, text: str) -> dict[str, LockEntry]:
    try:
        data: dict[str, Any] = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        raise LockError(
            f"{path} is not valid TOML: {exc}",
            hint="fix the line shown, or restore the file from a backup",
        ) from None
    found = data.get("format")
    if found != LOCK_FORMAT:
        raise LockError(
            f"{path} is not a plugins.lock of format {LOCK_FORMAT} (format = {found!r})",
            hint="a newer ZeroClaw wrote it, or it is another file: upgrade, or restore it",
        )
    plugins = data.get("plugins", {})
    if not isinstance(plugins, dict):
        raise LockError(f"{path}: `plugins` must be a table", hint="restore the file")
    entries = {}
    for name, value in plugins.items():
        try:
            entries[name] = LockEntry.model_validate(value)
        except ValidationError as exc:
            problem = exc.errors()[0]
            key = ".".join(str(part) for part in problem["loc"])
            raise LockError(
                f"{path}: plugins.{name}.{key}: {problem['msg']}",
                hint="restore the file, or reinstall the plugin to rewrite its entry",
            ) from None
    return entries


def _document(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, TOMLKitError, UnicodeDecodeError):
        document = tomlkit.document()
        for line in _HEADER.splitlines():
            document.add(tomlkit.comment(line))
        return document


def valid_digest(text: str) -> bool:
    return re.fullmatch(_DIGEST, text) is not None
