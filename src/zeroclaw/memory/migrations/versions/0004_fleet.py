"""What replicas of one gateway share beside memory: rate limits, paired tokens, plugin
approvals, and the replicas themselves.

Revision 0004, after 0003. The same four plain tables on both backends (SQLite keeps its
in-process rate limiter and the approvals file, but a file moved to PostgreSQL by `memory
export | import` and back stays at one schema). Nothing here is conversation memory, so
`memory export` does not carry it: each row is either short-lived (a rate-limit cell, a
replica's heartbeat) or belongs to one deployment (tokens, approvals).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.Text, primary_key=True),
        # GCRA's theoretical arrival time, seconds since the epoch on the database's clock.
        sa.Column("tat", sa.Float, nullable=False),
    )
    op.create_table(
        "paired_tokens",
        sa.Column("digest", sa.Text, primary_key=True),
        sa.Column("paired_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_table(
        "plugin_approvals",
        sa.Column("plugin", sa.Text, primary_key=True),
        sa.Column("grant_hash", sa.Text, primary_key=True),
        sa.Column("grants", sa.Text, nullable=False),  # JSON list
        sa.Column("approved_at", sa.Text, nullable=False),
    )
    op.create_table(
        "replicas",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("snapshot_hash", sa.Text, nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("heartbeat_at", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA user_version = 4")
