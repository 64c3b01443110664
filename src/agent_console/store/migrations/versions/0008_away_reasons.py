"""away reasons: presence Away reasons and the time a presence began (issue 11)

An agent on Busy may give a reason (Break, Lunch, Training: the deployment's
``presence.away_reasons`` setting); ``presence_since`` is when the agent's presence last
changed, for "Busy · 12m". Agents that exist before this migration get no start time (the
console shows no time until their presence next changes).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("away_reason", sa.String(length=64), nullable=True))
    op.add_column("agents", sa.Column("presence_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy of the table: other
    # tables' foreign keys point at agents, so SQLite cannot drop and recreate it.
    op.drop_column("agents", "presence_since")
    op.drop_column("agents", "away_reason")
