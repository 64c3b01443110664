"""Rows written the way an older schema holds them, for the migration tests.

The services read and write the newest schema, so a database at an older revision is filled
with Core statements on the columns that revision had (agents as of 0001, sessions as of 0008:
0009 added ``customer_waiting_since``; customers, messages and end records are unchanged since
0001). Imported by the ``test_svc_*`` modules of this folder, like ``svc_support``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Boolean, column, insert, table

from agent_console.services.context import Ctx
from agent_console.store.models import Customer, EndRecord, Message, Session, table_of
from agent_console.store.schema import _config
from agent_console.store.types import UTCDateTime

#: The agents table of schema 0001 (its columns only; 0008 and 0009 added nullable ones).
AGENTS_0001 = table(
    "agents",
    column("id"),
    column("name"),
    column("capacity"),
    column("used_units"),
    column("permissions"),
    column("is_admin", Boolean()),
    column("presence"),
    column("logged_in", Boolean()),
    column("created_at", UTCDateTime()),
)
#: The sessions table from schema 0001 to 0008: every column but ``customer_waiting_since``.
SESSIONS_0008 = table(
    "sessions",
    *(
        column(c.name, c.type)
        for c in table_of(Session).columns
        if c.name != "customer_waiting_since"
    ),
)

#: A transcript line: (author kind, text, time). Customer lines are by the customer, agent
#: lines by the session's agent, system lines by "system".
Line = tuple[str, str, datetime]


async def migrate(ctx: Ctx, revision: str, *, down: bool = False) -> None:
    """Alembic up (or down) to ``revision``."""
    from alembic import command

    step = command.downgrade if down else command.upgrade
    async with ctx.db.write() as conn:
        await conn.run_sync(lambda sync: step(_config(sync), revision))


async def old_agent(
    ctx: Ctx, name: str, perms: Sequence[str], *, used: int = 0, at: datetime
) -> int:
    """An Offline agent as schema 0001 stores it; returns its id."""
    async with ctx.db.write() as conn:
        made = await conn.execute(
            insert(AGENTS_0001)
            .values(
                name=name,
                capacity=5,
                used_units=used,
                permissions=" ".join(sorted(perms)),
                is_admin=False,
                presence="Offline",
                logged_in=False,
                created_at=at,
            )
            .returning(AGENTS_0001.c.id)
        )
        return int(made.scalar_one())


async def old_session(
    ctx: Ctx,
    customer: str,
    channel: str,
    lines: Sequence[Line],
    *,
    status: str = "Waiting",
    owner: tuple[int, str] | None = None,
) -> int:
    """A customer-initiated session with its transcript as schema 0008 stores them, the
    customer made for it; returns its id. An owned live session holds its one unit
    (tab-based, tab open: the owner's ``used_units`` must count it); an Ended one gets its
    end record at its last line, which should be the end line."""
    first, last = lines[0][2], lines[-1][2]
    ended = status == "Ended"
    agent_lines = [at for kind, _, at in lines if kind == "agent"]
    async with ctx.db.write() as conn:
        cid = (
            await conn.execute(
                insert(table_of(Customer))
                .values(name=customer, created_at=first)
                .returning(Customer.id)
            )
        ).scalar_one()
        sid = (
            await conn.execute(
                insert(SESSIONS_0008)
                .values(
                    customer_id=cid,
                    channel=channel,
                    status=status,
                    owner_id=owner[0] if owner else None,
                    initiated_by="customer",
                    capacity_model="tab-based",
                    units=1,
                    units_held=1 if owner and not ended else 0,
                    tab_open=bool(owner) and not ended,
                    created_at=first,
                    assigned_at=first if owner else None,
                    last_message_at=last,
                    first_agent_message_at=agent_lines[0] if agent_lines else None,
                    customer_replied=True,
                    ended_at=last if ended else None,
                    version=1,
                )
                .returning(SESSIONS_0008.c.id)
            )
        ).scalar_one()
        authors = {"customer": customer, "agent": owner[1] if owner else "", "system": "system"}
        await conn.execute(
            insert(table_of(Message)),
            [
                {
                    "session_id": sid,
                    "author_kind": kind,
                    "author": authors[kind],
                    "text": text,
                    "created_at": at,
                    "visible_to_customer": kind != "system" or text.startswith("Session ended"),
                }
                for kind, text, at in lines
            ],
        )
        if ended:
            await conn.execute(
                insert(table_of(EndRecord)).values(
                    session_id=sid,
                    actor_kind="agent",
                    actor=owner[1] if owner else "system",
                    agent_id=owner[0] if owner else None,
                    surface="conversation",
                    reason="",
                    at=last,
                )
            )
    return int(sid)
