"""Every command's --help, rendered at 80 columns, reads as the terminal would set it (no
line break left from the source's wrapping, nothing eaten as markup: `[[mcp.servers]]`
once showed as `[]`), and shell completion is on."""

from __future__ import annotations

import inspect
import itertools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from zeroclaw.cli import app
from zeroclaw.cli.state import reflow_help

WIDTH = 80


def _commands() -> Iterator[tuple[list[str], object]]:
    def walk(command: object, path: list[str]) -> Iterator[tuple[list[str], object]]:
        yield path, command
        for name, child in sorted(getattr(command, "commands", {}).items()):
            yield from walk(child, [*path, name])

    yield from walk(typer.main.get_command(app), [])


COMMANDS = list(_commands())


def _description(rendered: str) -> list[list[str]]:
    """The rendered description's paragraphs, each a list of lines (indent removed)."""
    lines = rendered.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    end = next((i for i, line in enumerate(lines) if line.startswith("╭")), len(lines))
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:end]:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


@pytest.mark.parametrize(
    ("path", "command"),
    [pytest.param(path, command, id=" ".join(path) or "zeroclaw") for path, command in COMMANDS],
)
def test_help_at_80_columns_has_no_hard_breaks_and_loses_no_words(
    path: list[str], command: object
) -> None:
    result = CliRunner().invoke(
        app, [*path, "--help"], env={"COLUMNS": str(WIDTH)}, terminal_width=WIDTH
    )
    assert result.exit_code == 0, result.output
    assert all(len(line) <= WIDTH for line in result.stdout.splitlines()), result.stdout
    # The root group escaped brackets for rich; the reader sees them as written.
    source = re.sub(r"\\(\[)", r"\1", reflow_help(getattr(command, "help", None) or ""))
    rendered = _description(result.stdout)
    # Each line of a paragraph is as full as the terminal allows: the next line's first
    # word would not have fitted (rich pads the text one column in from each side).
    for paragraph in rendered:
        for line, following in itertools.pairwise(paragraph):
            assert len(line) + 1 + len(following.split()[0]) > WIDTH - 2, (line, following)
    # Every word of the source is shown, in order (none eaten as rich markup).
    words = " ".join(" ".join(p) for p in rendered).split()
    expected = re.sub(r"\s+", " ", source).split()
    assert words == expected


def test_reflow_keeps_paragraphs_and_click_no_wrap_blocks() -> None:
    text = inspect.cleandoc(
        """First line
        continues here.

        Second paragraph
        wrapped too.

        \b
        kept
        as is"""
    )
    assert reflow_help(text) == (
        "First line continues here.\n\nSecond paragraph wrapped too.\n\n\b\nkept\nas is"
    )


def test_install_completion_in_bash_writes_the_script_and_sources_it(
    isolated_home: Path,
) -> None:
    # typer detects the shell from the parent process: run under a real bash. Not as
    # `bash -c CMD` alone: bash execs a lone simple command in its own place, leaving the
    # test's process as the parent, and the shell found (or not) depended on who ran pytest.
    zeroclaw = Path(sys.executable).parent / "zeroclaw"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        ["bash", "-c", f"{zeroclaw} --install-completion; exit $?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    script = isolated_home / ".bash_completions" / "zeroclaw.sh"
    assert "complete -o default -F _zeroclaw_completion zeroclaw" in script.read_text()
    assert str(script) in (isolated_home / ".bashrc").read_text()


def test_completion_completes_commands_and_options() -> None:
    def complete(words: str, current: int) -> list[str]:
        env = {
            "_ZEROCLAW_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(current),
        }
        result = CliRunner().invoke(app, [], env=env, prog_name="zeroclaw")
        return result.stdout.split()

    assert complete("zeroclaw plugins in", 2) == ["install", "info"]
    assert complete("zeroclaw config s", 2) == ["show", "set"]
    assert "--json" in complete("zeroclaw tools list --", 3)
