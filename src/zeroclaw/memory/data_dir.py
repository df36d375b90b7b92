"""Whether a directory the runtime stores data in can take a write.

Asked once, when the runtime is built, so that a read-only data dir (permissions, a
read-only mount) or a full disk is one clear error at start naming the directory and the
config key, instead of a failure in every turn and a misleading one at shutdown. The probe
writes and removes a small file of its own: nothing already in the directory is touched.
`zeroclaw doctor` asks the same question through the same function.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from zeroclaw.memory.errors import MemoryStoreError, ReadOnlyStorageError, StorageFullError

# Enough that a disk with no room left fails the probe, small enough to fit anywhere else.
_PROBE_BYTES = 4096
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}
_FULL = {errno.ENOSPC, errno.EDQUOT}


def require_writable_dir(path: Path, *, what: str, key: str) -> None:
    """Create `path` if needed and prove a file can be written there, or raise the typed
    error naming `what` (e.g. "data dir") at `path` and the config `key` that moves it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".zeroclaw-probe-")
    except OSError as exc:
        raise _dir_error(exc, path, what=what, key=key) from exc
    try:
        os.write(fd, b"\0" * _PROBE_BYTES)
        os.fsync(fd)
    except OSError as exc:
        raise _dir_error(exc, path, what=what, key=key) from exc
    finally:
        os.close(fd)
        os.unlink(probe)


def _dir_error(exc: OSError, path: Path, *, what: str, key: str) -> MemoryStoreError:
    reason = exc.strerror or str(exc)
    if exc.errno in _READ_ONLY:
        return ReadOnlyStorageError(
            f"the {what} {path} is not writable ({reason})",
            hint=f"make {path} writable by this user (check its permissions and that the "
            f"filesystem is not mounted read-only), or set {key} to a writable directory",
        )
    if exc.errno in _FULL:
        return StorageFullError(
            f"the disk holding the {what} {path} is full ({reason})",
            hint=f"free space on that disk, or set {key} to a directory on another disk; "
            "what was stored before is kept",
        )
    return MemoryStoreError(
        f"cannot use the {what} {path}: {reason}",
        hint=f"check that {path} is a directory this user can write, or set {key} elsewhere; "
        "`zeroclaw doctor` checks data_dir, tools.workspace and memory.path",
    )
