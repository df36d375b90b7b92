"""Whether a SQLite file's pages are sound, for `zeroclaw doctor`.

The file is opened read-only (`mode=ro`), so checking a damaged file can never make it
worse; only the check SQLite itself offers is run. `PRAGMA integrity_check` reads every
page and index; past `FULL_CHECK_MAX_BYTES` the cheaper `quick_check` (no index
cross-check) keeps the doctor quick on a large history. A file so damaged that the check
itself cannot run is reported as damaged too, with the same way out; a file that cannot be
opened for another reason (a read-only directory without the WAL index, a lock) is reported
as not checked, with that reason, since nothing says it is damaged.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from zeroclaw.memory.errors import DAMAGED_CODES, sqlite_code

FULL_CHECK_MAX_BYTES: Final = 256 * 1024 * 1024
# The first few problems say enough; integrity_check can list thousands.
MAX_PROBLEMS: Final = 3


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    path: Path
    check: str
    problems: tuple[str, ...] = ()
    # Why the check could not run (the file was not found damaged): None when it ran.
    unchecked: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.unchecked is None


def check_integrity(path: Path) -> IntegrityReport:
    """Run SQLite's integrity check on the existing file at `path`, read-only."""
    check = "integrity_check" if path.stat().st_size <= FULL_CHECK_MAX_BYTES else "quick_check"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return IntegrityReport(path, check, unchecked=str(exc))
    try:
        rows = conn.execute(f"PRAGMA {check}({MAX_PROBLEMS})").fetchall()
    except sqlite3.DatabaseError as exc:
        if sqlite_code(exc) in DAMAGED_CODES:
            return IntegrityReport(path, check, (str(exc),))
        return IntegrityReport(path, check, unchecked=str(exc))
    finally:
        conn.close()
    # A row may hold a heading and a problem ("*** in database main ***\nPage 5: ..."):
    # one problem per line, without the heading (there is one database).
    lines = (line.strip() for row in rows for line in str(row[0]).splitlines())
    found = tuple(line for line in lines if line and not line.startswith("***"))
    return IntegrityReport(path, check, () if found == ("ok",) else found)
