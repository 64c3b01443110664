"""Channels: connecting one to the gateway, and the CSAT answers that come back through it.

An admin connects a channel with the webhook URL its events go to and the secret both sides
sign with (``domain.webhooks``). What a connected channel's provider sends in -- customer
messages, stored once per message id -- is :mod:`.channel_inbound`; its entry points are named
here too (``channels.receive``, ``channels.receive_many``), as the gateway and the CLI call them.
The customer's CSAT answer comes back through :func:`answer_csat`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import CHANNELS, channel
from ..domain.errors import NotFound, Refused
from ..domain.outbox import CSAT_SCORES
from ..domain.text import unstorable
from ..domain.vocab import AuthorKind, session_label
from ..domain.webhooks import check_secret, new_secret
from ..store import queries as q
from ..store.models import (
    ChannelConnection,
    CsatRequest,
    CustomerHandle,
    Message,
    OutboxEvent,
    Session,
)
from .agents import require_admin
from .channel_inbound import (
    MAX_NAME,
    MAX_REF,
    ChannelMessage,
    Conflict,
    Outcome,
    body_hash,
    check_ref,
    customer_for,
    customers_for,
    receive,
    receive_many,
)
from .context import Ctx
from .outbox import PENDING
from .views import ChannelView, ConnectResult, CsatAnswer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connection:
    """A connected channel as the gateway uses it (with the secret: never shown)."""

    channel: str
    webhook_url: str
    secret: str


def check_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a webhook URL: {url!r} (want http(s)://host/path)")
    if unstorable(url) is not None or any(c.isspace() for c in url):
        raise ValueError("a webhook URL has no spaces or control characters")
    return url


async def connect(
    ctx: Ctx, channel_id: str, webhook_url: str, *, secret: str | None = None, admin: str
) -> ConnectResult:
    """Connect (or re-point) a channel; a new secret is made when none is given."""
    ch = channel(channel_id)
    check_webhook_url(webhook_url)
    made = None
    if secret is None:
        secret = made = new_secret()
    else:
        check_secret(secret)
    async with ctx.db.write() as conn:
        now = ctx.now()
        await require_admin(conn, admin, doing="connect channels")
        found = await conn.scalar(
            select(ChannelConnection.channel).where(ChannelConnection.channel == ch.id)
        )
        values = {
            "webhook_url": webhook_url,
            "secret": secret,
            "connected_at": now,
            "connected_by": admin,
        }
        if found is None:
            await conn.execute(insert(ChannelConnection).values(channel=ch.id, **values))
        else:
            await conn.execute(
                update(ChannelConnection).where(ChannelConnection.channel == ch.id).values(**values)
            )
        view = (await _views(conn, [ch.id]))[0]
    log.info("channel %s connected to %s by %s", ch.id, _origin(webhook_url), admin)
    return ConnectResult(view, made)


async def disconnect(ctx: Ctx, channel_id: str, *, admin: str) -> ChannelView:
    """Disconnect a channel: its events stay in the outbox and go out if it is connected again
    (within a day: older ones are marked failed)."""
    ch = channel(channel_id)
    async with ctx.db.write() as conn:
        await require_admin(conn, admin, doing="disconnect channels")
        gone = await conn.execute(
            delete(ChannelConnection).where(ChannelConnection.channel == ch.id)
        )
        if not gone.rowcount:
            raise NotFound(f"{ch.name} ({ch.id}) is not connected")
        view = (await _views(conn, [ch.id]))[0]
    log.info("channel %s disconnected by %s", ch.id, admin)
    return view


async def list_channels(ctx: Ctx) -> list[ChannelView]:
    async with ctx.db.read() as conn:
        return await _views(conn, [c.id for c in CHANNELS])


async def connection(ctx: Ctx, channel_id: str) -> Connection | None:
    """The connection of a (known) channel, secret included: for the gateway only."""
    async with ctx.db.read() as conn:
        row = (
            await conn.execute(
                select(ChannelConnection).where(ChannelConnection.channel == channel_id)
            )
        ).first()
    return None if row is None else Connection(row.channel, row.webhook_url, row.secret)


def _origin(url: str) -> str:
    """Scheme, host and port of a URL: what a log line may say of it (no path, no query)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


