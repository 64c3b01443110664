"""Routing Waiting work to Online agents with free capacity: never over capacity, never two owners.

Capacity is reserved with a conditional UPDATE (``used + units <= capacity``) and the session is
taken with a conditional UPDATE (``status in (New, Waiting) and owner is null``): both are
database facts, so routers in several processes cannot over-assign or double-assign. On
PostgreSQL, Waiting rows are picked with ``FOR UPDATE SKIP LOCKED`` so routers do not queue
behind each other; on SQLite the writing transaction holds the database's write lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import channel as channel_of
from ..domain.ending import conversation_permissions
from ..domain.vocab import Presence, SessionStatus
from ..store import queries as q
from ..store.models import Agent, Session
from .context import Ctx
from .views import Assignment

BATCH = 200
QUEUED = (SessionStatus.NEW.value, SessionStatus.WAITING.value)


async def route_batch(conn: AsyncConnection, ctx: Ctx, limit: int = BATCH) -> list[Assignment]:
    """Assign up to ``limit`` queued sessions, oldest first, inside the caller's transaction."""
    now = ctx.now()
    stmt = (
        select(Session.id, Session.channel, Session.units)
        .where(Session.status.in_(QUEUED), Session.owner_id.is_(None))
        .order_by(Session.created_at, Session.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    queued = (await conn.execute(stmt)).all()
    if not queued:
        return []
    if conn.dialect.name == "postgresql":
        # Reserve capacity under agent-row locks taken in id order: concurrent routers then
        # queue behind each other instead of deadlocking on opposite lock orders.
        await conn.execute(
            select(Agent.id)
            .where(Agent.presence == Presence.ONLINE.value, Agent.logged_in.is_(True))
            .order_by(Agent.id)
            .with_for_update()
        )
    agents = (
        await conn.execute(
            select(Agent.id, Agent.name, Agent.capacity, Agent.used_units, Agent.permissions).where(
                Agent.presence == Presence.ONLINE.value,
                Agent.logged_in.is_(True),
                Agent.used_units < Agent.capacity,
            )
        )
    ).all()
    free = {a.id: a.capacity - a.used_units for a in agents}
    perms = {a.id: q.parse_permissions(a.permissions) for a in agents}
    names = {a.id: a.name for a in agents}
    out: list[Assignment] = []
    changed: list[tuple[int | None, int | None]] = []
    for s in queued:
        needed = conversation_permissions(channel_of(s.channel))
        candidates = sorted(
            (aid for aid in free if free[aid] >= s.units and all(p in perms[aid] for p in needed)),
            key=lambda aid: (-free[aid], aid),
        )
        for aid in candidates:
            if await _assign(conn, s, aid, now):
                free[aid] -= s.units
                out.append(Assignment(s.id, names[aid]))
                changed.append((s.id, aid))
                break
            free[aid] = 0  # another router filled this agent; do not try it again
    await q.record_changes(conn, now, "assigned", changed)
    return out


async def _assign(conn: AsyncConnection, s: Any, agent_id: int, now: Any) -> bool:
    reserved = await conn.execute(
        update(Agent)
        .where(
            Agent.id == agent_id,
            Agent.used_units + s.units <= Agent.capacity,
            Agent.presence == Presence.ONLINE.value,
            Agent.logged_in.is_(True),
        )
        .values(used_units=Agent.used_units + s.units)
    )
    if reserved.rowcount != 1:
        return False
    taken = await conn.execute(
        update(Session)
        .where(and_(Session.id == s.id, Session.status.in_(QUEUED), Session.owner_id.is_(None)))
        .values(
            status=SessionStatus.ACTIVE.value,
            owner_id=agent_id,
            tab_open=True,
            units_held=s.units,
            assigned_at=now,
            version=Session.version + 1,
        )
    )
    if taken.rowcount != 1:
        raise RuntimeError(f"session {s.id} changed under a held lock")
    return True


async def route(ctx: Ctx, *, limit: int | None = None, batch: int = BATCH) -> list[Assignment]:
    """Route queued work until nothing more fits (or ``limit`` assignments).

    One transaction per batch.
    """
    out: list[Assignment] = []
    while limit is None or len(out) < limit:
        size = batch if limit is None else min(batch, limit - len(out))
        async with ctx.db.write() as conn:
            got = await route_batch(conn, ctx, size)
        out.extend(got)
        if len(got) < size:
            break
    return out
