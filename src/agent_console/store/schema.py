"""Creating and upgrading the schema with Alembic (first run creates it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from ..domain.errors import StoreError
from ..domain.policy import MESSAGING_LEGACY
from .engine import Database
from .models import Setting

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
    from alembic.runtime.migration import MigrationContext

    async with db.read() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


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
