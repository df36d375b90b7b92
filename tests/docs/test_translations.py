"""The generated translations (docs/fr/config-reference.md, ...) take every description
from their language's catalogue, complete and current, and quote every fact of the code
their introduction needs. Their structure (headings, anchors, code, tables, links) is held
to the English page by test_translation_structure.py, as every translation's is."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
import tomlkit

from zeroclaw.reference.__main__ import main as regenerate
from zeroclaw.reference.catalogue import english, load_catalogue
from zeroclaw.reference.commands import DOCUMENT as COMMANDS_DOCUMENT
from zeroclaw.reference.documents import CONFIG_DOCUMENT, LANGUAGES, generated_documents
from zeroclaw.reference.prose import read_prose
from zeroclaw.reference.translated_config import translation_fragments

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _translated(language: str) -> list[Path]:
    return [d.path for d in generated_documents(DOCS, (language,)) if language in d.path.parts]


@pytest.mark.parametrize("language", LANGUAGES)
def test_generated_descriptions_are_complete_and_current(language: str) -> None:
    documents = [d for d in generated_documents(DOCS, (language,)) if language in d.path.parts]
    if not documents:
        pytest.skip(f"{language} has no generated page yet")
    for document in documents:
        document.render(document.path.read_text("utf-8"))
    texts = documents[0].catalogue
    assert not texts.missing, f"docs/{language}/descriptions.toml lacks {texts.missing[:10]}"
    assert not texts.stale, (
        f"docs/{language}/descriptions.toml translates an older English for {texts.stale}: "
        f"`python -m zeroclaw.reference --todo {language}` prints the new English"
    )
    assert not texts.unused(), f"docs/{language}/descriptions.toml: unused {texts.unused()}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translated_config_reference_quotes_every_fact_from_the_code(language: str) -> None:
    page = DOCS / language / CONFIG_DOCUMENT
    if page not in _translated(language):
        pytest.skip(f"{language} has no config reference yet")
    text = page.read_text("utf-8")
    for fragment in translation_fragments():
        assert f"<!-- generated: {fragment} -->" in text, (
            f"docs/{language}/{CONFIG_DOCUMENT} does not quote `{fragment}` from the code"
        )


def test_a_changed_english_description_shows_as_stale(tmp_path: Path) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "descriptions.toml").write_text(
        '[config."memory.recall_limit"]\ntext = "Souvenirs"\nsource = "00000000"\n', "utf-8"
    )
    texts = load_catalogue("xx", tmp_path)
    assert texts.text("config", "memory.recall_limit", "Memories returned") == "Memories returned"
    assert texts.stale == [("config", "memory.recall_limit")]
    assert english().text("config", "memory.recall_limit", "Memories") == "Memories"


def test_a_changed_command_help_shows_in_english_until_translated_again() -> None:
    # The French commands reference takes its option help from the catalogue: an English
    # help that changes makes the entry stale, and the page shows the new English.
    texts = load_catalogue("fr", DOCS)
    key = "hooks explain --payload"
    assert texts.entries["option"][key].text.startswith("La charge utile")
    assert texts.text("option", key, "The payload, as JSON.") == "The payload, as JSON."
    assert texts.stale == [("option", key)]


def test_the_translators_marker_line_survives_regeneration() -> None:
    page = DOCS / "fr" / CONFIG_DOCUMENT
    current = page.read_text("utf-8")
    assert current.startswith("<!-- translated from docs/config-reference.md at ")
    (document,) = [d for d in generated_documents(DOCS, ("fr",)) if d.path == page]
    assert document.render(current).splitlines()[0] == current.splitlines()[0]


def test_a_new_translated_commands_reference_is_generated_from_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # How a language starts a generated page: the file with its translated-from line only,
    # and a catalogue that has none of its descriptions yet.
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    catalogue = docs / "fr" / "descriptions.toml"
    entries = tomllib.loads(catalogue.read_text("utf-8"))
    for kind in ("command", "option"):
        entries.pop(kind, None)
    labels = entries.get("label", {})
    entries["label"] = {key: value for key, value in labels.items() if key.startswith("config.")}
    catalogue.write_text(tomlkit.dumps(entries), encoding="utf-8")
    page = docs / "fr" / "commands-reference.md"
    marker = "<!-- translated from docs/commands-reference.md at 0000000 -->\n"
    page.write_text(marker, encoding="utf-8")
    assert regenerate(["--docs", str(docs)]) == 0
    text = page.read_text("utf-8")
    assert text.startswith(marker)
    english = (DOCS / "commands-reference.md").read_text("utf-8")
    # The prose starts as the English, block by block, to be translated in place.
    assert read_prose(text) == read_prose(english)
    for line in re.findall(r"^#{2,4} `(zeroclaw[^`]*)`$", english, flags=re.MULTILINE):
        assert f'<a id="{line.replace(" ", "-")}"></a>\n\n' in text
    capsys.readouterr()
    assert regenerate(["--todo", "fr", "--docs", str(docs)]) == 0
    todo = capsys.readouterr().out
    assert '[command."hooks explain"]' in todo
    assert '[option."hooks explain --payload"]' in todo
    assert '[label."commands.usage"]' in todo
    assert "[config." not in todo  # what the language has stays as it is


@pytest.mark.parametrize("language", LANGUAGES)
def test_translated_commands_reference_translates_every_prose_block(language: str) -> None:
    # The generator carries the help strings; what a person wrote per command (examples,
    # --json shapes, key bindings) must be written again in the language, not left empty
    # or in English. A block that is only code is the same in every language.
    page = DOCS / language / COMMANDS_DOCUMENT
    if page not in _translated(language):
        pytest.skip(f"{language} has no commands reference yet")
    english = read_prose((DOCS / COMMANDS_DOCUMENT).read_text("utf-8"))
    translated = read_prose(page.read_text("utf-8"))
    untranslated = [
        key
        for key, text in english.items()
        if _words(text) and (not translated.get(key, "").strip() or translated[key] == text)
    ]
    assert untranslated == [], (
        f"docs/{language}/{COMMANDS_DOCUMENT}: these prose blocks are empty or still the "
        f"English text: {untranslated}"
    )


def _words(markdown: str) -> str:
    """The prose of a block: what is left without its fenced code and inline code."""
    without_fences = re.sub(r"^```.*?^```", "", markdown, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r"`[^`]*`", "", without_fences).strip(" \n.,:;()")
