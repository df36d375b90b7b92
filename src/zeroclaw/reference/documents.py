"""Every generated document, English and translated, and how each is rendered.

One list, so that `python -m zeroclaw.reference` and the drift test agree on what is
generated. A translation of a generated page (docs/fr/config-reference.md) is generated
too, once its file exists: rendered from the language's catalogue and the page's own
prose blocks. Hand-written translations (troubleshooting, plugins-runtime, the README)
are held to their English page by tests/docs/test_translation_structure.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zeroclaw.config.reference import render_reference
from zeroclaw.reference.catalogue import Catalogue, english, load_catalogue
from zeroclaw.reference.commands import DOCUMENT as COMMANDS_DOCUMENT
from zeroclaw.reference.commands import render_commands
from zeroclaw.reference.prose import read_prose
from zeroclaw.reference.translated_config import render_translated_config

CONFIG_DOCUMENT = "config-reference.md"
GENERATED = (COMMANDS_DOCUMENT, CONFIG_DOCUMENT)

# The languages of the translations, by folder under docs/.
LANGUAGES = ("fr", "vi")


@dataclass(frozen=True)
class Generated:
    """One generated file: where it goes and how to render it from its current text."""

    path: Path
    render: Callable[[str], str]  # the current text (for its prose blocks) -> the new text
    catalogue: Catalogue


def generated_documents(docs: Path, languages: tuple[str, ...] | None = None) -> list[Generated]:
    """The generated files under `docs`, English first, then each translation's."""
    found = [
        Generated(docs / COMMANDS_DOCUMENT, _commands(english()), english()),
        Generated(docs / CONFIG_DOCUMENT, lambda _current: render_reference(), english()),
    ]
    for language in languages if languages is not None else LANGUAGES:
        texts = load_catalogue(language, docs)
        for name in GENERATED:
            path = docs / language / name
            if not path.exists():
                continue  # not translated yet: create the file to start (docs/translations.md)
            if name == COMMANDS_DOCUMENT:
                found.append(Generated(path, _commands(texts, docs / name), texts))
            elif name == CONFIG_DOCUMENT:
                found.append(Generated(path, _config(f"{language}/{name}", texts), texts))
    return found


def _commands(texts: Catalogue, english_page: Path | None = None) -> Callable[[str], str]:
    """A translation (`english_page` given) starts each block it does not have yet (a new
    page, a new command) from the English block, as a description starts from the English
    text: there to be translated, never an empty place where the English has an example."""

    def render(current: str) -> str:
        prose = read_prose(current)
        if english_page is not None and english_page.is_file():
            prose = {**read_prose(english_page.read_text("utf-8")), **prose}
        return render_commands(prose, texts, current)

    return render


def _config(where: str, texts: Catalogue) -> Callable[[str], str]:
    def render(current: str) -> str:
        return render_translated_config(where, current, texts)

    return render
