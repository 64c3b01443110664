"""list search: the list's search by customer name and message text (issue 11)

The Messaging Sessions list finds sessions by a word of the customer's name or of a customer or
agent line (system lines are left out, the first ``SEARCH_TEXT_CHARS`` characters of a message
count), through an index on each database:

* SQLite: two contentless FTS5 tables (``customers_fts``, ``messages_fts``, rowid = the row's
  id), kept current by triggers on ``customers`` and ``messages``, so every writer (services,
  seed, gateway) keeps them right without knowing of them.
* PostgreSQL: GIN indexes on ``to_tsvector('simple', ...)`` of the same text (built in: no
  extension, so no superuser is needed), which PostgreSQL keeps current itself.

Also ``agent_preferences``: what an agent chose, kept per agent in the database (the list's
filters, sort and search).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: Must match agent_console.store.search.SEARCH_TEXT_CHARS (a migration keeps its own copy).
CHARS = 10000
TOKENIZE = "unicode61 remove_diacritics 2"

SQLITE_UP = [
    f"CREATE VIRTUAL TABLE customers_fts USING fts5(name, content='', tokenize='{TOKENIZE}')",
    "INSERT INTO customers_fts (rowid, name) SELECT id, name FROM customers",
    "CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN "
    "INSERT INTO customers_fts (rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN "
    "INSERT INTO customers_fts (customers_fts, rowid, name) VALUES ('delete', old.id, old.name); "
    "END",
    "CREATE TRIGGER customers_fts_update AFTER UPDATE OF name ON customers BEGIN "
    "INSERT INTO customers_fts (customers_fts, rowid, name) VALUES ('delete', old.id, old.name); "
    "INSERT INTO customers_fts (rowid, name) VALUES (new.id, new.name); END",
    f"CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='', tokenize='{TOKENIZE}')",
    f"INSERT INTO messages_fts (rowid, text) SELECT id, substr(text, 1, {CHARS}) FROM messages "
    "WHERE author_kind <> 'system'",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages "
    "WHEN new.author_kind <> 'system' BEGIN "
    f"INSERT INTO messages_fts (rowid, text) VALUES (new.id, substr(new.text, 1, {CHARS})); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages "
    "WHEN old.author_kind <> 'system' BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, text) "
    f"VALUES ('delete', old.id, substr(old.text, 1, {CHARS})); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, author_kind ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, text) "
    f"SELECT 'delete', old.id, substr(old.text, 1, {CHARS}) WHERE old.author_kind <> 'system'; "
    "INSERT INTO messages_fts (rowid, text) "
    f"SELECT new.id, substr(new.text, 1, {CHARS}) WHERE new.author_kind <> 'system'; END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TABLE IF EXISTS messages_fts",
    "DROP TRIGGER IF EXISTS customers_fts_update",
    "DROP TRIGGER IF EXISTS customers_fts_delete",
    "DROP TRIGGER IF EXISTS customers_fts_insert",
    "DROP TABLE IF EXISTS customers_fts",
]
POSTGRESQL_UP = [
    "CREATE INDEX ix_search_customers_name ON customers USING gin (to_tsvector('simple', name))",
    "CREATE INDEX ix_search_messages_text ON messages "
    f"USING gin (to_tsvector('simple', left(text, {CHARS}))) WHERE author_kind <> 'system'",
]
POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_search_messages_text",
    "DROP INDEX IF EXISTS ix_search_customers_name",
]


def upgrade() -> None:
    op.create_table(
        "agent_preferences",
        sa.Column(
            "agent_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_preferences_agent_id_agents")
        ),
        sa.PrimaryKeyConstraint("agent_id", "key", name=op.f("pk_agent_preferences")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UP if sqlite else POSTGRESQL_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWN if sqlite else POSTGRESQL_DOWN:
        op.execute(statement)
    op.drop_table("agent_preferences")
