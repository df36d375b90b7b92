"""Turning free text into a safe FTS5 query.

User and model text is full of FTS5 syntax (`"`, `*`, `AND`, `NEAR(`, `-`, `:`); passed
through, it either raises a syntax error or means something nobody asked for. We keep only
word tokens, quote each one, and OR them together so bm25 ranks documents by how well
they match rather than requiring every word.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
# Bounds the work one query can cause; recall questions are short.
MAX_TERMS = 32


def match_expression(text: str) -> str | None:
    """An FTS5 MATCH expression for `text`, or None when it has no searchable word."""
    terms = dict.fromkeys(word.lower() for word in _WORD.findall(text))
    if not terms:
        return None
    # A word token holds no double quote, so quoting it cannot be broken out of.
    return " OR ".join(f'"{term}"' for term in list(terms)[:MAX_TERMS])
