"""The outbox: events for connected channels, written with what they report, delivered in order.

**Writing.** :func:`enqueue_message`, :func:`enqueue_ends` and :func:`enqueue_csat` run inside
the transaction that stores the agent line, the R12 end line or the R9 CSAT request, so an
event exists exactly when what it reports does. A channel that is not connected gets no events.

**Delivering.** A worker :func:`claim`\\ s a batch: for each session only a run of its oldest
undelivered events, so events of one session go out in order and never in two workers' hands.
The claim is a lease (``lease_owner``, ``lease_until``) written in a short transaction: the
POSTs happen outside any transaction, and a killed worker's events are claimable again when
its lease runs out. On PostgreSQL the candidate rows are read ``FOR UPDATE SKIP LOCKED``, so
workers claiming at the same moment take different events instead of waiting on each other.
:func:`complete` records each attempt: delivered, failed and retried later (``domain.outbox``
says when), or given up.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.outbox import CSAT_QUESTION, GIVE_UP_AFTER, EventType, after_failure
from ..store import queries as q
from ..store.models import (
    ChannelConnection,
    CsatRequest,
    Customer,
    CustomerHandle,
    Message,
    OutboxEvent,
    Session,
)
from ..store.prebuilt import per_dialect
from .context import Ctx

log = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DISCONNECTED = "the channel was disconnected"
EVENT_PREFIX = "evt_"


def public_event_id(outbox_id: int) -> str:
    """The ``event_id`` a receiver sees (and dedupes by)."""
    return f"{EVENT_PREFIX}{outbox_id}"


async def connected_channels(conn: AsyncConnection) -> set[str]:
    """The ids of the channels that are connected (a handful of rows)."""
    return set((await conn.scalars(_connected(conn))).all())


@per_dialect
def _connected(dialect: str) -> Any:
    return select(ChannelConnection.channel)


# -- writing: inside the transaction of what the event reports ----------------------------------


async def enqueue_message(
    conn: AsyncConnection, session_id: int, channel_id: str, message_id: int, now: datetime
) -> None:
    """A ``message.created`` event for an agent line, if the session's channel is connected."""
    await conn.execute(
        insert(OutboxEvent).from_select(
            [
                "channel",
                "session_id",
                "type",
                "message_id",
                "created_at",
                "state",
                "next_attempt_at",
            ],
            select(
                ChannelConnection.channel,
                literal(session_id, OutboxEvent.session_id.type),
                literal(EventType.MESSAGE_CREATED.value),
                literal(message_id, OutboxEvent.message_id.type),
                literal(now, OutboxEvent.created_at.type),
                literal(PENDING),
                literal(now, OutboxEvent.next_attempt_at.type),
            ).where(ChannelConnection.channel == channel_id),
        )
    )


async def enqueue_ends(conn: AsyncConnection, chosen: Any, now: datetime) -> None:
    """A ``session.ended`` event per ended session on a connected channel, carrying its end
    line: each session's newest message, as the end line was just written (under the
    session's lock) by the end that calls this."""
    newest = (
        select(func.max(Message.id)).where(Message.session_id.in_(select(Session.id).where(chosen)))
    ).group_by(Message.session_id)
    await conn.execute(
        insert(OutboxEvent).from_select(
            [
                "channel",
                "session_id",
                "type",
                "message_id",
                "created_at",
                "state",
                "next_attempt_at",
            ],
            select(
                Session.channel,
                Session.id,
                literal(EventType.SESSION_ENDED.value),
                Message.id,
                literal(now, OutboxEvent.created_at.type),
                literal(PENDING),
                literal(now, OutboxEvent.next_attempt_at.type),
            )
            .select_from(Message.__table__)
            .join(Session.__table__, Session.id == Message.session_id)
            .where(Message.id.in_(newest), Session.channel.in_(select(ChannelConnection.channel)))
            .order_by(Session.id),
        )
    )


async def enqueue_csat(conn: AsyncConnection, chosen: Any, now: datetime) -> None:
    """A ``csat.requested`` event per CSAT request of the chosen sessions made at ``now``."""
    await conn.execute(
        insert(OutboxEvent).from_select(
            [
                "channel",
                "session_id",
                "type",
                "csat_id",
                "text",
                "created_at",
                "state",
                "next_attempt_at",
            ],
            select(
                Session.channel,
                Session.id,
                literal(EventType.CSAT_REQUESTED.value),
                CsatRequest.id,
                literal(CSAT_QUESTION),
                literal(now, OutboxEvent.created_at.type),
                literal(PENDING),
                literal(now, OutboxEvent.next_attempt_at.type),
            )
            .select_from(CsatRequest.__table__)
            .join(Session.__table__, Session.id == CsatRequest.session_id)
            .where(
                chosen,
                CsatRequest.requested_at == now,
                Session.channel.in_(select(ChannelConnection.channel)),
            )
            .order_by(Session.id),
        )
    )


