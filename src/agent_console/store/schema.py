"""Creating and upgrading the schema with Alembic (first run creates it).

Every start checks the schema: that check reads Alembic's version row with a plain query and
compares it with :data:`HEAD_REVISION`, so a database already at head opens without loading
Alembic (~0.1 s of imports and reading the migration scripts). Anything else -- no schema, an
older or unknown revision, a damaged version table -- goes through Alembic as before.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, inspect, select, text

from ..domain.errors import StoreError
from ..domain.policy import MESSAGING_LEGACY
from .engine import Database
from .models import Setting
from .revision import HEAD_REVISION, VERSION_TABLE

MIGRATIONS = Path(__file__).with_name("migrations")


# Alembic is imported inside the functions: it costs ~0.2 s and most commands never need it.


def _config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


async def current_revision(db: Database) -> str | None:
    """The database's schema revision, None when it has no schema yet (Alembic's answer)."""
    async with db.read() as conn:
        return await conn.run_sync(_alembic_revision)


def _alembic_revision(sync: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(sync).get_current_revision()


def _version_rows(sync: Any) -> list[str] | None:
    """The version table's rows read without Alembic (None: there is no version table)."""
    if not inspect(sync).has_table(VERSION_TABLE):
        return None
    return [
        str(v) for v in sync.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    ]


async def at_head(db: Database) -> bool:
    """Whether the schema is at :data:`HEAD_REVISION`, read without Alembic."""
    async with db.read() as conn:
        rows = await conn.run_sync(_version_rows)
    return rows == [HEAD_REVISION]


async def upgrade(db: Database, *, legacy_messaging: bool = False, now: datetime) -> str:
    """Create or migrate the schema to head; ``legacy_messaging`` marks a deployment whose
    messaging predates the "agents can end" setting (R8: its default becomes off)."""
    from alembic import command

    async with db.write() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_config(sync), "head"))
        if legacy_messaging:
            found = await conn.scalar(select(Setting.key).where(Setting.key == MESSAGING_LEGACY))
            if found is None:
                await conn.execute(
                    insert(Setting).values(
                        key=MESSAGING_LEGACY, value="on", updated_at=now, updated_by="db upgrade"
                    )
                )
    return head_revision()


async def ensure_schema(db: Database, *, create: bool, now: datetime) -> None:
    """Create the schema on first run; refuse a database at another revision."""
    if await at_head(db):
        return  # the everyday start: Alembic is not loaded
    current = await current_revision(db)
    head = head_revision()
    if current == head:
        return
    if current is None and create:
        await upgrade(db, now=now)
        return
    if current is None:
        raise StoreError(
            f"{db.display_url} has no agent-console schema: run `agent-console db upgrade`"
        )
    raise StoreError(
        f"{db.display_url} is at schema {current}, this console needs {head}: "
        "run `agent-console db upgrade`"
    )
