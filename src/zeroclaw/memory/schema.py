"""The memory schema: Alembic revisions (memory/migrations/versions), one chain for both
backends, run by the store itself when it opens a database.

`migrate` runs inside one transaction that the caller holds with the database's write
lock (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock in `database.py`), so two
processes opening the same new database migrate one after the other, and a crash
mid-migration leaves it at the revision it had. A database whose revision this ZeroClaw
does not know (written by a newer one) is refused rather than guessed at.

SQLite files from before Alembic carry their version in `PRAGMA user_version` (1 or 2,
the numbers of the revisions 0001 and 0002): such a file is stamped at that revision and
migrated from there. The revisions keep `user_version` in step on SQLite, so an older
ZeroClaw still sees a newer file as too new. A version-0 file holding tables belongs to
some other program and is left alone. Never edit a released revision: append one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from alembic.config import Config as AlembicConfig
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, RevisionStep
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util.exc import CommandError
from sqlalchemy import Connection, inspect, text

from zeroclaw.memory.errors import SchemaTooNewError, UnreadableDatabaseError
from zeroclaw.memory.location import DatabaseLocation

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _script() -> ScriptDirectory:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def _revisions() -> tuple[str, ...]:
    """The revision ids, oldest first."""
    script = _script()
    return tuple(reversed([r.revision for r in script.walk_revisions("base", "heads")]))


REVISIONS = _revisions()
HEAD = REVISIONS[-1]
# Revision n is schema version n (SQLite's user_version mirrors it).
SCHEMA_VERSION = len(REVISIONS)


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at; None for one never migrated."""
    heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if heads else None


def migrate(conn: Connection, location: DatabaseLocation, target: str = HEAD) -> str:
    """Bring the database on `conn` (in a transaction) to `target`; return that revision."""
    script = _script()
    context = MigrationContext.configure(conn)
    heads = context.get_current_heads()
    legacy = _sqlite_version(conn, location)
    if not heads:
        if legacy == 0:
            _refuse_foreign_tables(conn, location)
        else:
            context.stamp(script, REVISIONS[legacy - 1])
            heads = context.get_current_heads()
    for head in heads:
        _require_known(script, head, location)

    def upgrade(revision: tuple[str, ...], _: MigrationContext) -> list[RevisionStep]:
        return script._upgrade_revs(
            target, cast(Any, revision)
        )  # alembic's command API does the same

    with EnvironmentContext(
        AlembicConfig(), script, fn=upgrade, destination_rev=target
    ) as environment:
        environment.configure(connection=conn)
        environment.run_migrations()
    return current_revision(conn) or target


def _require_known(script: ScriptDirectory, head: str, location: DatabaseLocation) -> None:
    try:
        known = script.get_revision(head) is not None
    except (ResolutionError, CommandError):
        known = False
    if not known:
        raise SchemaTooNewError(
            f"memory database {location} has schema revision {head!r}, which this "
            f"ZeroClaw does not know (it knows up to {HEAD!r}, version {SCHEMA_VERSION})",
            hint="upgrade ZeroClaw, or point memory.path / memory.url at another database",
        )


def _sqlite_version(conn: Connection, location: DatabaseLocation) -> int:
    """A SQLite file's `user_version` (0 on PostgreSQL); refuses one newer than this
    ZeroClaw knows."""
    if not location.is_sqlite:
        return 0
    version = int(conn.execute(text("PRAGMA user_version")).scalar_one())
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"memory database {location} has schema version {version}, but this ZeroClaw "
            f"knows versions up to {SCHEMA_VERSION}",
            hint="upgrade ZeroClaw, or set memory.path to another file",
        )
    return version


def _refuse_foreign_tables(conn: Connection, location: DatabaseLocation) -> None:
    """A SQLite file without any schema version must be empty: tables there belong to some
    other program. (A PostgreSQL database may hold other tables beside ours.)"""
    if not location.is_sqlite:
        return
    tables = inspect(conn).get_table_names()
    if tables:
        raise UnreadableDatabaseError(
            f"{location} is a SQLite database of another program (it has a table "
            f"{tables[0]!r} but no ZeroClaw schema version)",
            hint="set memory.path to a new file; ZeroClaw will not change this one",
        )
