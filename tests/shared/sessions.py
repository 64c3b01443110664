"""Fast seeding shared by the multi-process tests: many Active sessions in a few statements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, text

from agent_console.services.context import Ctx
from agent_console.store.models import Customer, Message, Session


async def seed_active(
    ctx: Ctx,
    n: int,
    owners: Sequence[Any],
    *,
    channel: str = "standard_sms",
    model: str = "tab-based",
    prefix: str = "cust",
) -> list[int]:
    """``n`` Active sessions spread over ``owners`` (AgentViews), set-wise, capacity right."""
    now = ctx.now()
    async with ctx.db.write() as conn:
        await conn.execute(
            insert(Customer), [{"name": f"{prefix}{i:05}", "created_at": now} for i in range(n)]
        )
        cids = (
            await conn.scalars(
                select(Customer.id).where(Customer.name.like(f"{prefix}%")).order_by(Customer.id)
            )
        ).all()
        first = await conn.scalar(select(Session.id).order_by(Session.id.desc()).limit(1)) or 0
        await conn.execute(
            insert(Session),
            [
                {
                    "customer_id": cid,
                    "channel": channel,
                    "status": "Active",
                    "owner_id": owners[i % len(owners)].id,
                    "initiated_by": "customer",
                    "capacity_model": model,
                    "units": 1,
                    "units_held": 1,
                    "tab_open": True,
                    "created_at": now,
                    "assigned_at": now,
                    "last_message_at": now,
                    "customer_replied": True,
                    "customer_waiting_since": now,  # its one line, below, is the customer's
                    "version": 1,
                }
                for i, cid in enumerate(cids)
            ],
        )
        sids = (
            await conn.scalars(select(Session.id).where(Session.id > first).order_by(Session.id))
        ).all()
        await conn.execute(
            insert(Message),
            [
                {
                    "session_id": sid,
                    "author_kind": "customer",
                    "author": "customer",
                    "text": "hello",
                    "created_at": now,
                    "visible_to_customer": True,
                }
                for sid in sids
            ],
        )
        for owner in owners:
            await conn.execute(
                text(
                    "UPDATE agents SET used_units = (SELECT COALESCE(SUM(units_held), 0) "
                    "FROM sessions WHERE owner_id = :a) WHERE id = :a"
                ),
                {"a": owner.id},
            )
    return list(sids)