# -- delivering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """A claimed event with everything its POST needs."""

    outbox_id: int
    event_id: str
    type: str
    channel: str
    webhook_url: str
    secret: str
    session_id: int
    customer_id: str
    customer_name: str
    author: str
    text: str
    at: datetime
    message_id: int | None
    attempts: int

    def payload(self) -> dict[str, Any]:
        """The JSON body (docs/gateway.md lists every field)."""
        return {
            "type": self.type,
            "event_id": self.event_id,
            "channel": self.channel,
            "session_id": self.session_id,
            "customer_id": self.customer_id,
            "customer_name": self.customer_name,
            "author": self.author,
            "text": self.text,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class Attempt:
    """What one POST of one claimed event gave: ``ok``, or the HTTP status / error."""

    outbox_id: int
    ok: bool
    status: int | None = None
    error: str | None = None


def _due(now: datetime) -> Any:
    return and_(
        OutboxEvent.state == PENDING,
        OutboxEvent.next_attempt_at <= now,
        or_(OutboxEvent.lease_until.is_(None), OutboxEvent.lease_until < now),
    )


async def claim(
    ctx: Ctx, worker: str, *, limit: int = 200, lease: timedelta, now: datetime | None = None
) -> list[Delivery]:
    """Lease up to ``limit`` events to ``worker``: per session, its oldest undelivered events
    in order (none when its oldest is leased elsewhere or waiting to be retried)."""
    async with ctx.db.write() as conn:
        at = now or ctx.now()
        candidates = (
            select(OutboxEvent.id, OutboxEvent.session_id)
            .where(_due(at), OutboxEvent.channel.in_(select(ChannelConnection.channel)))
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        if conn.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True, of=OutboxEvent)
        rows = (await conn.execute(candidates)).all()
        if not rows:
            return []
        chosen = await _in_order(conn, rows)
        if not chosen:
            return []
        await conn.execute(
            update(OutboxEvent)
            .where(q.in_ids(conn, OutboxEvent.id, chosen))
            .values(lease_owner=worker, lease_until=at + lease)
        )
        return await _deliveries(conn, chosen)


async def _in_order(conn: AsyncConnection, rows: Sequence[Any]) -> list[int]:
    """Of the candidate ``rows``, the ids that are a run from the start of their session's
    undelivered events: a session whose head is not among them is left alone."""
    mine = {r.id for r in rows}
    upto = max(mine)
    sessions = sorted({r.session_id for r in rows})
    queued = (
        await conn.execute(
            select(OutboxEvent.session_id, OutboxEvent.id)
            .where(
                q.in_ids(conn, OutboxEvent.session_id, sessions),
                OutboxEvent.state == PENDING,
                OutboxEvent.id <= upto,
            )
            .order_by(OutboxEvent.session_id, OutboxEvent.id)
        )
    ).all()
    per_session: dict[int, list[int]] = defaultdict(list)
    for session_id, outbox_id in queued:
        per_session[session_id].append(outbox_id)
    chosen: list[int] = []
    for ids in per_session.values():
        for outbox_id in ids:
            if outbox_id not in mine:
                break
            chosen.append(outbox_id)
    return sorted(chosen)


async def _deliveries(conn: AsyncConnection, ids: list[int]) -> list[Delivery]:
    handle = (
        select(CustomerHandle.external_id)
        .where(
            CustomerHandle.customer_id == Session.customer_id,
            CustomerHandle.channel == Session.channel,
        )
        .limit(1)
        .scalar_subquery()
    )
    rows = (
        await conn.execute(
            select(
                OutboxEvent.id,
                OutboxEvent.type,
                OutboxEvent.channel,
                OutboxEvent.session_id,
                OutboxEvent.message_id,
                OutboxEvent.attempts,
                OutboxEvent.created_at,
                func.coalesce(OutboxEvent.text, Message.text).label("text"),
                Message.created_at.label("message_at"),
                Message.author.label("author"),
                ChannelConnection.webhook_url,
                ChannelConnection.secret,
                Customer.name.label("customer_name"),
                handle.label("external_id"),
            )
            .select_from(OutboxEvent.__table__)
            .join(ChannelConnection.__table__, ChannelConnection.channel == OutboxEvent.channel)
            .join(Session.__table__, Session.id == OutboxEvent.session_id)
            .join(Customer.__table__, Customer.id == Session.customer_id)
            .outerjoin(Message.__table__, Message.id == OutboxEvent.message_id)
            .where(q.in_ids(conn, OutboxEvent.id, ids))
            .order_by(OutboxEvent.id)
        )
    ).all()
    return [
        Delivery(
            outbox_id=r.id,
            event_id=public_event_id(r.id),
            type=r.type,
            channel=r.channel,
            webhook_url=r.webhook_url,
            secret=r.secret,
            session_id=r.session_id,
            customer_id=r.external_id if r.external_id is not None else r.customer_name,
            customer_name=r.customer_name,
            author=r.author if r.type == EventType.MESSAGE_CREATED.value else "system",
            text=r.text or "",
            at=r.message_at or r.created_at,
            message_id=r.message_id,
            attempts=r.attempts,
        )
        for r in rows
    ]


async def complete(
    ctx: Ctx, worker: str, attempts: Sequence[Attempt], released: Sequence[int] = ()
) -> None:
    """Record the attempts of a claimed batch; ``released`` were claimed but not tried (an
    earlier event of their session failed): their lease ends, their attempt count stays.

    Only events still leased to ``worker`` are touched: if its lease ran out and another
    worker took one over, that worker's record wins.
    """
    if not attempts and not released:
        return
    async with ctx.db.write() as conn:
        now = ctx.now()
        ids = [a.outbox_id for a in attempts]
        rows = {
            r.id: r
            for r in (
                await conn.execute(
                    select(
                        OutboxEvent.id,
                        OutboxEvent.session_id,
                        OutboxEvent.created_at,
                        OutboxEvent.attempts,
                        OutboxEvent.message_id,
                        Session.owner_id,
                    )
                    .join(Session.__table__, Session.id == OutboxEvent.session_id)
                    .where(
                        q.in_ids(conn, OutboxEvent.id, [*ids, *released]),
                        OutboxEvent.lease_owner == worker,
                        OutboxEvent.state == PENDING,
                    )
                )
            ).all()
        }
        lost = [i for i in [*ids, *released] if i not in rows]
        if lost:  # a lease ran out and another worker took these over
            log.warning(
                "%s: %d attempt(s) not recorded, their events are no longer leased to it: %s",
                worker, len(lost), lost[:10],
            )  # fmt: skip
        delivered = [a for a in attempts if a.ok and a.outbox_id in rows]
        if delivered:
            await conn.execute(
                update(OutboxEvent)
                .where(q.in_ids(conn, OutboxEvent.id, [a.outbox_id for a in delivered]))
                .values(
                    state=DELIVERED,
                    delivered_at=now,
                    attempts=OutboxEvent.attempts + 1,
                    lease_owner=None,
                    lease_until=None,
                )
            )
        for a in attempts:
            if a.ok or a.outbox_id not in rows:
                continue
            row = rows[a.outbox_id]
            tried = row.attempts + 1
            outcome = after_failure(row.created_at, tried, now)
            await conn.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == a.outbox_id)
                .values(
                    state=FAILED if outcome.give_up else PENDING,
                    attempts=tried,
                    next_attempt_at=outcome.next_at or now,
                    last_status=a.status,
                    last_error=(a.error or "")[:500] or None,
                    lease_owner=None,
                    lease_until=None,
                )
            )
        freed = [i for i in released if i in rows]
        if freed:
            await conn.execute(
                update(OutboxEvent)
                .where(q.in_ids(conn, OutboxEvent.id, freed))
                .values(lease_owner=None, lease_until=None)
            )
        # The console shows each agent line's delivery: wake the consoles of these sessions.
        touched: dict[int, int | None] = {
            rows[a.outbox_id].session_id: rows[a.outbox_id].owner_id
            for a in attempts
            if a.outbox_id in rows
        }
        await q.record_changes(conn, now, "delivery", sorted(touched.items()))


async def give_up_stale(ctx: Ctx) -> int:
    """Mark failed the undelivered events of disconnected channels that are older than the
    retry window (nobody will try them again); returns how many. Their consoles are told."""
    async with ctx.db.write() as conn:
        now = ctx.now()
        stale = (
            await conn.execute(
                select(OutboxEvent.id, OutboxEvent.session_id, Session.owner_id)
                .join(Session.__table__, Session.id == OutboxEvent.session_id)
                .where(
                    OutboxEvent.state == PENDING,
                    OutboxEvent.created_at < now - GIVE_UP_AFTER,
                    OutboxEvent.channel.not_in(select(ChannelConnection.channel)),
                )
            )
        ).all()
        if not stale:
            return 0
        await conn.execute(
            update(OutboxEvent)
            .where(q.in_ids(conn, OutboxEvent.id, [r.id for r in stale]))
            .values(state=FAILED, last_error=DISCONNECTED, lease_owner=None, lease_until=None)
        )
        owners = {r.session_id: r.owner_id for r in stale}
        await q.record_changes(conn, now, "delivery", sorted(owners.items()))
        return len(stale)
