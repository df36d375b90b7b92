"""A session's turn that has not settled yet: `sessions.open_turn`.

Revision 0006, after 0005 (provenance and refusals). A turn commits the user's message
at once (a crash after the message was accepted never loses it) and everything else it
produces in one transaction when it settles. In between, `open_turn` holds the id of that
user message; settling clears it in the same transaction as the turn's writes. A value
left there (a crash, a lost connection, a failed provider) is a turn that never settled:
the session's next turn closes it (memory/store.py, `begin_turn`). NULL for every
existing session: they are all settled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("open_turn", sa.BigInteger()))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA user_version = 6")
