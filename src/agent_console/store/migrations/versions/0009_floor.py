"""floor: what the supervisor board reads (issue 14)

- ``sessions.customer_waiting_since``: when the customer's oldest unanswered line arrived (the
  first customer message after the newest agent message), None when the customer waits for
  nothing. The writes keep it; this migration fills it for the live sessions from their
  messages.
- ``agents.presence_by`` / ``agents.presence_note``: the supervisor who last set the agent's
  presence or logged them out, and the reason they gave (the agent's console shows it). Both
  are None when the agent set it themself.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE sessions SET customer_waiting_since = (
    SELECT min(m.created_at) FROM messages m
    WHERE m.session_id = sessions.id AND m.author_kind = 'customer'
      AND m.id > coalesce((
          SELECT max(a.id) FROM messages a
          WHERE a.session_id = sessions.id AND a.author_kind = 'agent'
      ), 0)
)
WHERE status <> 'Ended'
"""


def upgrade() -> None:
    op.add_column("sessions", sa.Column("customer_waiting_since", sa.DateTime(), nullable=True))
    op.add_column("agents", sa.Column("presence_by", sa.String(length=120), nullable=True))
    op.add_column("agents", sa.Column("presence_note", sa.Text(), nullable=True))
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_column("agents", "presence_note")
    op.drop_column("agents", "presence_by")
    op.drop_column("sessions", "customer_waiting_since")
