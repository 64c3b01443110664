"""roles: who did it, as the database knows it (issue 15)

- ``agents.db_role``: the PostgreSQL login role of the agent (None: no login of its own, as on
  SQLite or before ``agent-console db roles``). The connection's ``current_user`` names the
  agent through it.
- ``end_records.db_role``: the database role that ended the session. On PostgreSQL the column
  defaults to ``CURRENT_USER`` and agents' roles may not set it, so the database itself
  records who ended a session, whatever the client says about the actor.
- ``audit``: setting changes, transfers, supervisors' presence changes and logouts, and
  changes to agents, each with the database role that made it (the same default).
- ``db_roles``: the group roles of a deployment set up with ``agent-console db roles`` (one
  row per kind: agent, ender, admin, gateway, system); empty until then, and on SQLite.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _role_default() -> sa.TextClause | None:
    """``CURRENT_USER`` on PostgreSQL; SQLite has no roles."""
    return sa.text("CURRENT_USER") if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    # A unique index, not a constraint: SQLite would rebuild the agents table for one.
    op.add_column("agents", sa.Column("db_role", sa.String(length=63), nullable=True))
    op.create_index("ix_agents_db_role", "agents", ["db_role"], unique=True)
    op.add_column(
        "end_records",
        sa.Column("db_role", sa.Text(), nullable=True, server_default=_role_default()),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("db_role", sa.Text(), nullable=True, server_default=_role_default()),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    op.create_index("ix_audit_at", "audit", ["at", "id"])
    op.create_table(
        "db_roles",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role_name", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_db_roles")),
    )


def downgrade() -> None:
    op.drop_table("db_roles")
    op.drop_index("ix_audit_at", table_name="audit")
    op.drop_table("audit")
    op.drop_column("end_records", "db_role")
    op.drop_index("ix_agents_db_role", table_name="agents")
    op.drop_column("agents", "db_role")
