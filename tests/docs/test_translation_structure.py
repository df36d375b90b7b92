"""The French and Vietnamese pages under docs/fr/ and docs/vi/ keep the shape of the
English page they translate, so a reader (or a parity check) can go section by section.

Each translated file opens with `<!-- translated from ENGLISH_PATH at SHORT_SHA -->`,
naming its English source and the commit it was translated from. For each one this
checks, against the English file as it is now:

- the same sequence of heading levels, and every English heading's GitHub anchor kept
  as an explicit `<a id="...">` (links written against the English page work on the
  translation too);
- the same code blocks, byte for byte, in the same order;
- every inline-code span of the English file present in the translation (commands,
  keys, error names and quoted messages are never translated);
- the same tables (rows and columns);
- every relative link resolving to an existing file, and its anchor, if any, to a
  heading or explicit anchor of the target.

A change to the English file after the recorded commit that keeps its shape is reported
as a warning (the prose may need a new translation); one that changes its shape fails
here. Markdown is parsed with markdown-it-py, the CommonMark parser rich already uses.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("fr", "vi")
# The pages every language must have (the English path each one translates).
EXPECTED = {
    "README.md": "README.md",
    "plugins-runtime.md": "docs/plugins-runtime.md",
    "config-reference.md": "docs/config-reference.md",
    "troubleshooting.md": "docs/troubleshooting.md",
    "commands-reference.md": "docs/commands-reference.md",
}
# Expected pages a language does not have yet (issue #24): skipped, named, and an error
# as soon as the page exists, so that the exception is removed with the work done.
NOT_YET: set[tuple[str, str]] = set()
MARKER = re.compile(r"\A<!-- translated from (\S+) at ([0-9a-f]{7,40}) -->\n")
EXPLICIT_ANCHOR = re.compile(r'<a id="([^"]+)"></a>')


@dataclass(frozen=True)
class Shape:
    """What a Markdown file is made of, as far as the translations must agree."""

    headings: list[tuple[int, str]]  # (level, text)
    code_blocks: list[str]
    inline_code: set[str]
    tables: list[list[tuple[bool, ...]]]  # per table, per row: which cells are filled
    links: list[str]
    anchors: set[str]


def github_slug(text: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped (Unicode
    letters kept), spaces to hyphens, `-1`, `-2`... on repeats."""
    slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


def _inline_text(token: Token) -> str:
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))


@cache
def shape(path: Path) -> Shape:
    text = path.read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings: list[tuple[int, str]] = []
    code_blocks: list[str] = []
    inline_code: set[str] = set()
    tables: list[list[tuple[bool, ...]]] = []
    links: list[str] = []
    rows: list[tuple[bool, ...]] = []
    cells: list[bool] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            headings.append((int(token.tag[1]), _inline_text(tokens[i + 1])))
        elif token.type in ("fence", "code_block"):
            code_blocks.append(token.content)
        elif token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            cells = []
        elif token.type in ("th_open", "td_open"):
            cells.append(bool(tokens[i + 1].content.strip()))
        elif token.type == "tr_close":
            rows.append(tuple(cells))
        elif token.type == "table_close":
            tables.append(rows)
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "code_inline":
                    inline_code.add(child.content)
                elif child.type == "link_open":
                    links.append(str(child.attrs["href"]))
    seen: dict[str, int] = {}
    anchors = {github_slug(t, seen) for _, t in headings}
    anchors |= set(EXPLICIT_ANCHOR.findall(text))
    return Shape(headings, code_blocks, inline_code, tables, links, anchors)


def translations() -> list[Path]:
    return sorted(p for lang in LANGUAGES for p in (ROOT / "docs" / lang).glob("*.md"))


