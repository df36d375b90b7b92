"""docs/commands-reference.md, generated from the typer app itself.

Every command, group, argument and option is read from the click objects typer builds,
with the help `--help` prints, so the reference lists exactly what the CLI accepts. What
the help cannot say (longer explanations, examples, the `--json` shapes) is written by
hand in the document's prose blocks, one per command (see prose.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import typer

from zeroclaw.cli import app
from zeroclaw.config.reference import github_anchor
from zeroclaw.reference.catalogue import Catalogue
from zeroclaw.reference.prose import check_used, prose_block, translation_marker

DOCUMENT = "commands-reference.md"
INTRO = "intro"

# The words of the document itself, translated through the catalogue's [label] table.
# A label that introduces something carries its colon: French writes "Usage :".
LABELS = {
    "title": "Commands reference",
    "usage": "Usage:",
    "commands": "Commands:",
    "parameter": "Argument or option",
    "description": "Description",
    "global": "Global options, given before the command name.",
}

_NOTICE = """\
<!-- Generated from the CLI (src/zeroclaw/cli) by `python -m zeroclaw.reference`.
     Command lines, arguments, options and their help come from the code: change them
     there. Write only inside the "prose" markers; regenerating keeps that text.
     tests/docs/test_generated_docs.py fails while this file is out of date. -->
"""


@dataclass(frozen=True)
class ParameterDoc:
    """One argument or option as the reference shows it."""

    key: str  # "hooks explain --payload", the catalogue key
    names: str  # "-p, --payload <str>" or "EVENT"
    help: str
    notes: str  # "[default: main]", "[required]", as --help prints them


@dataclass(frozen=True)
class CommandDoc:
    """One command or group, with the path that names it (`("hooks", "explain")`)."""

    path: tuple[str, ...]
    help: str
    usage: str
    parameters: tuple[ParameterDoc, ...]
    subcommands: tuple[str, ...]

    @property
    def key(self) -> str:
        """The prose and catalogue key: the command line without `zeroclaw`."""
        return " ".join(self.path)

    @property
    def line(self) -> str:
        return " ".join(("zeroclaw", *self.path))


def commands() -> Iterator[CommandDoc]:
    """The root, then every command in the order `--help` lists them, groups first."""
    root = typer.main.get_command(app)
    yield from _walk(root, (), root.context_class(root, info_name="zeroclaw"))


def _walk(command: Any, path: tuple[str, ...], ctx: Any) -> Iterator[CommandDoc]:
    subcommands = getattr(command, "commands", {})
    visible = tuple(name for name, sub in subcommands.items() if not sub.hidden)
    pieces = " ".join(command.collect_usage_pieces(ctx))
    yield CommandDoc(
        path=path,
        help=_clean(command.help or ""),
        usage=" ".join(part for part in (ctx.command_path, pieces) if part),
        parameters=tuple(_parameters(command, path, ctx)),
        subcommands=visible,
    )
    for name in visible:
        sub = subcommands[name]
        yield from _walk(sub, (*path, name), sub.context_class(sub, info_name=name, parent=ctx))


def _parameters(command: Any, path: tuple[str, ...], ctx: Any) -> Iterator[ParameterDoc]:
    for param in command.params:
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, full_help = record
        help_text = _clean(param.help or "")
        notes = full_help[len(help_text) :].strip() if full_help.startswith(help_text) else ""
        if param.param_type_name == "argument":
            names = (param.metavar or param.name or "").upper()
        flag = next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])
        key = " ".join((*path, flag if param.param_type_name == "option" else names))
        yield ParameterDoc(key=key, names=names, help=help_text, notes=notes)


def _clean(text: str) -> str:
    # typer's rich markup escapes a literal "[" as "\[": the reader should see "[".
    return inspect.cleandoc(text).replace("\\[", "[")


def render_commands(prose: Mapping[str, str], texts: Catalogue, current: str = "") -> str:
    """The whole document: generated parts from the CLI, prose blocks from `prose`.

    A translation (`texts` not English) keeps the translator's translated-from line of
    `current` first, and puts the English anchor before each heading, so that links
    written against the English page work on it (test_translation_structure.py).
    """
    every = list(commands())
    check_used(DOCUMENT, prose, [INTRO, *(command.key or "zeroclaw" for command in every)])
    label = {name: texts.text("label", f"commands.{name}", text) for name, text in LABELS.items()}
    anchors = not texts.is_english
    title = _anchor(LABELS["title"], anchors) + f"# {label['title']}\n\n"
    out = [translation_marker(current) if anchors else "", _NOTICE, "\n", title]
    out.append(prose_block(INTRO, prose.get(INTRO, "")))
    for command in every:
        out.append(_command(command, prose, texts, label, anchors))
    return "".join(out)


def _anchor(english_heading: str, anchors: bool) -> str:
    return f'<a id="{github_anchor(english_heading)}"></a>\n\n' if anchors else ""


def _command(
    command: CommandDoc,
    prose: Mapping[str, str],
    texts: Catalogue,
    label: Mapping[str, str],
    anchors: bool,
) -> str:
    depth = "#" * min(max(len(command.path), 1) + 1, 4)
    key = command.key or "zeroclaw"
    out = ["\n", _anchor(command.line, anchors), f"{depth} `{command.line}`\n\n"]
    if command.path:
        out.append(_paragraphs(texts.text("command", key, command.help)))
    else:
        out.append(label["global"] + "\n\n")
    out.append(f"{label['usage']} `{command.usage}`\n\n")
    if command.parameters:
        out.append(f"| {label['parameter']} | {label['description']} |\n|---|---|\n")
        for parameter in command.parameters:
            text = texts.text("option", parameter.key, parameter.help)
            cell = " ".join(part for part in (text, parameter.notes) if part)
            out.append(f"| `{_cell(parameter.names)}` | {_cell(cell)} |\n")
        out.append("\n")
    if command.subcommands:
        subs = ", ".join(f"`{name}`" for name in command.subcommands)
        out.append(f"{label['commands']} {subs}.\n\n")
    out.append(prose_block(key, prose.get(key, "")))
    return "".join(out)


def _paragraphs(text: str) -> str:
    return text.strip() + "\n\n" if text.strip() else ""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
