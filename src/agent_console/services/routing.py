"""Routing Waiting work to Online agents with free capacity: never over capacity, never two owners.

Oldest first, unless an admin gave channels a routing priority (``channel.<id>.priority``):
then the work of the lower number goes first, oldest first within a priority.

Capacity is reserved with a conditional UPDATE (``used + units <= capacity``) and the session is
taken with a conditional UPDATE (``status in (New, Waiting) and owner is null``): both are
database facts, so routers in several processes cannot over-assign or double-assign. On
PostgreSQL, Waiting rows are picked with ``FOR UPDATE SKIP LOCKED`` so routers do not queue
behind each other; on SQLite the writing transaction holds the database's write lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import channel as channel_of
from ..domain.ending import conversation_permissions
from ..domain.policy import DEFAULT_PRIORITY
from ..domain.vocab import Permission, Presence, SessionStatus
from ..store import queries as q
from ..store.models import Agent, Session
from .context import Ctx
from .views import Assignment

BATCH = 200
#: PostgreSQL: agents locked by a batch's first look, doubled until the batch fits.
AGENTS_FIRST = 8
#: Past this many locked agents a batch stops growing its set and plans with what it has.
AGENTS_ALL = 4096
QUEUED = (SessionStatus.NEW.value, SessionStatus.WAITING.value)


async def route_batch(conn: AsyncConnection, ctx: Ctx, limit: int = BATCH) -> list[Assignment]:
    """Assign up to ``limit`` queued sessions, oldest first, inside the caller's transaction.

    The batch is planned in Python over locked rows, then written with one executemany per
    table. On PostgreSQL the queued sessions and the agents are locked ``SKIP LOCKED``: a
    router never waits on another router's rows, it works with what nobody else holds.
    """
    now = ctx.now()
    pg = conn.dialect.name == "postgresql"
    policy = await q.load_policy(conn)
    order: list[Any] = [Session.created_at, Session.id]
    if policy.channel_priorities:  # channels an admin put first (or last): their work first
        order.insert(
            0, case(dict(policy.channel_priorities), value=Session.channel, else_=DEFAULT_PRIORITY)
        )
    stmt = (
        select(Session.id, Session.channel, Session.units)
        .where(Session.status.in_(QUEUED), Session.owner_id.is_(None))
        .order_by(*order)
        .limit(limit)
    )
    if pg:
        stmt = stmt.with_for_update(skip_locked=True)
    queued = (await conn.execute(stmt)).all()
    if not queued:
        return []
    units_needed = sum(s.units for s in queued)
    agents = await _lock_agents(conn, pg, units_needed)
    free = {a.id: a.capacity - a.used_units for a in agents}
    perms = {a.id: q.parse_permissions(a.permissions) for a in agents}
    names = {a.id: a.name for a in agents}
    taken: dict[int, int] = {}
    plan: list[tuple[Any, int]] = []
    unplaced = _plan(queued, free, perms, taken, plan)
    if unplaced and pg and len(agents) < AGENTS_ALL:
        # The agents this router holds cannot take some sessions (capacity or permissions):
        # look once at every other free agent nobody else holds.
        more = await _select_agents(conn, pg, exclude=list(free), limit=None)
        for a in more:
            free[a.id] = a.capacity - a.used_units
            perms[a.id] = q.parse_permissions(a.permissions)
            names[a.id] = a.name
        if more:
            _plan(unplaced, free, perms, taken, plan)
    if not plan:
        return []
    # The rows are locked (PostgreSQL) or the database is (SQLite): the guards below cannot
    # fail, and the rowcount checks prove it.
    reserved = await conn.execute(
        update(Agent)
        .where(Agent.id == bindparam("aid"), Agent.used_units + bindparam("u") <= Agent.capacity)
        .values(used_units=Agent.used_units + bindparam("u")),
        [{"aid": aid, "u": units} for aid, units in taken.items()],
    )
    assigned = await conn.execute(
        update(Session)
        .where(
            Session.id == bindparam("sid"),
            or_(*(Session.status == status for status in QUEUED)),  # no IN in executemany
            Session.owner_id.is_(None),
        )
        .values(
            status=SessionStatus.ACTIVE.value,
            owner_id=bindparam("aid"),
            tab_open=True,
            units_held=bindparam("u"),
            assigned_at=now,
            version=Session.version + 1,
        ),
        [{"sid": s.id, "aid": aid, "u": s.units} for s, aid in plan],
    )
    for result, expected in ((reserved, len(taken)), (assigned, len(plan))):
        if result.rowcount not in (expected, -1):  # -1: the driver does not count executemany
            raise RuntimeError(f"routing wrote {result.rowcount} rows, expected {expected}")
    await q.record_changes(conn, now, "assigned", [(s.id, aid) for s, aid in plan])
    return [Assignment(s.id, names[aid]) for s, aid in plan]


def _plan(
    queued: Sequence[Any],
    free: dict[int, int],
    perms: dict[int, frozenset[Permission]],
    taken: dict[int, int],
    plan: list[tuple[Any, int]],
) -> list[Any]:
    """Place each session on the agent with the most free capacity that may take it.

    Updates ``free``, ``taken`` and ``plan``; returns the sessions no agent here can take.
    """
    unplaced: list[Any] = []
    for s in queued:
        needed = conversation_permissions(channel_of(s.channel))
        fits = [
            aid for aid in free if free[aid] >= s.units and all(p in perms[aid] for p in needed)
        ]
        if not fits:
            unplaced.append(s)
            continue
        best = max(fits, key=lambda aid: (free[aid], -aid))  # most free capacity, then oldest
        free[best] -= s.units
        taken[best] = taken.get(best, 0) + s.units
        plan.append((s, best))
    return unplaced


async def _work_and_room(ctx: Ctx) -> bool:
    """Is anything queued, and has any Online agent room? Two indexed reads, no write lock:
    routing called after every change (the gateway's router) mostly finds nothing to do."""
    async with ctx.db.read() as conn:
        queued = await conn.scalar(
            select(Session.id)
            .where(Session.status.in_(QUEUED), Session.owner_id.is_(None))
            .limit(1)
        )
        if queued is None:
            return False
        room = await conn.scalar(
            select(Agent.id)
            .where(
                Agent.presence == Presence.ONLINE.value,
                Agent.logged_in.is_(True),
                Agent.used_units < Agent.capacity,
            )
            .limit(1)
        )
        return room is not None


async def _select_agents(
    conn: AsyncConnection, pg: bool, *, exclude: list[int], limit: int | None
) -> list[Any]:
    """Online, logged-in agents with free capacity, most free first; locked on PostgreSQL.

    ``SKIP LOCKED`` makes routers take disjoint sets of agents instead of queueing on them.
    """
    stmt = (
        select(Agent.id, Agent.name, Agent.capacity, Agent.used_units, Agent.permissions)
        .where(
            Agent.presence == Presence.ONLINE.value,
            Agent.logged_in.is_(True),
            Agent.used_units < Agent.capacity,
        )
        .order_by((Agent.capacity - Agent.used_units).desc(), Agent.id)
    )
    if exclude:
        stmt = stmt.where(Agent.id.not_in(exclude))
    if limit is not None:
        stmt = stmt.limit(limit)
    if pg:
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await conn.execute(stmt)).all())


