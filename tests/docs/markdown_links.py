"""The links of Markdown files and the anchors GitHub gives their headings.

Parsing is markdown-it-py's (CommonMark, as GitHub): a link inside a code span or a code
block is text, not a link, and a heading's anchor is made from its rendered text. The
anchor follows GitHub's rule: lower case, every character that is not a letter, a digit,
a space, `-` or `_` dropped, spaces turned into `-`, and `-1`, `-2`... added to repeats.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark").enable("table")
_NOT_IN_SLUG = re.compile(r"[^\w\- ]", re.UNICODE)
_HTML_ANCHOR = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")


@dataclass(frozen=True)
class Link:
    source: Path
    line: int
    target: str


def slug(text: str) -> str:
    return _NOT_IN_SLUG.sub("", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a link into `path` may name."""
    text = path.read_text(encoding="utf-8")
    found: set[str] = set(_HTML_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    tokens = _PARSER.parse(text)
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        base = slug(_text(tokens[index + 1].children or []))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> Iterator[Link]:
    """Every link and image of `path`, with the line it is on."""
    for token in _PARSER.parse(path.read_text(encoding="utf-8")):
        line = (token.map[0] + 1) if token.map else 0
        for child in token.children or []:
            if child.type == "link_open":
                yield Link(path, line, str(child.attrs.get("href", "")))
            elif child.type == "image":
                yield Link(path, line, str(child.attrs.get("src", "")))


def _text(children: list[Token]) -> str:
    # Raw HTML in a heading (`<name>`) is dropped by GitHub's sanitizer, so not in the slug.
    return "".join(child.content for child in children if child.type in ("text", "code_inline"))
