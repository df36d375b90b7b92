"""Each translation (docs/fr, docs/vi) says what the English says: the same sections,
every config key, command and error type, code and keys untouched, and generated
descriptions that are complete and current in the language's catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from zeroclaw.reference.catalogue import Catalogue, english, load_catalogue
from zeroclaw.reference.documents import GENERATED, TRANSLATIONS, generated_documents
from zeroclaw.reference.error_types import error_types, gateway_codes
from zeroclaw.reference.translated_config import translation_fragments

DOCS = Path(__file__).resolve().parents[2] / "docs"
_PARSER = MarkdownIt("commonmark").enable("table")
PAIRS = [(language, name) for language, names in TRANSLATIONS.items() for name in names]


def _outline(text: str) -> list[tuple[str, str]]:
    """Each heading's level, and its text when it is code only (`[llm]`, `zeroclaw x`)."""
    tokens = _PARSER.parse(text)
    outline = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            children = tokens[index + 1].children or []
            words = [c for c in children if c.type == "text" and c.content.strip()]
            code = "".join(c.content for c in children) if not words else ""
            outline.append((token.tag, code))
    return outline


def _fences(text: str) -> list[str]:
    return [t.content for t in _PARSER.parse(text) if t.type == "fence"]


def _code_spans(text: str) -> set[str]:
    return {
        child.content
        for token in _PARSER.parse(text)
        for child in token.children or []
        if child.type == "code_inline"
    }


def _pair(language: str, name: str) -> tuple[str, str]:
    translated = DOCS / language / name
    assert translated.is_file(), f"docs/{language}/{name} is missing"
    # A translated README translates the repository's own, not a page of docs/.
    source = DOCS.parent / name if name == "README.md" else DOCS / name
    return source.read_text("utf-8"), translated.read_text("utf-8")


@pytest.mark.parametrize(("language", "name"), PAIRS)
def test_same_sections_as_the_english(language: str, name: str) -> None:
    source, translated = _pair(language, name)
    assert _outline(translated) == _outline(source), (
        f"docs/{language}/{name} does not have the sections of docs/{name} "
        "(the same headings, at the same levels, in the same order)"
    )


@pytest.mark.parametrize(("language", "name"), PAIRS)
def test_code_and_keys_are_untouched(language: str, name: str) -> None:
    source, translated = _pair(language, name)
    assert _fences(translated) == _fences(source), f"docs/{language}/{name}: a code block differs"
    missing = sorted(_code_spans(source) - _code_spans(translated))
    assert not missing, f"docs/{language}/{name} lacks these code spans of the English: {missing}"


@pytest.mark.parametrize(
    "language", [lang for lang, names in TRANSLATIONS.items() if "troubleshooting.md" in names]
)
def test_every_error_type_and_code_is_in_the_translated_troubleshooting(language: str) -> None:
    text = (DOCS / language / "troubleshooting.md").read_text("utf-8")
    rows = set(re.findall(r"^\| `([A-Za-z_]+)` \|", text, flags=re.MULTILINE))
    missing = sorted({e.name for e in error_types()} - rows) + sorted(gateway_codes() - rows)
    assert not missing, f"docs/{language}/troubleshooting.md has no entry for {missing}"


@pytest.mark.parametrize("language", list(TRANSLATIONS))
def test_generated_descriptions_are_complete_and_current(language: str) -> None:
    if not any(name in GENERATED for name in TRANSLATIONS[language]):
        pytest.skip(f"{language} has no generated document yet")
    texts = _render_language(language)
    assert not texts.missing, f"docs/{language}/descriptions.toml lacks {texts.missing[:10]}..."
    assert not texts.stale, (
        f"docs/{language}/descriptions.toml translates an older English for {texts.stale}: "
        f"`python -m zeroclaw.reference --todo {language}` prints the new English"
    )
    assert not texts.unused(), f"docs/{language}/descriptions.toml: unused {texts.unused()}"


@pytest.mark.parametrize(
    "language", [lang for lang, names in TRANSLATIONS.items() if "config-reference.md" in names]
)
def test_translated_config_reference_quotes_every_fact_from_the_code(language: str) -> None:
    text = (DOCS / language / "config-reference.md").read_text("utf-8")
    for fragment in translation_fragments():
        assert f"<!-- generated: {fragment} -->" in text, (
            f"docs/{language}/config-reference.md does not quote `{fragment}` from the code"
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


def _render_language(language: str) -> Catalogue:
    documents = [d for d in generated_documents(DOCS, (language,)) if language in d.path.parts]
    for document in documents:
        document.render(document.path.read_text("utf-8"))
    return documents[0].catalogue