async def _views(conn: AsyncConnection, ids: list[str]) -> list[ChannelView]:
    connections = {
        r.channel: r
        for r in (
            await conn.execute(
                select(
                    ChannelConnection.channel,
                    ChannelConnection.webhook_url,
                    ChannelConnection.connected_at,
                    ChannelConnection.connected_by,
                )
            )
        ).all()
    }
    counts: dict[tuple[str, str], int] = {}
    tried = (OutboxEvent.attempts > 0).label("tried")
    for r in (
        await conn.execute(
            select(OutboxEvent.channel, OutboxEvent.state, tried, func.count().label("n"))
            .where(OutboxEvent.state.in_([PENDING, "failed"]))
            .group_by(OutboxEvent.channel, OutboxEvent.state, tried)
        )
    ).all():
        key = "failed" if r.state == "failed" else ("retrying" if r.tried else "pending")
        counts[(r.channel, key)] = counts.get((r.channel, key), 0) + int(r.n)
    out = []
    for cid in ids:
        ch = channel(cid)
        c = connections.get(cid)
        out.append(
            ChannelView(
                channel=cid,
                name=ch.name,
                connected=c is not None,
                webhook_url=c.webhook_url if c else None,
                connected_at=c.connected_at if c else None,
                connected_by=c.connected_by if c else None,
                pending=counts.get((cid, "pending"), 0),
                retrying=counts.get((cid, "retrying"), 0),
                failed=counts.get((cid, "failed"), 0),
            )
        )
    return out


# -- inbound ------------------------------------------------------------------------------------


async def came_through_channels(ctx: Ctx, session_ids: list[int]) -> set[int]:
    """Which of these sessions are with a customer who writes through a connected channel
    (a real person on the other side: the living demo must not speak for them)."""
    if not session_ids:
        return set()
    async with ctx.db.read() as conn:
        rows = await conn.scalars(
            select(Session.id)
            .join(
                CustomerHandle.__table__,
                (CustomerHandle.customer_id == Session.customer_id)
                & (CustomerHandle.channel == Session.channel),
            )
            .where(q.in_ids(conn, Session.id, session_ids))
        )
        return set(rows.all())


async def answer_csat(
    ctx: Ctx, channel_id: str, customer_ref: str, session_id: int, score: int
) -> CsatAnswer:
    """The customer's answer to the CSAT survey of one of their sessions (once: a repeat of
    the same answer is accepted again, another score is refused)."""
    ch = channel(channel_id)
    check_ref(customer_ref)
    if isinstance(score, bool) or not isinstance(score, int) or score not in CSAT_SCORES:
        raise ValueError(
            f"a CSAT score is a whole number from {CSAT_SCORES[0]} to {CSAT_SCORES[-1]}"
        )
    async with ctx.db.write() as conn:
        now = ctx.now()
        await q.lock_sessions(conn, [session_id])
        row = (
            await conn.execute(
                select(CsatRequest.id, CsatRequest.score, CsatRequest.answered_at, Session.owner_id)
                .join(Session.__table__, Session.id == CsatRequest.session_id)
                .join(
                    CustomerHandle.__table__,
                    (CustomerHandle.customer_id == Session.customer_id)
                    & (CustomerHandle.channel == Session.channel),
                )
                .where(
                    CsatRequest.session_id == session_id,
                    Session.channel == ch.id,
                    CustomerHandle.external_id == customer_ref,
                )
            )
        ).first()
        if row is None:
            raise NotFound(f"no CSAT survey for this customer in {session_label(session_id)}")
        if row.score is not None:
            if row.score != score:
                raise Refused(f"the survey of {session_label(session_id)} was already answered")
            return CsatAnswer(session_id, row.score, row.answered_at, True)
        await conn.execute(
            update(CsatRequest).where(CsatRequest.id == row.id).values(score=score, answered_at=now)
        )
        await conn.execute(
            insert(Message).values(
                session_id=session_id,
                author_kind=AuthorKind.SYSTEM.value,
                author="system",
                text=f"The customer rated this conversation {score}/5",
                created_at=now,
                visible_to_customer=False,
            )
        )
        await q.record_changes(conn, now, "csat", [(session_id, row.owner_id)])
    return CsatAnswer(session_id, score, now, False)


__all__ = [
    "MAX_NAME",
    "MAX_REF",
    "ChannelMessage",
    "Conflict",
    "Connection",
    "Outcome",
    "answer_csat",
    "body_hash",
    "came_through_channels",
    "check_ref",
    "check_webhook_url",
    "connect",
    "connection",
    "customer_for",
    "customers_for",
    "disconnect",
    "list_channels",
    "receive",
    "receive_many",
]
