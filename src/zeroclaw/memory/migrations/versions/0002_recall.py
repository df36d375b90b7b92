"""Key-value memories, and full-text recall of memories and summaries.

Revision 0002, after 0001. The table is the same on both backends; the index is each
backend's own: on SQLite, external-content FTS5 tables kept in step by triggers; on
PostgreSQL, a `search` tsvector column on `memories` and `summaries` with a GIN index,
which the store fills on every write (see memory/search.py for why it is not a generated
column). Summaries written at 0001 are indexed here too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from zeroclaw.memory.search import summary_vector

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_FTS = "tokenize = 'unicode61 remove_diacritics 2'"

_SQLITE_FTS = (
    # External-content FTS tables: the text lives once, in the real table; the triggers
    # keep the index in step with every insert, update and delete.
    "CREATE VIRTUAL TABLE memories_fts USING fts5"
    f"(key, value, content = 'memories', content_rowid = 'id', {_FTS})",
    """
    CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts (rowid, key, value) VALUES (new.id, new.key, new.value);
    END
    """,
    """
    CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, key, value)
            VALUES ('delete', old.id, old.key, old.value);
    END
    """,
    """
    CREATE TRIGGER memories_fts_update AFTER UPDATE ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, key, value)
            VALUES ('delete', old.id, old.key, old.value);
        INSERT INTO memories_fts (rowid, key, value) VALUES (new.id, new.key, new.value);
    END
    """,
    "CREATE VIRTUAL TABLE summaries_fts USING fts5"
    f"(content, content = 'summaries', content_rowid = 'id', {_FTS})",
    """
    CREATE TRIGGER summaries_fts_insert AFTER INSERT ON summaries BEGIN
        INSERT INTO summaries_fts (rowid, content) VALUES (new.id, new.content);
    END
    """,
    """
    CREATE TRIGGER summaries_fts_delete AFTER DELETE ON summaries BEGIN
        INSERT INTO summaries_fts (summaries_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
    END
    """,
    """
    CREATE TRIGGER summaries_fts_update AFTER UPDATE ON summaries BEGIN
        INSERT INTO summaries_fts (summaries_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
        INSERT INTO summaries_fts (rowid, content) VALUES (new.id, new.content);
    END
    """,
    "INSERT INTO summaries_fts (summaries_fts) VALUES ('rebuild')",
    "PRAGMA user_version = 2",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    search = (
        [sa.Column("search", postgresql.TSVECTOR, nullable=False, server_default="")]
        if postgres
        else []
    )
    op.create_table(
        "memories",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("namespace", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        *search,
        sa.UniqueConstraint("namespace", "key"),
    )
    if not postgres:
        for statement in _SQLITE_FTS:
            op.execute(statement)
        return
    op.create_index("memories_search", "memories", ["search"], postgresql_using="gin")
    op.add_column(
        "summaries",
        sa.Column("search", postgresql.TSVECTOR, nullable=False, server_default=""),
    )
    op.create_index("summaries_search", "summaries", ["search"], postgresql_using="gin")
    _index_existing_summaries()


def _index_existing_summaries() -> None:
    bind = op.get_bind()
    summaries = sa.table("summaries", sa.column("id"), sa.column("content"), sa.column("search"))
    for row_id, content in bind.execute(sa.select(summaries.c.id, summaries.c.content)):
        bind.execute(
            summaries.update()
            .where(summaries.c.id == row_id)
            .values(search=summary_vector(content))
        )
