"""The generated references are up to date, complete, and keep their hand-written prose."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from zeroclaw.cli import app
from zeroclaw.config.reference import github_anchor
from zeroclaw.config.schema import sections
from zeroclaw.reference.__main__ import main as regenerate
from zeroclaw.reference.catalogue import english
from zeroclaw.reference.commands import commands, render_commands
from zeroclaw.reference.documents import Generated, generated_documents
from zeroclaw.reference.prose import ProseError, read_prose

DOCS = Path(__file__).resolve().parents[2] / "docs"
REGENERATE = "python -m zeroclaw.reference"


@pytest.mark.parametrize(
    "document", generated_documents(DOCS), ids=lambda d: str(d.path.relative_to(DOCS))
)
def test_generated_document_is_up_to_date(document: Generated) -> None:
    current = document.path.read_text(encoding="utf-8")
    assert current == document.render(current), (
        f"docs/{document.path.relative_to(DOCS)} is out of date; regenerate every "
        f"generated doc with `{REGENERATE}` (from the repository's root)"
    )


# The English commands reference and every translation of it.
COMMANDS_PAGES = [DOCS / "commands-reference.md", *sorted(DOCS.glob("*/commands-reference.md"))]


@pytest.mark.parametrize("page", COMMANDS_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_commands_reference_has_every_command_and_option_the_cli_accepts(page: Path) -> None:
    # Every translation too: a reader of docs/vi/ finds every command and option there,
    # under the English anchor (#zeroclaw-hooks-explain) links are written against.
    text = page.read_text(encoding="utf-8")
    translated = page.parent != DOCS
    click_app = typer.main.get_command(app)
    seen = 0
    for command in commands():
        assert f"`{command.line}`" in text
        if translated:
            assert f'<a id="{github_anchor(command.line)}"></a>' in text, command.line
        target: object = click_app
        for part in command.path:
            target = target.commands[part]  # type: ignore[attr-defined]
        for param in target.params:  # type: ignore[attr-defined]
            if param.param_type_name == "option" and not param.hidden:
                long_name = next(o for o in param.opts if o.startswith("--"))
                # In the command's table of arguments and options, not only in its prose.
                row = rf"^\| `[^`]*{re.escape(long_name)}(?![\w-])[^`]*` \|"
                section = _section_of(text, command.line)
                assert re.search(row, section, flags=re.MULTILINE), (
                    f"{page.name}: {command.line}: {long_name} is not in its table"
                )
                seen += 1
    assert seen > 50  # the walk really reached the options


def test_config_commands_are_in_the_commands_reference() -> None:
    text = (DOCS / "commands-reference.md").read_text(encoding="utf-8")
    for name in ("path", "init", "validate", "show", "get", "set", "unset"):
        assert f"\n### `zeroclaw config {name}`\n" in text


def test_every_command_documented_is_one_the_cli_runs() -> None:
    # Against the real CLI: every heading's command answers --help with exit 0.
    text = (DOCS / "commands-reference.md").read_text(encoding="utf-8")
    lines = re.findall(r"^#{2,4} `zeroclaw ?([^`]*)`$", text, flags=re.MULTILINE)
    assert "hooks explain" in lines
    assert "config set" in lines
    runner = CliRunner()
    for line in lines:
        result = runner.invoke(app, [*line.split(), "--help"])
        assert result.exit_code == 0, f"zeroclaw {line} --help: {result.output}"


def test_hand_written_prose_survives_regeneration() -> None:
    current = (DOCS / "commands-reference.md").read_text(encoding="utf-8")
    prose = read_prose(current)
    prose["hooks explain"] = "An example written by hand.\n"
    again = render_commands(prose, english())
    assert read_prose(again)["hooks explain"] == "An example written by hand.\n"
    assert render_commands(read_prose(again), english()) == again


def test_prose_of_a_removed_command_is_an_error_naming_it() -> None:
    prose = {"hooks forecast": "Nothing runs this any more.\n"}
    with pytest.raises(ProseError) as caught:
        render_commands(prose, english())
    assert "'hooks forecast'" in caught.value.message


def test_check_mode_names_a_stale_file_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)  # translations included: they are generated too
    assert regenerate(["--check", "--docs", str(docs)]) == 0
    stale = (DOCS / "commands-reference.md").read_text("utf-8").replace("Usage:", "Use:", 1)
    (docs / "commands-reference.md").write_text(stale, "utf-8")
    assert regenerate(["--check", "--docs", str(docs)]) == 1
    assert "out of date: " in capsys.readouterr().out
    assert (docs / "commands-reference.md").read_text("utf-8") == stale
    assert regenerate(["--docs", str(docs)]) == 0
    assert (docs / "commands-reference.md").read_text("utf-8") == (
        DOCS / "commands-reference.md"
    ).read_text("utf-8")


def test_config_types_are_words_not_python_reprs() -> None:
    for section in sections():
        for key in section.keys:
            assert "typing" not in key.type_text, key.type_text
            assert "[" not in key.type_text, key.type_text
    text = (DOCS / "config-reference.md").read_text(encoding="utf-8")
    assert '| `backend` | "sqlite" \\| "postgres" |' in text
    assert '"noop" \\| "log" \\| "prometheus" \\| "otel", or a list of them' in text


def _section_of(text: str, line: str) -> str:
    # From the command's heading (not a mention of it in prose) to the next command's.
    heading = re.search(rf"^#{{2,4}} `{re.escape(line)}`$", text, flags=re.MULTILINE)
    assert heading, f"no heading for `{line}`"
    start = heading.start()
    following = re.search(r"\n#{2,4} `zeroclaw", text[start + 1 :])
    return text[start : start + 1 + following.start()] if following else text[start:]