def source_of(translated: Path) -> tuple[Path, str]:
    head = translated.read_text(encoding="utf-8")
    found = MARKER.match(head)
    assert found, (
        f"{translated.relative_to(ROOT)}: the first line must be "
        "`<!-- translated from ENGLISH_PATH at SHORT_SHA -->`"
    )
    return ROOT / found[1], found[2]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_expected_page_is_translated(lang: str) -> None:
    pending = []
    for name, english in EXPECTED.items():
        page = ROOT / "docs" / lang / name
        if (lang, name) in NOT_YET:
            assert not page.exists(), f"docs/{lang}/{name} exists: remove it from NOT_YET"
            pending.append(name)
            continue
        assert page.is_file(), f"docs/{lang}/{name} (translating {english}) is missing"
        assert source_of(page)[0] == ROOT / english
    if pending:
        pytest.skip(f"docs/{lang} does not translate {', '.join(pending)} yet")


@pytest.fixture(params=translations(), ids=lambda p: str(p.relative_to(ROOT)))
def pair(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    translated: Path = request.param
    english, _ = source_of(translated)
    assert english.is_file(), f"{translated.relative_to(ROOT)} translates a missing file"
    return english, translated


def test_same_heading_levels(pair: tuple[Path, Path]) -> None:
    english, translated = (shape(p) for p in pair)
    for (en_level, en_text), (tr_level, tr_text) in zip(
        english.headings, translated.headings, strict=False
    ):
        assert tr_level == en_level, f"{'#' * en_level} {en_text} is {'#' * tr_level} {tr_text}"
    assert len(translated.headings) == len(english.headings)


def test_english_anchors_kept(pair: tuple[Path, Path]) -> None:
    english_path, translated_path = pair
    seen: dict[str, int] = {}
    wanted = [github_slug(t, seen) for _, t in shape(english_path).headings]
    explicit = set(EXPLICIT_ANCHOR.findall(translated_path.read_text(encoding="utf-8")))
    assert [a for a in wanted if a not in explicit] == []


def test_same_code_blocks(pair: tuple[Path, Path]) -> None:
    english, translated = (shape(p) for p in pair)
    assert len(translated.code_blocks) == len(english.code_blocks)
    for n, (en, tr) in enumerate(zip(english.code_blocks, translated.code_blocks, strict=True)):
        assert tr == en, f"code block {n + 1} differs from the English one"


def test_inline_code_kept(pair: tuple[Path, Path]) -> None:
    english, translated = (shape(p) for p in pair)
    assert sorted(english.inline_code - translated.inline_code) == []


def test_same_tables(pair: tuple[Path, Path]) -> None:
    english, translated = (shape(p) for p in pair)
    # The same rows and columns, and a cell filled in English is filled in the translation.
    assert translated.tables == english.tables


def test_relative_links_resolve(pair: tuple[Path, Path]) -> None:
    _, translated = pair
    broken = []
    for href in shape(translated).links:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue  # not relative: not checked offline
        target = (translated.parent / unquote(parts.path)).resolve() if parts.path else translated
        if not target.exists():
            broken.append(f"{href}: no such file")
        elif (
            parts.fragment
            and target.suffix == ".md"
            # markdown-it percent-encodes a non-ASCII anchor (#mémoire) in the href
            and unquote(parts.fragment) not in shape(target).anchors
        ):
            broken.append(f"{href}: no anchor #{unquote(parts.fragment)} in {target.name}")
    assert broken == []


def test_recorded_commit(pair: tuple[Path, Path]) -> None:
    english, translated = pair
    _, sha = source_of(translated)
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the recorded commit cannot be checked")
    rel = english.relative_to(ROOT).as_posix()
    known = subprocess.run(
        [git, "cat-file", "-e", f"{sha}:{rel}"], cwd=ROOT, capture_output=True, check=False
    )
    assert known.returncode == 0, f"{translated.relative_to(ROOT)}: no {rel} at commit {sha}"
    changed = subprocess.run(
        [git, "diff", "--quiet", sha, "--", rel], cwd=ROOT, capture_output=True, check=False
    )
    if changed.returncode != 0:
        warnings.warn(
            f"{rel} changed since {sha}, which {translated.relative_to(ROOT)} translates: "
            f"`git diff {sha} -- {rel}` shows what to carry over",
            stacklevel=1,
        )
