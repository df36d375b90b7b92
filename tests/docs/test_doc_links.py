"""Every relative link and #anchor in README.md and docs/ leads somewhere."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_links import Link, anchors, links, slug

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])


def broken(link: Link) -> str | None:
    """Why `link` leads nowhere, or None when it is fine (or not ours to check)."""
    parts = urlsplit(link.target)
    if parts.scheme or parts.netloc or not link.target:
        return None  # http(s), mailto: the network is not ours to test
    target = (link.source.parent / unquote(parts.path)).resolve() if parts.path else link.source
    if not target.exists():
        return f"{unquote(parts.path)} does not exist"
    if parts.path and not target.is_relative_to(ROOT):
        return f"{unquote(parts.path)} is outside the repository"
    if parts.fragment and target.suffix == ".md":
        fragment = unquote(parts.fragment)
        if fragment not in anchors(target):
            return f"{unquote(parts.path) or target.name} has no heading with anchor #{fragment}"
    return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(document: Path) -> None:
    problems = [
        f"{link.source.relative_to(ROOT)}:{link.line}: ({link.target}) {why}"
        for link in links(document)
        if (why := broken(link)) is not None
    ]
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_slugs_follow_githubs_rule(tmp_path: Path) -> None:
    assert slug("Environment variables and `.env`") == "environment-variables-and-env"
    assert slug("`zeroclaw hooks list`") == "zeroclaw-hooks-list"
    assert slug("Où est le fichier ?") == "où-est-le-fichier-"
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Errors\n\n## Errors\n\n<a id='custom'></a>\n", "utf-8")
    assert anchors(page) == {"title", "errors", "errors-1", "custom"}


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](#page) [gone](missing.md) [bad](#nowhere) `[code](missing.md)`\n",
        "utf-8",
    )
    found = {link.target: broken(link) for link in links(page)}
    assert found["#page"] is None
    assert found["missing.md"] == "missing.md does not exist"
    assert found["#nowhere"] is not None
    assert "[code](missing.md)" not in found
