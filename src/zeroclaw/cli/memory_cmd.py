"""`zeroclaw memory`: the memory database's schema, and moving a store between databases.

`migrate` brings the database to this ZeroClaw's schema (what every start does anyway;
run it on its own before starting several replicas of a new version, or to check a
database). `export` writes a whole store as JSON lines, `import` reads one into an empty
store: together they move a store from SQLite to PostgreSQL and back (docs/deployment.md).
Each takes the database of the config (memory.backend, memory.path / memory.url) unless
`--db` names another: a PostgreSQL URL, or a SQLite file's path.

Plugin approvals and refusals travel with the store. A SQLite deployment keeps them in
its approvals file (DATA_DIR/plugins/approvals.json), not in the database: exporting the
config's own SQLite database adds them to the export, and importing into it adds the
imported ones to that file, so both survive a move to PostgreSQL and back.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.state import state_of, user_errors
from zeroclaw.config import Config
from zeroclaw.errors import ZeroClawError
from zeroclaw.memory import DatabaseLocation, MemoryStore, location_of
from zeroclaw.memory.fleet.approvals import every_approval
from zeroclaw.memory.schema import HEAD, SCHEMA_VERSION
from zeroclaw.memory.transfer import TransferCounts, export_lines, import_lines
from zeroclaw.plugins.contract.permissions import Approval, ApprovalStore, Refusal

memory_app = typer.Typer(
    help="The memory database: migrate its schema, export and import a whole store.",
    no_args_is_help=True,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="A PostgreSQL URL or a SQLite file (default: the config's memory database).",
    ),
]


def _location(config: Config, db: str | None) -> DatabaseLocation:
    return location_of(db) if db is not None else config.memory_location()


@memory_app.command("migrate")
def migrate_command(ctx: typer.Context, db: DbOption = None, json_output: JsonFlag = False) -> None:
    """Bring the memory database to this ZeroClaw's schema (every start does it too)."""
    use_json(json_output)
    with user_errors():
        location = _location(state_of(ctx).config(), db)
        MemoryStore.open(location).close()
    if json_output:
        print_json(
            {"database": location.display, "revision": HEAD, "schema_version": SCHEMA_VERSION}
        )
        return
    typer.echo(f"{location.display}: at schema revision {HEAD} (version {SCHEMA_VERSION})")


@memory_app.command("export")
def export_command(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: standard output)."),
    ] = None,
    db: DbOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Write every session, message, tool result, summary, memory, paired token and plugin
    approval or refusal as JSON lines. With --json (which needs --output), the counts are
    reported as JSON."""
    use_json(json_output)
    with user_errors():
        if json_output and output is None:
            raise ZeroClawError(
                "--json needs --output: without it the export itself is on standard output",
                hint="zeroclaw memory export --json -o memory.jsonl",
            )
        config = state_of(ctx).config()
        location = _location(config, db)
        approvals = _approvals_file(config, location)
        also = {"plugin_approvals": [_row(a) for a in approvals.all()]} if approvals else {}
        store = MemoryStore.open(location)
        try:
            if output is None:
                counts = asyncio.run(export_lines(store, sys.stdout, also=also))
            else:
                with output.open("w", encoding="utf-8") as out:
                    counts = asyncio.run(export_lines(store, out, also=also))
        finally:
            store.close()
    if json_output:
        print_json(_transfer_shape(location, output, counts))
        return
    typer.echo(f"exported {counts.summary()} from {location.display}", err=True)


@memory_app.command("import")
def import_command(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A file written by `zeroclaw memory export`.")],
    db: DbOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Read an export into an empty memory database, all of it or nothing."""
    use_json(json_output)
    with user_errors():
        config = state_of(ctx).config()
        location = _location(config, db)
        store = MemoryStore.open(location)
        try:
            with source.open(encoding="utf-8") as lines:
                counts = asyncio.run(import_lines(store, lines))
            approvals = _approvals_file(config, location)
            if approvals is not None:
                rows = store.blocking(every_approval(store.database))
                approvals.keep(_decision(row) for row in rows)
        finally:
            store.close()
    if json_output:
        print_json(_transfer_shape(location, source, counts))
        return
    typer.echo(f"imported {counts.summary()} into {location.display}")


def _approvals_file(config: Config, location: DatabaseLocation) -> ApprovalStore | None:
    """The approvals file of the SQLite deployment whose database `location` is, if it is
    the config's own: where that deployment's plugin approvals live."""
    if config.memory.backend != "sqlite" or location.path is None:
        return None
    if location.path.resolve() != config.memory_path.resolve():
        return None
    return ApprovalStore.for_data_dir(config.data_dir)


def _row(decision: Approval | Refusal) -> dict[str, str | None]:
    """An approval or a refusal as a row of the shared `plugin_approvals` table."""
    row: dict[str, str | None] = {
        "plugin": decision.plugin,
        "grant_hash": decision.grant_hash,
        "grants": json.dumps(list(decision.grants)),
    }
    if isinstance(decision, Refusal):
        return row | {
            "approved_at": decision.refused_at,
            "decision": "refused",
            "decided_by": decision.refused_by,
        }
    return row | {"approved_at": decision.approved_at, "decision": "approved", "decided_by": None}


def _decision(row: dict[str, str | None]) -> Approval | Refusal:
    plugin, digest, decided_at = str(row["plugin"]), str(row["grant_hash"]), str(row["approved_at"])
    grants = tuple(str(grant) for grant in json.loads(str(row["grants"])))
    if row.get("decision") == "refused":
        return Refusal(plugin, grants, digest, decided_at, row.get("decided_by") or "?")
    return Approval(plugin, grants, digest, decided_at)


def _transfer_shape(
    location: DatabaseLocation, file: Path | None, counts: TransferCounts
) -> dict[str, object]:
    return {"database": location.display, "file": file, "rows": counts.rows}
