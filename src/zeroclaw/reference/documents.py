"""Every generated document, English and translated, and how each is rendered.

One list, so that `python -m zeroclaw.reference` and the drift test agree on what is
generated. Each translation names the documents it has so far: a generated one (the
config and commands references) is rendered from the language's catalogue and its own
prose blocks; a hand-written one (troubleshooting, plugins-runtime) is only checked for
parity with the English (tests/docs/test_translations.py).
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

# The translations, by folder under docs/, with the documents each has so far. Adding a
# document here is how a translation grows: the tests then hold it to the English.
TRANSLATIONS: dict[str, tuple[str, ...]] = {
    "fr": (CONFIG_DOCUMENT, "troubleshooting.md", "README.md"),
    "vi": (CONFIG_DOCUMENT, "troubleshooting.md", "README.md"),
}


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
    for language in languages if languages is not None else tuple(TRANSLATIONS):
        texts = load_catalogue(language, docs)
        for name in TRANSLATIONS[language]:
            path = docs / language / name
            if name == COMMANDS_DOCUMENT:
                found.append(Generated(path, _commands(texts), texts))
            elif name == CONFIG_DOCUMENT:
                found.append(Generated(path, _config(f"{language}/{name}", texts), texts))
    return found


def _commands(texts: Catalogue) -> Callable[[str], str]:
    def render(current: str) -> str:
        return render_commands(read_prose(current), texts)

    return render


def _config(where: str, texts: Catalogue) -> Callable[[str], str]:
    def render(current: str) -> str:
        return render_translated_config(where, current, texts)

    return render
