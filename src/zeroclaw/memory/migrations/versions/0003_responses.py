"""The gateway's Responses API ids: which session each response continues.

Revision 0003, after 0002. A client continues a conversation of `POST /v1/responses` by
naming the last response (`previous_response_id`); the gateway maps that id onto the
session the response was a turn of. The map lives in the memory database, beside the
session it points to, so a response can be continued after a restart and from another
replica, and it goes when its session goes (ON DELETE CASCADE).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "responses",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "session_id",
            sa.Text,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    # The latest response of a session: is the one a client continues the latest?
    op.create_index("responses_by_session", "responses", ["session_id", "created_at"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA user_version = 3")
