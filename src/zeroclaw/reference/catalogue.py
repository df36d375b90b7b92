"""Translated descriptions for the generated references, one catalogue per language.

`docs/<lang>/descriptions.toml` holds, for every command, option, config section and key
the English reference describes, the translated text and a fingerprint of the English it
was translated from:

    [option."hooks explain --payload"]
    text = "La charge utile de l'événement, en objet JSON."
    source = "3f2a9c1d"

The generators ask the catalogue for each description. An entry that is missing, or
whose English has changed since (`source` no longer matches), falls back to the English
text and is listed, so a translation can be regenerated at any time and the parity test
names exactly what is left to translate. One source per language: the translated
documents are never edited where the catalogue has the text.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zeroclaw.errors import ZeroClawError

CATALOGUE_FILE = "descriptions.toml"

# What the catalogue's entries describe; the table names of descriptions.toml.
KINDS = ("label", "command", "option", "section", "named", "config", "default", "type")


class CatalogueError(ZeroClawError):
    """A catalogue file that cannot be read."""


def fingerprint(english: str) -> str:
    """Short, stable digest of an English text, recorded beside its translation."""
    return hashlib.sha256(english.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Entry:
    text: str
    source: str


@dataclass
class Catalogue:
    """The descriptions of one language; English is the catalogue that has none."""

    language: str
    entries: Mapping[str, Mapping[str, Entry]] = field(default_factory=dict)
    missing: list[tuple[str, str]] = field(default_factory=list)
    stale: list[tuple[str, str]] = field(default_factory=list)
    # Every (kind, key) asked for, with its English: what a complete catalogue holds.
    asked: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def is_english(self) -> bool:
        return self.language == "en"

    def text(self, kind: str, key: str, english: str) -> str:
        """The description of `key` in this language, or the English while untranslated."""
        if self.is_english or not english:
            return english
        self.asked[(kind, key)] = english
        entry = self.entries.get(kind, {}).get(key)
        if entry is None:
            self.missing.append((kind, key))
            return english
        if entry.source != fingerprint(english):
            self.stale.append((kind, key))
            return english
        return entry.text

    def unused(self) -> list[tuple[str, str]]:
        """Entries no generated text asked for: a removed command or key, or a typo."""
        return sorted(
            (kind, key)
            for kind, table in self.entries.items()
            for key in table
            if (kind, key) not in self.asked
        )


def english() -> Catalogue:
    return Catalogue("en")


def load_catalogue(language: str, docs: Path) -> Catalogue:
    """The catalogue of `language` from docs/<language>/descriptions.toml (empty if none)."""
    path = docs / language / CATALOGUE_FILE
    if not path.is_file():
        return Catalogue(language)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(
            f"cannot read {path}: {exc}", hint="fix the file (it is TOML, in UTF-8)"
        ) from None
    return Catalogue(language, {kind: _entries(path, kind, data.get(kind, {})) for kind in KINDS})


def _entries(path: Path, kind: str, table: Any) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for key, value in table.items():
        if not (isinstance(value, dict) and isinstance(value.get("text"), str)):
            raise CatalogueError(
                f"{path}: [{kind}] {key!r} has no text",
                hint='write it as {text = "...", source = "<fingerprint of the English>"}',
            )
        entries[key] = Entry(text=value["text"], source=str(value.get("source", "")))
    return entries
