"""The Messaging Sessions list (R3): filters, keyset pages, and one session in full."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import channel as channel_of
from ..domain.ending import Actor, csat_decision, may_close_tab, may_end
from ..domain.errors import NotFound
from ..domain.vocab import SessionStatus, Surface, session_label
from ..store import queries as q
from ..store.models import Agent, CsatRequest, EndRecord, Message, Session
from .context import Ctx
from .views import (
    ActionView,
    CsatView,
    EndView,
    MessageView,
    Page,
    SessionDetail,
    SessionRow,
)

Order = Literal["newest", "oldest"]


@dataclass(frozen=True)
class SessionFilter:
    """What the list shows. ``min_age`` keeps sessions created at least that long ago."""

    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    owner: str | None = None
    unassigned: bool = False
    min_age: timedelta | None = None
    max_age: timedelta | None = None
    customer: str | None = None
    ids: tuple[int, ...] = field(default=())

    def validate(self) -> None:
        for s in self.statuses:
            SessionStatus(s)  # raises ValueError with the bad value
        for c in self.channels:
            channel_of(c)


def parse_status(text: str) -> str:
    for s in SessionStatus:
        if s.value.lower() == text.strip().lower():
            return s.value
    valid = ", ".join(s.value for s in SessionStatus)
    raise ValueError(f"unknown status {text!r}; statuses are: {valid}")


def row_view(row: Any) -> SessionRow:
    ch = channel_of(row.channel)
    return SessionRow(
        id=row.id,
        label=session_label(row.id),
        status=row.status,
        channel=row.channel,
        channel_name=ch.name,
        channel_kind=ch.kind.value,
        family=ch.family.value,
        owner=row.owner_name,
        customer=row.customer_name,
        initiated_by=row.initiated_by,
        capacity_model=row.capacity_model,
        units=row.units,
        units_held=row.units_held,
        tab_open=bool(row.tab_open),
        created_at=row.created_at,
        last_message_at=row.last_message_at,
        ended_at=row.ended_at,
        auto_end_at=row.auto_end_at,
    )


async def _where(conn: AsyncConnection, flt: SessionFilter, now: datetime) -> list[Any]:
    flt.validate()
    clauses: list[Any] = []
    if flt.statuses:
        clauses.append(Session.status.in_(flt.statuses))
    if flt.channels:
        clauses.append(Session.channel.in_(flt.channels))
    if flt.owner is not None:
        owner_id = await conn.scalar(select(Agent.id).where(Agent.name == flt.owner))
        if owner_id is None:
            raise NotFound(f"unknown agent {flt.owner!r}")
        clauses.append(Session.owner_id == owner_id)
    if flt.unassigned:
        clauses.append(Session.owner_id.is_(None))
    if flt.min_age is not None:
        clauses.append(Session.created_at <= now - flt.min_age)
    if flt.max_age is not None:
        clauses.append(Session.created_at >= now - flt.max_age)
    if flt.customer is not None:
        from ..store.models import Customer

        clauses.append(
            Session.customer_id.in_(select(Customer.id).where(Customer.name == flt.customer))
        )
    if flt.ids:
        clauses.append(Session.id.in_(flt.ids))
    return clauses


async def matching_ids(conn: AsyncConnection, flt: SessionFilter, now: datetime) -> list[int]:
    """Every id the filter matches, oldest first (bulk end expands "all matching" with it)."""
    clauses = await _where(conn, flt, now)
    return list((await conn.scalars(select(Session.id).where(*clauses).order_by(Session.id))).all())


async def list_sessions(
    ctx: Ctx,
    flt: SessionFilter = SessionFilter(),
    *,
    limit: int = 50,
    after: int | None = None,
    order: Order = "newest",
    with_total: bool = False,
) -> Page:
    """One keyset page: rows after the id ``after`` in the chosen order."""
    limit = max(1, min(limit, 1000))
    async with ctx.db.read() as conn:
        clauses = await _where(conn, flt, ctx.now())
        stmt = q.session_select().where(*clauses)
        if order == "newest":
            if after is not None:
                stmt = stmt.where(Session.id < after)
            stmt = stmt.order_by(Session.id.desc())
        else:
            if after is not None:
                stmt = stmt.where(Session.id > after)
            stmt = stmt.order_by(Session.id.asc())
        rows = (await conn.execute(stmt.limit(limit + 1))).all()
        total = None
        if with_total:
            total = int(
                await conn.scalar(select(func.count()).select_from(Session).where(*clauses)) or 0
            )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        rows=[row_view(r) for r in rows],
        next_after=rows[-1].id if more and rows else None,
        total=total,
    )


async def count_sessions(ctx: Ctx, flt: SessionFilter = SessionFilter()) -> int:
    async with ctx.db.read() as conn:
        clauses = await _where(conn, flt, ctx.now())
        return int(
            await conn.scalar(select(func.count()).select_from(Session).where(*clauses)) or 0
        )


async def show_session(
    ctx: Ctx, session_id: int, *, as_agent: str | None = None, message_limit: int = 500
) -> SessionDetail:
    """One session in full: transcript (the last ``message_limit`` lines), its end record,
    CSAT requests, and every action with allowed/why for ``as_agent`` (or its owner)."""
    async with ctx.db.read() as conn:
        facts = await q.session_facts(conn, [session_id])
        if session_id not in facts:
            raise NotFound(f"no session {session_label(session_id)}")
        session, row = facts[session_id]
        total = int(
            await conn.scalar(
                select(func.count()).select_from(Message).where(Message.session_id == session_id)
            )
            or 0
        )
        msgs = (
            await conn.execute(
                select(Message)
                .where(Message.session_id == session_id)
                .order_by(Message.id.desc())
                .limit(message_limit)
            )
        ).all()
        end = (
            await conn.execute(select(EndRecord).where(EndRecord.session_id == session_id))
        ).first()
        csat = (
            await conn.execute(select(CsatRequest).where(CsatRequest.session_id == session_id))
        ).all()
        policy = await q.load_policy(conn)
        viewer = as_agent or row.owner_name
        actions: list[ActionView] = []
        if viewer is not None:
            viewer_facts = q.agent_facts(await q.agent_row(conn, viewer))
            actor = Actor.of_agent(viewer_facts)
            for name, surface in (
                ("End Chat", Surface.CONVERSATION),
                ("End Session (row menu)", Surface.ROW),
                ("End Sessions (list)", Surface.LIST),
            ):
                d = may_end(actor, session, surface, policy)
                actions.append(ActionView(name, d.allowed, d.reason))
            tab = may_close_tab(viewer_facts, session, bool(row.tab_open), row.units_held)
            actions.append(ActionView("Close tab", tab.allowed, tab.reason))
            c = csat_decision(actor, policy)
            actions.append(ActionView("CSAT on end", c.allowed, c.reason))
    return SessionDetail(
        session=row_view(row),
        messages=[
            MessageView(
                m.id, m.author_kind, m.author, m.text, m.created_at, bool(m.visible_to_customer)
            )
            for m in reversed(msgs)
        ],
        end=EndView(end.actor_kind, end.actor, end.surface, end.at, end.reason, end.bulk_id)
        if end
        else None,
        csat_requests=[CsatView(c.requested_at, c.requested_by) for c in csat],
        actions=actions,
        escalated_to=row.escalated_to,
        messages_total=total,
    )
