"""The web chat page's mailbox: what each of its customers sees, kept in the database.

The page is a channel like any other: its customers' messages go in through the gateway's
signed inbound path, and what the deployment sends them (agent replies, the end line, the CSAT
question) reaches the page's own webhook, which files each event here. The page's live stream
reads it back, so any gateway behind a load balancer can serve any customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..domain.text import unstorable
from ..store.models import WebchatEvent
from .context import Ctx

#: Longest text the mailbox keeps of one event (the page shows chat lines, not documents).
MAX_TEXT = 100_000


@dataclass(frozen=True)
class MailboxEvent:
    id: int
    event_id: str
    type: str
    session_id: int | None
    author: str
    text: str
    at: datetime


async def file_event(
    ctx: Ctx,
    channel_id: str,
    customer_ref: str,
    event_id: str,
    type_: str,
    session_id: int | None,
    author: str,
    text: str,
    at: datetime,
) -> bool:
    """File one event for a customer; False when ``event_id`` was filed already (a redelivery)."""
    for value in (customer_ref, event_id, type_, author, text):
        why = unstorable(value)
        if why is not None:
            raise ValueError(f"cannot keep this event: {why}")
    async with ctx.db.write() as conn:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        filed = (
            await conn.execute(
                insert(WebchatEvent)
                .values(
                    channel=channel_id,
                    customer_ref=customer_ref,
                    event_id=event_id,
                    type=type_,
                    session_id=session_id,
                    author=author,
                    text=text[:MAX_TEXT],
                    at=at,
                )
                .on_conflict_do_nothing(index_elements=[WebchatEvent.event_id])
                .returning(WebchatEvent.id)
            )
        ).first()
    return filed is not None


async def events_after(
    ctx: Ctx, channel_id: str, customer_ref: str, after: int, *, limit: int = 200
) -> list[MailboxEvent]:
    """A customer's events after mailbox id ``after``, oldest first."""
    async with ctx.db.read() as conn:
        rows = (
            await conn.execute(
                select(WebchatEvent)
                .where(
                    WebchatEvent.channel == channel_id,
                    WebchatEvent.customer_ref == customer_ref,
                    WebchatEvent.id > after,
                )
                .order_by(WebchatEvent.id)
                .limit(limit)
            )
        ).all()
    return [
        MailboxEvent(r.id, r.event_id, r.type, r.session_id, r.author, r.text, r.at) for r in rows
    ]
