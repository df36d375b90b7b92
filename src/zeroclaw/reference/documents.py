"""Every generated document, English and translated, and how each is rendered.

One list, so that `python -m zeroclaw.reference` and the drift test agree on what is
generated. A translation exists once its folder does (docs/fr/, docs/vi/): from then on
its references are generated too, their descriptions taken from its catalogue.
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

# The languages the docs are translated into, by folder name under docs/.
TRANSLATIONS = {"fr": "Français", "vi": "Tiếng Việt"}

CONFIG_DOCUMENT = "config-reference.md"


@dataclass(frozen=True)
class Generated:
    """One generated file: where it goes and how to render it from its current text."""

    path: Path
    render: Callable[[str], str]  # the current text (for its prose blocks) -> the new text
    catalogue: Catalogue


def generated_documents(docs: Path) -> list[Generated]:
    """The generated files under `docs`, English first, then each existing translation."""
    found = [
        Generated(docs / COMMANDS_DOCUMENT, _commands(english()), english()),
        Generated(docs / CONFIG_DOCUMENT, lambda _current: render_reference(), english()),
    ]
    for language in translations(docs):
        texts = load_catalogue(language, docs)
        found.append(Generated(docs / language / COMMANDS_DOCUMENT, _commands(texts), texts))
    return found


def translations(docs: Path) -> list[str]:
    """The translations that have been started: those whose folder exists."""
    return [language for language in TRANSLATIONS if (docs / language).is_dir()]


def _commands(texts: Catalogue) -> Callable[[str], str]:
    def render(current: str) -> str:
        return render_commands(read_prose(current), texts)

    return render
