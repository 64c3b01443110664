"""Opening the services on a database URL: schema created on first run, defaults shipped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..store.engine import open_database
from ..store.schema import ensure_schema, upgrade
from .automation import ensure_defaults
from .context import Ctx, system_clock


async def open_ctx(
    url: str,
    *,
    clock: Callable[[], datetime] = system_clock,
    busy_timeout_ms: int = 5000,
    create: bool = True,
    create_dir: bool = False,
    pool_size: int = 5,
    max_overflow: int | None = None,
    pre_ping: bool = True,
) -> Ctx:
    """Open ``url``; on a new database create the schema and ship default macros/triggers.
    ``pool_size``: PostgreSQL connections kept open; ``max_overflow``: how many more may be
    opened at a peak (default: as many)."""
    db = open_database(
        url,
        busy_timeout_ms=busy_timeout_ms,
        create_dir=create_dir,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pre_ping=pre_ping,
    )
    ctx = Ctx(db=db, clock=clock)
    try:
        await ensure_schema(db, create=create, now=clock())
        async with db.write() as conn:
            await ensure_defaults(conn)
    except BaseException:
        await db.dispose()
        raise
    return ctx


async def upgrade_db(ctx: Ctx, *, legacy_messaging: bool = False) -> str:
    rev = await upgrade(ctx.db, legacy_messaging=legacy_messaging, now=ctx.now())
    async with ctx.db.write() as conn:
        await ensure_defaults(conn)
    return rev


async def open_for_upgrade(
    url: str,
    *,
    clock: Callable[[], datetime] = system_clock,
    busy_timeout_ms: int = 5000,
    create_dir: bool = False,
) -> Ctx:
    return Ctx(
        db=open_database(url, busy_timeout_ms=busy_timeout_ms, create_dir=create_dir), clock=clock
    )
