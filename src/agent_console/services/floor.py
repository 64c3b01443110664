"""The supervisor board (issue 14): the whole floor in three aggregate reads.

Whatever the number of agents, the board is three statements in one reading transaction:
the agents (the viewer's admin right is checked on their row among them), their live
sessions grouped by owner, and the queue grouped by channel. The
sessions' ``customer_waiting_since`` (kept by every write that adds a customer or agent line)
makes "the longest customer wait" an aggregate, not a scan of the messages.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import CHANNELS, CHANNELS_BY_ID
from ..domain.errors import NotFound, Refused
from ..domain.floor import (
    EVERYONE,
    FloorFilter,
    FloorSort,
    FloorState,
    arrange,
    floor_state,
    oldest,
    since_key,
)
from ..domain.vocab import Presence, SessionStatus
from ..store.models import Agent, Session
from .context import Ctx
from .routing import QUEUED
from .views import FloorAgent, FloorTotals, FloorView, QueueRow

_ACTIVE, _INACTIVE = SessionStatus.ACTIVE.value, SessionStatus.INACTIVE.value

AGENTS = select(
    Agent.id,
    Agent.name,
    Agent.is_admin,
    Agent.logged_in,
    Agent.presence,
    Agent.away_reason,
    Agent.presence_since,
    Agent.presence_by,
    Agent.presence_note,
    Agent.used_units,
    Agent.capacity,
)
#: Every owner's live sessions: how many Active, how many Inactive, how many customers wait
#: for a reply and since when the longest has.
OWNED = (
    select(
        Session.owner_id,
        func.sum(case((Session.status == _ACTIVE, 1), else_=0)).label("active"),
        func.sum(case((Session.status == _INACTIVE, 1), else_=0)).label("inactive"),
        func.count(Session.customer_waiting_since).label("waiting"),
        func.min(Session.customer_waiting_since).label("since"),
    )
    .where(Session.status.in_((_ACTIVE, _INACTIVE)), Session.owner_id.is_not(None))
    .group_by(Session.owner_id)
)
#: Every channel's queue (New and Waiting sessions): how many, and since when the oldest
#: waits (its customer's oldest unanswered line, or the session's start).
QUEUE = (
    select(
        Session.channel,
        func.count().label("waiting"),
        func.min(func.coalesce(Session.customer_waiting_since, Session.created_at)).label("since"),
    )
    .where(Session.status.in_(QUEUED))
    .group_by(Session.channel)
)


async def floor(
    ctx: Ctx,
    viewer: str,
    *,
    sort: FloorSort = FloorSort.STATE,
    reverse: bool = False,
    flt: FloorFilter = EVERYONE,
) -> FloorView:
    """The board as ``viewer`` (an admin) sees it now; NotFound/Refused otherwise."""
    async with ctx.db.read() as conn:
        agents, queues = await _read(conn)
    _require_admin(agents, viewer)
    now = ctx.now()
    totals = _totals(agents, queues)
    return FloorView(now, arrange(agents, sort, flt, reverse=reverse), queues, totals, sort,
                     reverse, flt)  # fmt: skip


def _require_admin(agents: list[FloorAgent], viewer: str) -> None:
    """The viewer's own row is among those read: no statement of its own to check them."""
    me = next((a for a in agents if a.name == viewer), None)
    if me is None:
        raise NotFound(f"unknown agent {viewer!r}")
    if not me.is_admin:
        raise Refused(f"only admins can open the supervisor board: {viewer} is not an admin")


#: An agent with no live session, as OWNED would give it: (owner, active, inactive, waiting,
#: since).
_NOTHING_OWNED = (None, 0, 0, 0, None)


async def _read(conn: AsyncConnection) -> tuple[list[FloorAgent], list[QueueRow]]:
    # The rows are unpacked by position, in their statement's column order: reading a Row's
    # columns by name (a few hundred ns each, 15 a row) was about a third of the whole call's
    # CPU at 1,000 agents (bench/floor_board.py). A column added to a statement fails here.
    owned = {int(r[0]): r for r in (await conn.execute(OWNED)).all()}
    queued = {str(r.channel): r for r in (await conn.execute(QUEUE)).all()}
    agents = []
    for row in (await conn.execute(AGENTS)).all():
        aid, name, is_admin, logged_in, presence_, reason, since, by, note, used, capacity = row
        _, active, inactive, waiting, longest = owned.get(int(aid), _NOTHING_OWNED)
        presence = Presence(presence_)
        agents.append(
            FloorAgent(
                id=int(aid),
                name=name,
                is_admin=bool(is_admin),
                state=floor_state(bool(logged_in), presence),
                presence=presence,
                away_reason=reason,
                presence_since=since,
                presence_by=by,
                presence_note=note,
                used=int(used),
                capacity=int(capacity),
                active=int(active),
                inactive=int(inactive),
                customers_waiting=int(waiting),
                longest_wait_since=_stamp(longest),
            )
        )
    # Every catalogued channel, then any other a database holds; busiest queue first.
    ids = [c.id for c in CHANNELS] + sorted(set(queued) - set(CHANNELS_BY_ID))
    queues = [
        QueueRow(
            channel=cid,
            channel_name=CHANNELS_BY_ID[cid].name if cid in CHANNELS_BY_ID else cid,
            waiting=int(queued[cid].waiting) if cid in queued else 0,
            oldest_since=_stamp(queued[cid].since) if cid in queued else None,
        )
        for cid in ids
    ]
    queues.sort(key=lambda r: (-r.waiting, since_key(r.oldest_since), r.channel_name))
    return agents, queues


def _stamp(value: datetime | None) -> datetime | None:
    """min() and coalesce() keep the column's type: the driver's value comes back typed."""
    assert value is None or isinstance(value, datetime), value
    return value


def _totals(agents: list[FloorAgent], queues: list[QueueRow]) -> FloorTotals:
    by_state = dict.fromkeys(FloorState, 0)
    for a in agents:
        by_state[a.state] += 1
    return FloorTotals(
        agents=len(agents),
        by_state=by_state,
        used=sum(a.used for a in agents),
        capacity=sum(a.capacity for a in agents),
        active=sum(a.active for a in agents),
        inactive=sum(a.inactive for a in agents),
        waiting=sum(q.waiting for q in queues),
        customers_waiting=sum(a.customers_waiting for a in agents),
        longest_wait_since=oldest([a.longest_wait_since for a in agents]),
    )
