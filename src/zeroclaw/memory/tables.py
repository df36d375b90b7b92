"""The memory tables, as SQLAlchemy Core sees them: one description for both backends.

The store's queries are written once against these `Table`s; SQLAlchemy renders them for
SQLite or PostgreSQL. What differs between the two, full-text search (FTS5 tables and
their triggers on SQLite, a `search` tsvector column with a GIN index on PostgreSQL), is
created by the migrations and queried through `memory.search`, not described here.

Ids are 64-bit on PostgreSQL and SQLite's rowid on SQLite (an INTEGER PRIMARY KEY, which
a BIGINT would not be). Times are ISO-8601 UTC text with microseconds on both: they sort
chronologically as text, and a store moved from one backend to the other keeps them to the
character (`zeroclaw memory export | import`).
"""

from __future__ import annotations

import sqlalchemy as sa

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    # The user message of the turn under way, until it settles (revision 0006): a value
    # left here is a turn that never settled (a crash, a lost connection).
    sa.Column("open_turn", Id),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.Text, sa.ForeignKey("sessions.id", ondelete="CASCADE")),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("tool_calls", sa.Text),
    sa.Column("tool_call_id", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("compacted", sa.Integer, nullable=False, server_default="0"),
)

tool_results = sa.Table(
    "tool_results",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.Text, sa.ForeignKey("sessions.id", ondelete="CASCADE")),
    sa.Column("call_id", sa.Text, nullable=False),
    sa.Column("tool_name", sa.Text, nullable=False),
    sa.Column("arguments", sa.Text, nullable=False),
    sa.Column("success", sa.Integer, nullable=False),
    sa.Column("output", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    # Provenance (revision 0005; NULL on older rows: not recorded). See records.ToolProvenance.
    sa.Column("owner_kind", sa.Text),
    sa.Column("owner_name", sa.Text),
    sa.Column("owner_version", sa.Text),
    sa.Column("approval", sa.Text),
    sa.Column("hooks", sa.Text),
    sa.Column("blocked_by", sa.Text),
    sa.Column("duration_ms", sa.Float),
)

# Added by revision 0005; an export written before it has none of them.
PROVENANCE_COLUMNS = frozenset(
    (
        "owner_kind",
        "owner_name",
        "owner_version",
        "approval",
        "hooks",
        "blocked_by",
        "duration_ms",
    )
)

summaries = sa.Table(
    "summaries",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.Text, sa.ForeignKey("sessions.id", ondelete="CASCADE")),
    sa.Column("user_id", sa.Text),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)

memories = sa.Table(
    "memories",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("namespace", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.UniqueConstraint("namespace", "key"),
)

# The gateway's Responses API: the session each response id was a turn of.
responses = sa.Table(
    "responses",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("session_id", sa.Text, sa.ForeignKey("sessions.id", ondelete="CASCADE")),
    sa.Column("created_at", sa.Text, nullable=False),
)

# In the order a copy must write them: a row's session exists before the row.
ALL_TABLES: tuple[sa.Table, ...] = (
    sessions,
    messages,
    tool_results,
    summaries,
    memories,
    responses,
)

# -- shared by gateway replicas (revision 0004); not conversation memory ------------------

rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("tat", sa.Float, nullable=False),
)

paired_tokens = sa.Table(
    "paired_tokens",
    metadata,
    sa.Column("digest", sa.Text, primary_key=True),
    sa.Column("paired_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)

plugin_approvals = sa.Table(
    "plugin_approvals",
    metadata,
    sa.Column("plugin", sa.Text, primary_key=True),
    sa.Column("grant_hash", sa.Text, primary_key=True),
    sa.Column("grants", sa.Text, nullable=False),
    # When the decision was made (the column's name is from when approving was the only one).
    sa.Column("approved_at", sa.Text, nullable=False),
    # "approved" or "refused" (revision 0005), and who decided.
    sa.Column("decision", sa.Text, nullable=False, server_default="approved"),
    sa.Column("decided_by", sa.Text),
)

replicas = sa.Table(
    "replicas",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("snapshot_hash", sa.Text, nullable=False),
    sa.Column("started_at", sa.Text, nullable=False),
    sa.Column("heartbeat_at", sa.Text, nullable=False),
)

# What `memory export` carries of the shared tables: the durable ones, which a deployment
# moved to another database keeps (a paired client stays paired, an approved plugin stays
# approved). Not `rate_limits` (cells that matter for a minute, on the old server's clock)
# nor `replicas` (processes of the old deployment; live ones announce themselves again).
EXPORTED_SHARED_TABLES: tuple[sa.Table, ...] = (paired_tokens, plugin_approvals)
