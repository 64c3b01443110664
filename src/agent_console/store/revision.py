"""The schema revision a database must be at, and where Alembic keeps it. Standard library
only: the console's first read (:mod:`.first_read`) checks it without SQLAlchemy."""

from __future__ import annotations

#: The newest migration's revision (a test checks it against Alembic's head): a database at
#: this revision needs nothing from Alembic.
HEAD_REVISION = "0011"
#: Alembic's version table (its default name; migrations/env.py does not change it).
VERSION_TABLE = "alembic_version"
