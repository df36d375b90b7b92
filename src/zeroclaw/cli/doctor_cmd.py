"""`zeroclaw doctor`: check the installation and say what to fix."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.state import state_of
from zeroclaw.config import resolve_config_path
from zeroclaw.diagnostics import probe_provider, run_checks

MARKS = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}


def doctor(
    ctx: typer.Context,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not contact providers over the network.")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Check config, data dir, memory and providers. Exit 1 if any check fails."""
    use_json(json_output)
    state = state_of(ctx)
    config = state.config()
    path, _ = resolve_config_path(state.config_path)
    source = str(path) if path.exists() else f"defaults (no file at {path})"
    checks = run_checks(config, source=source, probe=None if offline else probe_provider)
    failed = any(check.status == "fail" for check in checks)
    if json_output:
        print_json(
            {
                "ok": not failed,
                "checks": [
                    {"name": c.name, "status": c.status, "detail": c.detail} for c in checks
                ],
            }
        )
    else:
        console = Console()
        for check in checks:
            console.print(f"{MARKS[check.status]} {check.name}: {escape(check.detail)}")
    if failed:
        raise typer.Exit(1)
