"""`zeroclaw plugins build PATH` and `zeroclaw plugins new NAME`: make plugins from source.

Registered on the `plugins` group as `plugins_app.command("build")(build)` and
`plugins_app.command("new")(new)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from zeroclaw.cli.state import err_console, user_errors
from zeroclaw.plugins.authoring.build import BuildResult, build_plugin, plugin_dirs
from zeroclaw.plugins.authoring.scaffold import LANGUAGES, Language, new_plugin


def build(
    path: Annotated[
        Path,
        typer.Argument(help="A plugin directory, or a directory of plugin directories."),
    ],
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Rebuild even if the component is up to date.")
    ] = False,
) -> None:
    """Build each plugin's component (Python, JavaScript or WAT) next to its plugin.toml.

    Up-to-date components are kept. Exit 1 if a build fails or a component would not load as
    its plugin.toml declares it.
    """
    console = Console(highlight=False, soft_wrap=True)
    failed = False
    with user_errors():
        directories = plugin_dirs(path)
    for directory in directories:
        with user_errors():
            result = build_plugin(directory, force=force)
        console.print(_describe(result))
        for problem in result.problems:
            failed = True
            err_console.print(
                f"[bold red]error:[/] {escape(result.name)}: {escape(problem)}", highlight=False
            )
    if failed:
        err_console.print(
            "[yellow]hint:[/] fix plugin.toml's capabilities or wit_package, or the plugin's "
            "world in wit/; `zeroclaw plugins validate PATH` checks a plugin fully",
            highlight=False,
        )
        raise typer.Exit(1)


def _describe(result: BuildResult) -> str:
    where = escape(_shown(result.component))
    if result.cached:
        return f"[green]up to date[/] {escape(result.name)}: {where}"
    tool = f"{result.toolchain.name} {result.toolchain.version}"
    size = result.component.stat().st_size
    shown_size = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
    return (
        f"[green]built[/] {escape(result.name)} ({result.language}, {escape(tool)}, world "
        f"{escape(result.world)}): {where}, {shown_size} in {result.seconds:.1f} s"
    )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def new(
    name: Annotated[str, typer.Argument(help="The plugin's name (a slug, e.g. redact-emails).")],
    lang: Annotated[
        str, typer.Option("--lang", "-l", help=f"Guest language: {', '.join(LANGUAGES)}.")
    ] = "python",
    directory: Annotated[
        Path, typer.Option("--dir", "-d", help="Where to create the plugin's directory.")
    ] = Path("."),
) -> None:
    """Create a hook plugin from a template, ready for `zeroclaw plugins build`."""
    if lang not in LANGUAGES:
        err_console.print(
            f"[bold red]error:[/] unknown language {escape(lang)!r}; "
            f"choose one of {', '.join(LANGUAGES)}"
        )
        raise typer.Exit(2)
    language: Language = lang  # narrowed by the check above
    with user_errors():
        target = new_plugin(name, language, directory)
    typer.echo(f"created {target}")
    typer.echo(f"next: zeroclaw plugins build {target} && zeroclaw plugins validate {target}")
