"""sessions: an index for the Messaging Sessions list sorted by last message

The list sorts by ``coalesce(last_message_at, created_at)`` then ``id`` and pages by keyset on
that pair; without this index every page of that order scanned and sorted the whole table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_sessions_last_activity_id",
        "sessions",
        [sa.text("coalesce(last_message_at, created_at)"), "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_sessions_last_activity_id", table_name="sessions")