async def _lock_agents(conn: AsyncConnection, pg: bool, units_needed: int) -> list[Any]:
    """The agents this batch plans over.

    On SQLite the writer holds the database, so every free agent. On PostgreSQL only as many
    as the batch needs (most free first, fetched in growing steps): a router that locked every
    free agent would make the other routers wait for it, one batch at a time.
    """
    if not pg:
        return await _select_agents(conn, pg, exclude=[], limit=None)
    agents: list[Any] = []
    step = AGENTS_FIRST
    while len(agents) < AGENTS_ALL:
        got = await _select_agents(conn, pg, exclude=[a.id for a in agents], limit=step)
        agents.extend(got)
        if len(got) < step or sum(a.capacity - a.used_units for a in agents) >= units_needed:
            break
        step *= 2
    return agents


async def route(ctx: Ctx, *, limit: int | None = None, batch: int = BATCH) -> list[Assignment]:
    """Route queued work until nothing more fits (or ``limit`` assignments).

    One transaction per batch.
    """
    out: list[Assignment] = []
    if not await _work_and_room(ctx):
        return out  # the common case of a busy gateway: no write transaction at all
    while limit is None or len(out) < limit:
        size = batch if limit is None else min(batch, limit - len(out))
        async with ctx.db.write() as conn:
            got = await route_batch(conn, ctx, size)
        out.extend(got)
        if not got:  # nothing more fits (or other routers hold the rest)
            break
    return out
