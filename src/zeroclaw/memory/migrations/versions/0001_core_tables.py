"""Sessions, messages, tool results and summaries.

Revision 0001, the first. On SQLite it is also `PRAGMA user_version = 1`, the version
this file had before the schema moved to Alembic (memory/schema.py maps one to the other).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _session_id() -> sa.Column[str]:
    return sa.Column(
        "session_id",
        sa.Text,
        sa.ForeignKey("sessions.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.create_index("sessions_by_update", "sessions", ["updated_at"])
    op.create_table(
        "messages",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        _session_id(),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("tool_calls", sa.Text),
        sa.Column("tool_call_id", sa.Text),
        sa.Column("name", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("compacted", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("role IN ('system', 'user', 'assistant', 'tool')"),
        sa.CheckConstraint("compacted IN (0, 1)"),
        sqlite_autoincrement=True,
    )
    op.create_index("messages_by_session", "messages", ["session_id", "compacted", "id"])
    op.create_table(
        "tool_results",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        _session_id(),
        sa.Column("call_id", sa.Text, nullable=False),
        sa.Column("tool_name", sa.Text, nullable=False),
        sa.Column("arguments", sa.Text, nullable=False),
        sa.Column("success", sa.Integer, nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.CheckConstraint("success IN (0, 1)"),
        sqlite_autoincrement=True,
    )
    op.create_index("tool_results_by_session", "tool_results", ["session_id", "id"])
    op.create_table(
        "summaries",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        _session_id(),
        sa.Column("user_id", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("summaries_by_session", "summaries", ["session_id", "kind", "id"])
    op.create_index("summaries_by_user", "summaries", ["user_id", "id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA user_version = 1")
