"""sessions: an index for a console's tabs (its ended sessions whose tab is still open)

Every refresh of a console reads the agent's ended sessions with a tab open, newest first.
With only ``(owner_id, status, id)`` that walked every session the agent ever ended and looked
up each row for ``tab_open``: ~11,000 rows and ~12 ms per refresh for an agent of a
100,000-session database. With ``tab_open`` in the index it reads just the open tabs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sessions_owner_tabs", "sessions", ["owner_id", "status", "tab_open", "id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_owner_tabs", table_name="sessions")
