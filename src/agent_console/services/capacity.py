"""The capacity ledger: what consumes an agent's capacity, how much, why, and what frees it."""

from __future__ import annotations

from sqlalchemy import select

from ..domain.capacity import why_consumes
from ..domain.vocab import CapacityModel, SessionStatus
from ..store import queries as q
from ..store.models import Session
from .context import Ctx
from .views import Ledger, LedgerItem


async def ledger(ctx: Ctx, agent_name: str) -> Ledger:
    async with ctx.db.read() as conn:
        agent = await q.agent_row(conn, agent_name)
        rows = (
            await conn.execute(
                select(
                    Session.id,
                    Session.units_held,
                    Session.capacity_model,
                    Session.status,
                    Session.channel,
                )
                .where(Session.owner_id == agent.id, Session.units_held > 0)
                .order_by(Session.id)
            )
        ).all()
    items = [
        LedgerItem(
            r.id,
            r.units_held,
            why_consumes(CapacityModel(r.capacity_model), SessionStatus(r.status)),
            SessionStatus(r.status),
            r.channel,
        )
        for r in rows
    ]
    return Ledger(agent.name, agent.capacity, agent.used_units, items)
