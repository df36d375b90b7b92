"""Where each tool call came from and what stood in its way: its owner, the approval it
got and what the hooks did to it, stored on the tool result it describes.

Revision 0005, after 0004. Seven nullable columns on `tool_results`, so the row and its
provenance are one insert (one transaction) and a session's history can say, long after
the process that ran the call is gone, who offered the tool (native, a plugin and its
version, an MCP server), how approval went and which handler of which event passed,
changed, blocked or failed on it. Rows written before this revision keep NULL there:
"not recorded", never a guess.

It also lets the shared plugin approvals hold an operator's refusal beside the approvals:
a row of `plugin_approvals` is now a decision on a grant set, `approved` (every row
before) or `refused`, with who made it. One row per (plugin, grant set): approving a
refused set replaces the refusal, and the other way round.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # native | plugin | mcp | client | none (no such tool); NULL: not recorded.
    op.add_column("tool_results", sa.Column("owner_kind", sa.Text))
    # The plugin's name or the MCP server's name.
    op.add_column("tool_results", sa.Column("owner_name", sa.Text))
    # The plugin's version (its manifest's), for plugin tools.
    op.add_column("tool_results", sa.Column("owner_version", sa.Text))
    # not_needed | auto | approved | denied | unavailable
    op.add_column("tool_results", sa.Column("approval", sa.Text))
    # JSON list of {event, handler, source, outcome, detail, fields}.
    op.add_column("tool_results", sa.Column("hooks", sa.Text))
    # "policy", "approval" or "hook:HANDLER" when the call never reached the tool.
    op.add_column("tool_results", sa.Column("blocked_by", sa.Text))
    op.add_column("tool_results", sa.Column("duration_ms", sa.Float))
    op.add_column(
        "plugin_approvals",
        sa.Column("decision", sa.Text, nullable=False, server_default="approved"),
    )
    op.add_column("plugin_approvals", sa.Column("decided_by", sa.Text))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA user_version = 5")
