"""Where a plugin comes from, and bringing it into a staging folder.

`parse_source` reads what the operator typed:

| SOURCE | kind |
|---|---|
| `./my-plugin` (a folder holding plugin.toml) | folder |
| `my-plugin-1.0.0.tar.gz`, `my-plugin.zip` | archive (by content, not name) |
| `https://host/my-plugin.tar.gz` (`http://` only to loopback) | url |
| `oci://registry/repo:tag`, `oci://registry/repo@sha256:DIGEST` | oci |

`fetch` puts the plugin's files into a fresh staging folder and says what the lock should
record: the source as given (so `plugins upgrade` can go back to it) and the digest that
pins what was fetched (the archive's sha256, or the OCI manifest's digest), which
`plugins install --locked` checks. The plugin folder is the staging folder itself when
plugin.toml is at the top, or its one top-level folder (how archives are usually made).

A folder is copied with its links followed, after checking that none points outside it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from zeroclaw.config.models import PluginInstallLimits
from zeroclaw.plugins.contract.lock import valid_digest
from zeroclaw.plugins.contract.manifest import MANIFEST_FILE
from zeroclaw.plugins.distribution.archive import ArchiveLimits, archive_kind, unpack
from zeroclaw.plugins.distribution.download import download
from zeroclaw.plugins.errors import SourceError, UnsafeArchiveError

SourceKind = Literal["folder", "archive", "url", "oci"]
_MB = 1 << 20


@dataclass(frozen=True, slots=True)
class Source:
    kind: SourceKind
    location: str  # a resolved path, a URL, or an oci:// reference
    sha256: str | None = None  # what the fetched bytes must hash to (archive, url, oci)

    def __str__(self) -> str:
        return self.location


@dataclass(frozen=True, slots=True)
class Fetched:
    directory: Path  # the plugin folder inside the staging folder
    source: Source
    source_sha256: str | None


def parse_source(text: str, *, sha256: str | None = None) -> Source:
    if sha256 is not None and not valid_digest(sha256.lower().removeprefix("sha256:")):
        raise SourceError(
            f"--sha256 {sha256!r} is not a sha256 digest", hint="give 64 hexadecimal digits"
        )
    pinned = sha256.lower().removeprefix("sha256:") if sha256 else None
    if text.startswith("oci://"):
        return Source("oci", text, pinned)
    if text.startswith(("https://", "http://")):
        return Source("url", text, pinned)
    if "://" in text:
        raise SourceError(
            f"{text!r}: unknown kind of source",
            hint="give a folder, a .tar.gz or .zip file, an https:// URL or an oci:// reference",
        )
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        return Source("folder", str(path), None)
    if path.is_file():
        return Source("archive", str(path), pinned)
    raise SourceError(
        f"{text} does not exist", hint="give a plugin folder, a .tar.gz or .zip, a URL or oci://"
    )


def fetch(source: Source, staging: Path, limits: PluginInstallLimits) -> Fetched:
    """Bring `source` into the empty folder `staging` (see the module docstring)."""
    files = staging / "files"
    files.mkdir()
    archive_limits = ArchiveLimits(limits.max_unpacked_mb * _MB, limits.max_files)
    digest: str | None = None
    if source.kind == "folder":
        _copy_folder(Path(source.location), files)
    elif source.kind == "archive":
        from zeroclaw.plugins.contract.digests import sha256_file

        path = Path(source.location)
        digest = sha256_file(path)
        if source.sha256 is not None and digest != source.sha256:
            raise SourceError(
                f"{path} has sha256 {digest}, not the {source.sha256} expected",
                hint="the archive changed: check where it came from",
            )
        unpack(path, files, archive_limits)
    elif source.kind == "url":
        downloaded = download(
            source.location,
            staging / "download",
            max_bytes=limits.max_download_mb * _MB,
            sha256=source.sha256,
        )
        digest = downloaded.sha256
        if archive_kind(downloaded.path) is None:
            raise UnsafeArchiveError(
                f"{source.location} is neither a .tar.gz nor a .zip archive",
                hint="give the URL of the plugin's .tar.gz or .zip",
            )
        unpack(downloaded.path, files, archive_limits)
    else:
        from zeroclaw.plugins.distribution.oci import pull

        digest = pull(
            source.location,
            files,
            max_layer_bytes=limits.max_download_mb * _MB,
            expected_digest=source.sha256,
        )
    return Fetched(plugin_root(files, source), source, digest)


def plugin_root(files: Path, source: Source) -> Path:
    if (files / MANIFEST_FILE).is_file():
        return files
    entries = [p for p in files.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and (entries[0] / MANIFEST_FILE).is_file():
        return entries[0]
    raise SourceError(
        f"{source}: no {MANIFEST_FILE} at the top, nor in a single top-level folder",
        hint="a plugin is a folder holding plugin.toml and its component",
    )


def _copy_folder(source: Path, into: Path) -> None:
    root = source.resolve()
    for folder, names, files in os.walk(root):
        names[:] = [name for name in names if name != ".git"]
        for name in [*names, *files]:
            path = Path(folder) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                raise UnsafeArchiveError(
                    f"{path} is a link to {os.readlink(path)}, outside the plugin folder {root}",
                    hint="copy the file into the plugin folder instead of linking to it",
                )
    shutil.copytree(root, into, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
