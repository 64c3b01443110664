"""The list's search: sessions whose customer's name or one of whose lines has every word
searched for, through an index on each database (migration 0005).

A search is words (letters and digits); each matches a word of the text that starts with it
("ali" finds "Alice", "ref" finds "refund"), case-insensitively; every word must be in the
customer's name or in one line. System lines are not searched, and of each line only its first
:data:`SEARCH_TEXT_CHARS` characters.

* SQLite: FTS5 ``MATCH`` on ``customers_fts`` / ``messages_fts`` (contentless, kept current by
  triggers), then the sessions by ``customer_id`` and by the messages' primary key.
* PostgreSQL: ``to_tsvector('simple', ...) @@ to_tsquery('simple', 'ali:*')`` on the same
  expressions as the GIN indexes (``ix_search_customers_name``, ``ix_search_messages_text``).
  The expressions are written out literally (not bound): the planner only uses an expression
  index, or a partial one, for the very expression and predicate it was built on.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import String, bindparam, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from .models import Customer, Message, Session

#: Characters of each line that are searchable (the migration keeps the same number).
SEARCH_TEXT_CHARS = 10000
#: Searches shorter than this (in letters and digits) are not run: one letter matches nearly all.
MIN_SEARCH_CHARS = 2
#: Words taken from a search (the rest are ignored).
MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+")

#: The objects migration 0005 makes that the models do not describe (virtual tables, their
#: shadow tables, expression indexes): model/migration comparisons leave them out.
SEARCH_TABLES = ("customers_fts", "messages_fts")
SEARCH_INDEXES = ("ix_search_customers_name", "ix_search_messages_text")

#: The SQLite insert triggers that keep the FTS tables current (as migration 0005 makes them),
#: and what indexes the rows of a table in one statement instead (``{after}``: ids above it).
_INSERT_TRIGGERS = {
    "messages": (
        "messages_fts_insert",
        "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages "
        "WHEN new.author_kind <> 'system' BEGIN "
        "INSERT INTO messages_fts (rowid, text) "
        f"VALUES (new.id, substr(new.text, 1, {SEARCH_TEXT_CHARS})); END",
        "INSERT INTO messages_fts (rowid, text) "
        f"SELECT id, substr(text, 1, {SEARCH_TEXT_CHARS}) FROM messages "
        "WHERE id > {after} AND author_kind <> 'system'",
    ),
    "customers": (
        "customers_fts_insert",
        "CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN "
        "INSERT INTO customers_fts (rowid, name) VALUES (new.id, new.name); END",
        "INSERT INTO customers_fts (rowid, name) SELECT id, name FROM customers WHERE id > {after}",
    ),
}

_CUSTOMERS_FTS = table("customers_fts", column("rowid"))
_MESSAGES_FTS = table("messages_fts", column("rowid"))
_PG_NAME = "to_tsvector('simple', customers.name)"
_PG_TEXT = f"to_tsvector('simple', left(messages.text, {SEARCH_TEXT_CHARS}))"


def search_words(text: str) -> list[str]:
    """The words of a search (empty when there is too little to search for). Each database
    folds their case itself (PostgreSQL by the database's locale, ``LC_CTYPE``)."""
    words = _WORD.findall(text)[:MAX_WORDS]
    if sum(len(w) for w in words) < MIN_SEARCH_CHARS:
        return []
    return words


def is_search_object(name: str | None) -> bool:
    """Whether ``name`` is a table or index of the search (see :data:`SEARCH_TABLES`)."""
    if name is None:
        return False
    return name in SEARCH_INDEXES or any(
        name == t or name.startswith(f"{t}_") for t in SEARCH_TABLES
    )


@asynccontextmanager
async def indexing_in_bulk(conn: AsyncConnection, table_name: str) -> AsyncIterator[None]:
    """Within one SQLite write transaction: the rows inserted inside into ``table_name``
    (``messages`` or ``customers``, with ids above every existing one) are indexed by one
    statement at the end instead of by the trigger row by row.

    FTS5 writes its pending index at every statement savepoint, and an executemany into a
    table with a trigger opens one per row: 300,000 seeded lines took 29 s that way against
    7 s like this. The trigger is dropped and made again in the same transaction, which holds
    the write lock, so no other writer ever sees the table without it. PostgreSQL: nothing to
    do (its index is kept by PostgreSQL itself).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    trigger, create, index = _INSERT_TRIGGERS[table_name]
    after = int(await conn.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table_name}")) or 0)
    await conn.exec_driver_sql(f"DROP TRIGGER {trigger}")
    yield
    await conn.exec_driver_sql(index.format(after=after))
    await conn.exec_driver_sql(create)


def trigger_sql(table_name: str) -> str:
    """The insert trigger's definition (a test compares it with the migration's)."""
    return _INSERT_TRIGGERS[table_name][1]


def _fts_query(words: list[str]) -> str:
    return " AND ".join(f'"{w}"*' for w in words)


def _tsquery(words: list[str]) -> str:
    return " & ".join(f"'{w}':*" for w in words)


def session_matches(conn: AsyncConnection, words: list[str]) -> Any:
    """The WHERE clause on ``sessions``: the customer's name or one of its lines matches."""
    if conn.dialect.name == "postgresql":
        query = bindparam(None, _tsquery(words), type_=String)
        by_name = select(Customer.id).where(literal_column(_PG_NAME).op("@@")(_to_tsquery(query)))
        by_text = select(Message.session_id).where(
            literal_column(_PG_TEXT).op("@@")(_to_tsquery(query)),
            literal_column("messages.author_kind <> 'system'"),
        )
    else:
        query = bindparam(None, _fts_query(words), type_=String)
        by_name = select(_CUSTOMERS_FTS.c.rowid).where(
            literal_column("customers_fts").op("MATCH")(query)
        )
        text_ids = select(_MESSAGES_FTS.c.rowid).where(
            literal_column("messages_fts").op("MATCH")(query)
        )
        by_text = select(Message.session_id).where(Message.id.in_(text_ids))
    return Session.customer_id.in_(by_name) | Session.id.in_(by_text)


def _to_tsquery(query: Any) -> Any:
    return func.to_tsquery(literal_column("'simple'"), query)
