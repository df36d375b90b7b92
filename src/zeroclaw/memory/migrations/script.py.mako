"""${message}

Revision ${up_revision}, after ${down_revision | comma,n}. Never edit a released revision:
add a new one (`alembic -c src/zeroclaw/memory/migrations/alembic.ini revision -m "..."`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}
