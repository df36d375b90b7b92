"""`zeroclaw plugins test PATH` and `zeroclaw plugins wit`: an author's loop without an agent.

`test` builds the plugin if its source changed, loads it with the loader the agent uses
(under the current config's limits and grants, or under `--grant`s given for this run),
makes one call (`--event`, `--tool`, `--chat`) or every case of its tests.toml, and prints
what came back, the time, and the plugin's own log lines. Exit 1 when a call fails or a
case's expectation is not met. The calling is `plugins/authoring/trial.py`.

`wit` writes the WIT this host speaks, for binding generators and for reading.

Registered on the `plugins` group as `plugins_app.command("test")(test)` and
`plugins_app.command("wit")(wit)`.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from zeroclaw.cli.guest_log import LogLevelOption, log_level
from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.plugins_build_cmd import build_with_progress
from zeroclaw.cli.plugins_runtime import require_wasmtime
from zeroclaw.cli.state import err_console, state_of, user_errors
from zeroclaw.config import Config
from zeroclaw.config.models import CapabilityRules, PluginCapabilityRules
from zeroclaw.plugins.authoring.build import BuildError, detect_language, read_manifest, wit_root
from zeroclaw.plugins.contract.manifest import MANIFEST_FILE, component_file

if TYPE_CHECKING:
    from zeroclaw.plugins.authoring.trial import TrialCase, TrialResult

# `plugins/authoring/trial.py` loads plugins, so it imports wasmtime: it is imported when
# `plugins test` runs, never when the CLI starts (plugins disabled must not load wasmtime).

GrantOption = Annotated[
    list[str] | None,
    typer.Option(
        "--grant",
        "-g",
        help="Grant this capability for this run (repeatable); the config's "
        "plugins.capabilities are then not used.",
    ),
]
_SHOWN_LEVELS = {"debug": "dim", "info": "cyan", "warning": "yellow", "error": "red"}


def try_plugin(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="The plugin's directory (the one holding plugin.toml).")
    ] = Path("."),
    event: Annotated[
        str | None,
        typer.Option("--event", "-e", help="Call this hook event (e.g. before-tool-call)."),
    ] = None,
    tool: Annotated[str | None, typer.Option("--tool", "-t", help="Call this tool.")] = None,
    chat: Annotated[
        str | None, typer.Option("--chat", help="Send this user message to a provider plugin.")
    ] = None,
    payload: Annotated[
        str | None,
        typer.Option(
            "--payload",
            "-p",
            help="A JSON object: the event's fields (laid over its sample payload), or the "
            "tool's arguments.",
        ),
    ] = None,
    grant: GrantOption = None,
    level: LogLevelOption = "info",
    json_output: JsonFlag = False,
) -> None:
    """Build if stale, load under the real limits and grants, call the plugin and show what
    came back, the time and its log lines. Without --event/--tool/--chat, run the cases of
    the plugin's tests.toml (or one sample call). Exit 1 if a call fails or a case is not
    met."""
    use_json(json_output)
    directory = path.parent if path.name == MANIFEST_FILE else path
    threshold = log_level(level or "info")
    console = Console(highlight=False, soft_wrap=True)
    chosen = [(k, v) for k, v in (("event", event), ("tool", tool), ("chat", chat)) if v]
    if len(chosen) > 1:
        err_console.print("[bold red]error:[/] give one of --event, --tool, --chat")
        raise typer.Exit(2)
    config = with_grants(state_of(ctx).config(), directory, grant)
    with user_errors():
        require_wasmtime()
        from zeroclaw.plugins.authoring.trial import make_case, payload_option, read_cases

        _build_if_source(directory)
        if chosen:
            (kind, target), data = chosen[0], payload_option(payload)
            arguments = data if data is not None or kind != "tool" else {}
            cases: list[TrialCase] = [make_case(kind, target, arguments)]  # type: ignore[arg-type]
        else:
            cases = read_cases(directory)
        results = asyncio.run(_run(config, directory.absolute(), cases, threshold))
    failed = [r for r in results if not r.passed]
    total = len(results)
    if json_output:
        # Failed cases are a report, not a failure to make one: on stdout, and exit 1.
        print_json(
            {
                "passed": total - len(failed),
                "failed": len(failed),
                "cases": [_result_shape(result) for result in results],
            }
        )
        if failed:
            raise typer.Exit(1)
        return
    for result in results:
        _print(console, result)
    if failed:
        console.print(f"[bold red]{len(failed)} of {total} failed[/]")
        raise typer.Exit(1)
    console.print(f"[green]{total} passed[/]")


def _build_if_source(directory: Path) -> None:
    """Build when the plugin has source; a plugin that is only a component is used as is."""
    try:
        detect_language(directory)
    except BuildError:
        manifest = read_manifest(directory)
        component_file(directory, manifest)  # a clear error if it is missing too
        return
    result = build_with_progress(directory)
    if result.problems:
        raise BuildError(
            f"{result.name}: " + "; ".join(result.problems),
            hint="fix plugin.toml's capabilities or wit_package, or the plugin's world in wit/",
        )


def with_grants(config: Config, directory: Path, grants: list[str] | None) -> Config:
    """`config` with exactly `grants` allowed (and nothing denied) when given."""
    if not grants:
        return config
    with user_errors():
        name = read_manifest(directory).name
    overrides = dict(config.plugins.overrides)
    if name in overrides:
        overrides[name] = overrides[name].model_copy(
            update={"capabilities": PluginCapabilityRules()}
        )
    plugins = config.plugins.model_copy(
        update={"capabilities": CapabilityRules(allow=list(grants)), "overrides": overrides}
    )
    return config.model_copy(update={"plugins": plugins})


async def _run(
    config: Config, directory: Path, cases: list[TrialCase], threshold: int
) -> list[TrialResult]:
    from zeroclaw.plugins.authoring.trial import default_case, run_case
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry
    from zeroclaw.plugins.loading.loader import LoadContext, engine_settings, load_plugin

    with PluginRegistry.for_config(config) as registry:
        context = LoadContext(
            config=config.plugins,
            engine=registry.engine(engine_settings(config.plugins, [directory])),
            services=registry.services,
            log_warnings=False,
        )
        plugin = load_plugin(directory, context)
        try:
            for warning in plugin.warnings:
                err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
            chosen = cases or [default_case(plugin)]
            return [await run_case(plugin, case, threshold) for case in chosen]
        finally:
            plugin.calls.close()


def _result_shape(result: TrialResult) -> dict[str, Any]:
    case, error = result.case, result.error
    return {
        "name": case.name,
        "kind": case.kind,
        "target": case.target,
        "passed": result.passed,
        "outcome": result.outcome,
        "seconds": result.seconds,
        "details": list(result.details),
        "log": [
            {"source": line.source, "level": line.level, "text": line.text} for line in result.log
        ],
        "error": {"message": error.message, "hint": error.hint} if error is not None else None,
        "problem": result.problem,
    }


def _print(console: Console, result: TrialResult) -> None:
    case = result.case
    mark = "[green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
    head = f"{mark} {escape(case.name)}"
    if case.name != case.target:
        head += f" [dim]({case.kind} {escape(case.target)})[/]"
    console.print(f"{head}: {result.outcome} in {result.seconds * 1000:.1f} ms")
    for detail in result.details:
        console.print(f"    {escape(detail)}")
    for line in result.log:
        style = _SHOWN_LEVELS.get(line.level, "")
        console.print(f"    [{style}]{line.source} {line.level}:[/] {escape(line.text)}")
    if result.error is not None:
        for number, text in enumerate(result.error.message.splitlines()):
            prefix = "error: " if number == 0 else "  "
            console.print(f"    [red]{prefix}[/]{escape(text)}")
        if result.error.hint:
            console.print(f"    [yellow]hint:[/] {escape(result.error.hint)}")
    if result.problem is not None:
        console.print(f"    [red]not met:[/] {escape(result.problem)}")


def wit(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the WIT files into this directory."),
    ] = None,
) -> None:
    """Write the WIT this ZeroClaw speaks (zeroclaw:hooks, tools, providers and host), for
    binding generators and as the reference of every type a plugin sees. Without --out,
    print where it is."""
    with user_errors():
        root = wit_root()
    if out is None:
        typer.echo(root)
        return
    with user_errors():
        out.mkdir(parents=True, exist_ok=True)
        written = 0
        for source in sorted(root.rglob("*.wit")):
            target = out / source.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written += 1
    typer.echo(f"wrote {written} WIT files to {out} (packages under {out / 'zeroclaw'})")
    typer.echo(
        f"bindings, e.g.: componentize-py -d {out / 'zeroclaw' / 'hooks' / 'v1'} -w hooks "
        "bindings my-bindings  (tools/v1 -w tools, providers/v1 -w providers)"
    )


__all__ = ["GrantOption", "try_plugin", "wit", "with_grants"]
