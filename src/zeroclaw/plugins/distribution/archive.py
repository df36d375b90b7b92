"""Unpacking a plugin archive (.tar.gz or .zip) without trusting it.

An archive comes from someone else, so every member is checked before anything is
written, and the whole archive is unpacked into a fresh temporary folder that the install
throws away on any failure (transaction.py): nothing half-unpacked is ever visible.

Refused, each with one line naming the member:
- a path that is absolute, has a drive, or climbs out with `..`;
- a symbolic or hard link whose target resolves outside the folder;
- a device, FIFO or other special file;
- more than `max_files` members, or more than `max_unpacked_mb` of content. The caps are
  enforced while reading, on the bytes actually produced (a zip can lie about sizes, and a
  gzip stream is only known by decompressing it), so a bomb stops at the cap.

Tar archives are read as a stream, member by member, so a bomb is stopped at the cap
rather than scanned to its end first; every tar member is also written with tarfile's
"data" filter, a second guard behind ours.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from zeroclaw.plugins.errors import UnsafeArchiveError

_CHUNK = 1 << 16
_HINT = "the archive is unsafe or damaged: get the plugin from a source you trust"


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_bytes: int
    max_files: int


def archive_kind(path: Path) -> str | None:
    """ "tar.gz" or "zip" by the file's first bytes (not its name), or None."""
    with path.open("rb") as stream:
        head = stream.read(4)
    if head[:2] == b"\x1f\x8b":
        return "tar.gz"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    return None


def unpack(archive: Path, into: Path, limits: ArchiveLimits) -> None:
    """Unpack `archive` into the empty folder `into`, or raise UnsafeArchiveError."""
    kind = archive_kind(archive)
    if kind == "tar.gz":
        _unpack_tar(archive, into, limits)
    elif kind == "zip":
        _unpack_zip(archive, into, limits)
    else:
        raise UnsafeArchiveError(
            f"{archive} is neither a .tar.gz nor a .zip archive",
            hint="give a plugin folder, a .tar.gz or a .zip",
        )


class _Budget:
    """Counts members and bytes against the caps, as they are produced."""

    def __init__(self, archive: Path, limits: ArchiveLimits) -> None:
        self.archive = archive
        self.limits = limits
        self.files = 0
        self.bytes = 0

    def member(self) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise UnsafeArchiveError(
                f"{self.archive} holds more than {self.limits.max_files} files "
                "(plugins.install.max_files): refused as a possible archive bomb",
                hint=_HINT + "; or raise plugins.install.max_files",
            )

    def take(self, size: int, name: str) -> None:
        self.bytes += size
        if self.bytes > self.limits.max_bytes:
            raise UnsafeArchiveError(
                f"{self.archive} unpacks to more than {self.limits.max_bytes // (1 << 20)} MiB "
                f"(at {name!r}; plugins.install.max_unpacked_mb): refused as a possible "
                "archive bomb",
                hint=_HINT + "; or raise plugins.install.max_unpacked_mb",
            )


def _inside(archive: Path, name: str) -> PurePosixPath:
    """The member's path, which must be relative and stay inside the folder."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (name[1:2] == ":" and name[:1].isalpha()):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path", hint=_HINT)
    if ".." in path.parts:
        raise UnsafeArchiveError(
            f"{archive}: member {name!r} climbs out of the folder with '..'", hint=_HINT
        )
    return path


def _link_stays_inside(archive: Path, name: str, target: str, *, hard: bool) -> None:
    member = _inside(archive, name)
    target_path = PurePosixPath(target.replace("\\", "/"))
    kind = "hard link" if hard else "symbolic link"
    resolved = target_path if hard else member.parent / target_path
    parts: list[str] = []
    escapes = target_path.is_absolute()
    for part in resolved.parts:
        if part == "..":
            if not parts:
                escapes = True
                break
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    if escapes:
        raise UnsafeArchiveError(
            f"{archive}: member {name!r} is a {kind} to {target!r}, outside the folder",
            hint=_HINT,
        )


def _copy(source: IO[bytes], destination: Path, budget: _Budget, name: str) -> None:
    with destination.open("wb") as out:
        while chunk := source.read(_CHUNK):
            budget.take(len(chunk), name)
            out.write(chunk)


# -- tar.gz ---------------------------------------------------------------------------------------


def _unpack_tar(archive: Path, into: Path, limits: ArchiveLimits) -> None:
    budget = _Budget(archive, limits)
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            for member in _tar_members(tar, archive, budget):
                _extract_tar_member(tar, member, into, archive, budget)
    except (tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, UnsafeArchiveError):
            raise
        raise UnsafeArchiveError(
            f"{archive} is not a readable .tar.gz: {exc}", hint=_HINT
        ) from None


def _tar_members(tar: tarfile.TarFile, archive: Path, budget: _Budget) -> Iterator[tarfile.TarInfo]:
    for member in tar:
        budget.member()
        _inside(archive, member.name)
        if member.issym() or member.islnk():
            _link_stays_inside(archive, member.name, member.linkname, hard=member.islnk())
        elif not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(
                f"{archive}: member {member.name!r} is a device, FIFO or other special file",
                hint=_HINT,
            )
        yield member


def _extract_tar_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, into: Path, archive: Path, budget: _Budget
) -> None:
    target = into / _inside(archive, member.name)
    _resolved_inside(archive, into, target.parent, member.name)
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if member.isfile():
        if target.is_symlink():
            target.unlink()
        source = tar.extractfile(member)
        assert source is not None
        _copy(source, target, budget, member.name)
        target.chmod(0o644 | (0o111 if member.mode & 0o100 else 0))
        return
    # A link that stays inside: tarfile's data filter refuses it too if it does not.
    try:
        tar.extract(member, into, filter="data")
    except tarfile.FilterError as exc:
        raise UnsafeArchiveError(f"{archive}: member {member.name!r}: {exc}", hint=_HINT) from None
    _resolved_inside(archive, into, target, member.name)


# -- zip ------------------------------------------------------------------------------------------


def _unpack_zip(archive: Path, into: Path, limits: ArchiveLimits) -> None:
    budget = _Budget(archive, limits)
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_files:
                budget.files = len(infos) - 1
                budget.member()
            for info in infos:
                _extract_zip_member(zf, info, into, archive, budget)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UnsafeArchiveError(f"{archive} is not a readable .zip: {exc}", hint=_HINT) from None


def _extract_zip_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, into: Path, archive: Path, budget: _Budget
) -> None:
    path = _inside(archive, info.filename)
    mode = info.external_attr >> 16
    target = into / path
    _resolved_inside(archive, into, target.parent, info.filename)
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if stat.S_ISLNK(mode):
        link = zf.read(info).decode("utf-8", "replace")
        _link_stays_inside(archive, info.filename, link, hard=False)
        target.symlink_to(link)
        _resolved_inside(archive, into, target, info.filename)
        return
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        raise UnsafeArchiveError(
            f"{archive}: member {info.filename!r} is a device, FIFO or other special file",
            hint=_HINT,
        )
    if target.is_symlink():
        target.unlink()
    with zf.open(info) as source:
        _copy(source, target, budget, info.filename)


def _resolved_inside(archive: Path, into: Path, target: Path, name: str) -> None:
    """Links are checked by name above; this checks where a path really lands on disk, so a
    chain of links that each look harmless cannot carry a write outside."""
    if not target.resolve().is_relative_to(into.resolve()):
        raise UnsafeArchiveError(
            f"{archive}: member {name!r} would be written outside the folder through a link",
            hint=_HINT,
        )
