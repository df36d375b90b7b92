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
from zeroclaw.plugins.authoring.build import (
    STEP_COMPONENTIZE,
    STEP_TOOLCHAIN,
    STEP_VALIDATE,
    BuildResult,
    build_plugin,
    plugin_dirs,
)
from zeroclaw.plugins.authoring.scaffold import KINDS, LANGUAGES, Kind, Language, new_plugin


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
            result = build_with_progress(directory, force=force)
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


_STEP_TEXT = {
    STEP_TOOLCHAIN: "finding the toolchain",
    STEP_COMPONENTIZE: "componentize (a Python or JavaScript guest takes 10-40 s)",
    STEP_VALIDATE: "validate: reading the component's imports and exports",
}


def build_with_progress(directory: Path, *, force: bool = False) -> BuildResult:
    """`build_plugin`, with a spinner on stderr naming the step and the time it has taken
    (nothing is drawn when stderr is not a terminal)."""
    with err_console.status(f"{escape(directory.name)}: starting", spinner="dots") as status:

        def progress(step: str) -> None:
            status.update(f"{escape(directory.name)}: {_STEP_TEXT.get(step, step)}")

        return build_plugin(directory, force=force, progress=progress)


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
    kind: Annotated[
        str,
        typer.Option(
            "--kind", "-k", help=f"What the plugin is: {', '.join(KINDS)} (default hook)."
        ),
    ] = "hook",
    lang: Annotated[
        str, typer.Option("--lang", "-l", help=f"Guest language: {', '.join(LANGUAGES)}.")
    ] = "python",
    directory: Annotated[
        Path, typer.Option("--dir", "-d", help="Where to create the plugin's directory.")
    ] = Path("."),
) -> None:
    """Create a plugin from a template: a working hook, tool or provider with one real
    example, its README and tests.toml, ready for `zeroclaw plugins build` and
    `zeroclaw plugins test`."""
    if kind not in KINDS:
        err_console.print(
            f"[bold red]error:[/] unknown kind {escape(kind)!r}; choose one of {', '.join(KINDS)}"
        )
        raise typer.Exit(2)
    if lang not in LANGUAGES:
        err_console.print(
            f"[bold red]error:[/] unknown language {escape(lang)!r}; "
            f"choose one of {', '.join(LANGUAGES)}"
        )
        raise typer.Exit(2)
    plugin_kind: Kind = kind  # narrowed by the check above
    language: Language = lang  # narrowed by the check above
    with user_errors():
        target = new_plugin(name, language, directory, kind=plugin_kind)
    typer.echo(f"created {target} ({kind} plugin in {lang}); read {target / 'README.md'}")
    grants = " --grant hooks.conversation --grant hooks.modify" if kind == "hook" else ""
    typer.echo(f"next: cd {target} && zeroclaw plugins build . && zeroclaw plugins test .{grants}")
