"""R7 sweep: end agent-initiated sessions the customer never answered, when their time is up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..domain.channels import channel as channel_of
from ..domain.ending import Actor
from ..domain.timers import timer_reason
from ..domain.vocab import ActorKind, Initiator, SessionStatus, Surface
from ..store import queries as q
from ..store.models import Session
from .context import Ctx
from .ending import end_core
from .views import EndResult

TIMER = Actor(ActorKind.TIMER, "timer")


async def sweep(ctx: Ctx, *, now: datetime | None = None, batch: int = 500) -> list[EndResult]:
    """End every due session; automatic, so it happens whatever the R8 setting says.

    ``now`` pretends it is that moment (the CLI's ``--now``); by default the clock is read
    once the due sessions are locked.
    """
    out: list[EndResult] = []
    while True:
        async with ctx.db.write() as conn:
            at = now or ctx.now()
            stmt = (
                select(Session.id, Session.channel)
                .where(
                    Session.auto_end_at.is_not(None),
                    Session.auto_end_at <= at,
                    Session.status != SessionStatus.ENDED.value,
                    Session.initiated_by == Initiator.AGENT.value,
                    Session.customer_replied.is_(False),
                )
                .order_by(Session.id)
                .limit(batch)
            )
            if conn.dialect.name == "postgresql":
                # Locked, and the condition checked again on the row a customer may have just
                # answered (READ COMMITTED re-evaluates it): a reply always beats the timer.
                stmt = stmt.with_for_update()
            due = (await conn.execute(stmt)).all()
            if not due:
                break
            at = now or ctx.now()
            policy = await q.load_policy(conn)
            for ch in {d.channel for d in due}:
                ids = [d.id for d in due if d.channel == ch]
                out.extend(
                    await end_core(
                        conn,
                        TIMER,
                        Surface.TIMER,
                        ids,
                        policy,
                        at,
                        reason=timer_reason(channel_of(ch)),
                    )
                )
        if len(due) < batch:
            break
    return out


async def next_due(ctx: Ctx) -> datetime | None:
    async with ctx.db.read() as conn:
        return await conn.scalar(
            select(Session.auto_end_at)
            .where(
                Session.auto_end_at.is_not(None),
                Session.status != SessionStatus.ENDED.value,
                Session.customer_replied.is_(False),
            )
            .order_by(Session.auto_end_at)
            .limit(1)
        )
