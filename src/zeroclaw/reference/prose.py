"""Hand-written passages inside a generated document, and how they survive regeneration.

A generated document keeps what a person wrote between markers:

    <!-- prose: hooks explain -->
    ...anything in Markdown...
    <!-- /prose -->

The generator reads the blocks from the current file and writes each back at its key's
place, so editing the document where you read it is the way to change the prose. A block
whose key the code no longer has (a removed command) is an error naming it, never
silently dropped: someone wrote it, someone must move or delete it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from zeroclaw.errors import ZeroClawError

# The first line of a translated page: the English file and the commit it translates
# (tests/docs/test_translation_structure.py reads it). Written by the translator, kept by
# the generator.
_MARKER = re.compile(r"\A<!-- translated from \S+ at [0-9a-f]{7,40} -->\n")

_BLOCK = re.compile(r"<!-- prose: (?P<key>[^>]+?) -->\n(?P<text>.*?)<!-- /prose -->\n?", re.DOTALL)


class ProseError(ZeroClawError):
    """A generated document's hand-written blocks do not fit what the code has."""


def read_prose(document: str) -> dict[str, str]:
    """Every block of `document`, by key: the text between the markers, as written."""
    blocks: dict[str, str] = {}
    for match in _BLOCK.finditer(document):
        key = match["key"].strip()
        if key in blocks:
            raise ProseError(
                f"two prose blocks are named {key!r}",
                hint="merge them into one <!-- prose: ... --> block",
            )
        blocks[key] = match["text"]
    return blocks


def translation_marker(document: str) -> str:
    """The translated-from line opening `document`, or "" if it has none."""
    found = _MARKER.match(document)
    return found.group(0) if found else ""


def prose_block(key: str, text: str) -> str:
    """The block for `key`, holding `text` (an empty one invites writing)."""
    if text and not text.endswith("\n"):
        text += "\n"
    return f"<!-- prose: {key} -->\n{text}<!-- /prose -->\n"


def check_used(path: str, blocks: Mapping[str, str], keys: Iterable[str]) -> None:
    """Fail on a block whose key the generated document no longer has a place for."""
    orphans = sorted(set(blocks) - set(keys))
    if orphans:
        names = ", ".join(repr(key) for key in orphans)
        raise ProseError(
            f"{path} has hand-written prose for {names}, which the code no longer has",
            hint="move that text into the block of the command or key that replaced it, "
            "or delete the block, then regenerate",
        )


# A computed part inside hand-written prose (a translation's introduction quoting the
# built-in providers or a real error message): refreshed from the code on every
# regeneration, so the prose around it is written once and its facts never go stale.
_FRAGMENT = re.compile(
    r"<!-- generated: (?P<key>[\w-]+) -->(?P<text>.*?)<!-- /generated -->", re.DOTALL
)


def refresh_fragments(path: str, prose: str, fragments: Mapping[str, str]) -> str:
    """`prose` with the text of each generated fragment replaced by its current value."""

    def refreshed(match: re.Match[str]) -> str:
        key = match["key"]
        if key not in fragments:
            known = ", ".join(sorted(fragments))
            raise ProseError(
                f"{path} quotes a generated fragment {key!r} the code does not have",
                hint=f"use one of: {known}",
            )
        # A fragment on lines of its own (a table, a code block) stays a block of its own,
        # blank lines around it so that Markdown ends the block before the closing marker.
        block = match["text"].startswith("\n")
        value = f"\n\n{fragments[key]}\n\n" if block else fragments[key]
        return f"<!-- generated: {key} -->{value}<!-- /generated -->"

    return _FRAGMENT.sub(refreshed, prose)
