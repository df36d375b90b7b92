"""Full-text recall on both backends: FTS5 on SQLite, a tsvector with a GIN index on
PostgreSQL, asked the same question the same way.

User and model text is full of query syntax (`"`, `*`, `AND`, `NEAR(`, `-`, `:`, `&`, `!`);
passed through, it either raises a syntax error or means something nobody asked for. So a
query is first cut into word tokens (`search_terms`), folded the way SQLite's unicode61
tokenizer folds (lower case, diacritics removed: "Montréal" finds "montreal"), and the
words are ORed together, so the best match ranks first rather than every word being
required. On SQLite each word is a quoted FTS5 string; on PostgreSQL each is a bound
parameter of `plainto_tsquery`, never part of the SQL text.

PostgreSQL has no diacritics folding without the `unaccent` extension (which needs a
superuser on many servers), so the store folds the text itself before it builds the
tsvector (`memory_vector`, `summary_vector`), with the same function as the query. The
`simple` text search configuration keeps every word as it is (no stemming, no stop
words), as FTS5's unicode61 does: the same words match on both backends.

Ranking: a key match weighs twice a value match (keys are what a fact is about): bm25
weights 2:1 on SQLite, tsvector weights A (key) and B (value) with ranks 1.0 and 0.5 on
PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnClause, ColumnElement

_WORD = re.compile(r"\w+")
# Bounds the work one query can cause; recall questions are short.
MAX_TERMS = 32
TEXT_SEARCH_CONFIG = "simple"
# Constants of the SQL text, not parameters: PostgreSQL needs their types to pick the
# function (a parameter would arrive as text, and to_tsvector(text, text) does not exist).
_CONFIG: ColumnClause[Any] = sa.literal_column(f"'{TEXT_SEARCH_CONFIG}'::regconfig")
_WEIGHT_A: ColumnClause[Any] = sa.literal_column("'A'::\"char\"")
_WEIGHT_B: ColumnClause[Any] = sa.literal_column("'B'::\"char\"")
# ts_rank's weights for D, C, B, A: a key (A) counts twice a value (B).
_RANK_WEIGHTS: ColumnClause[Any] = sa.literal_column("'{0.1, 0.2, 0.5, 1.0}'::real[]")


def fold(text: str) -> str:
    """`text` in lower case without diacritics, as unicode61 (remove_diacritics 2) sees it."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def search_terms(text: str) -> list[str]:
    """The distinct folded words of `text`, at most `MAX_TERMS`; empty: nothing to search."""
    terms = dict.fromkeys(_WORD.findall(fold(text)))
    return list(terms)[:MAX_TERMS]


def fts5_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression for `terms` (from `search_terms`)."""
    # A word token holds no double quote, so quoting it cannot be broken out of.
    return " OR ".join(f'"{term}"' for term in terms)


def tsquery(terms: list[str]) -> ColumnElement[object]:
    """A PostgreSQL tsquery matching any of `terms`, each a bound parameter."""
    queries = [sa.func.plainto_tsquery(_CONFIG, term) for term in terms]
    combined: ColumnElement[object] = queries[0]
    for query in queries[1:]:
        combined = combined.op("||")(query)
    return combined


def memory_rank(
    search: ColumnElement[object], query: ColumnElement[object]
) -> ColumnElement[float]:
    return sa.func.ts_rank(_RANK_WEIGHTS, search, query, type_=sa.Float)


def memory_vector(key: str, value: str) -> ColumnElement[object]:
    """The tsvector of a memory on PostgreSQL: its key weighted A, its value B."""
    return sa.func.setweight(_vector(key), _WEIGHT_A).op("||")(
        sa.func.setweight(_vector(value), _WEIGHT_B)
    )


def summary_vector(content: str) -> ColumnElement[object]:
    return _vector(content)


def _vector(text: str) -> ColumnElement[object]:
    return sa.func.to_tsvector(_CONFIG, fold(text))
