"""Replacing a file whole: write aside in the same directory, then rename over it.

A config file is written by `zeroclaw config init` and edited by `config set` and `config
unset`; an interrupted write (a full disk, a kill) must never leave half a file that the
next start refuses. The new file keeps the old one's permission bits (a config kept
private stays private); a new file gets the umask's.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """`path` holds `text` (UTF-8) afterwards, or is unchanged; raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
