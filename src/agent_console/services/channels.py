"""Channels: connecting one to the gateway, and what a channel provider sends in.

An admin connects a channel with the webhook URL its events go to and the secret both sides
sign with (``domain.webhooks``). A connected channel's provider posts customer messages through
the gateway: :func:`receive` stores each once (its message id is the idempotency key, kept in
the database so it holds across gateways and restarts), through the same path as the CLI's
``inbound``. The customer's CSAT answer comes back through :func:`answer_csat`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    Customer,
    CustomerHandle,
    InboundReceipt,
    Message,
    OutboxEvent,
    Session,
)
from .agents import require_admin
from .context import Ctx
from .conversations import check_customer, check_text, inbound_in
from .outbox import PENDING
from .views import ChannelView, ConnectResult, CsatAnswer, ReceiveResult

log = logging.getLogger(__name__)

#: Longest customer id and name a channel may send (the columns hold 200).
MAX_REF, MAX_NAME = 200, 200


class Conflict(Refused):
    """A message id seen before, now with another body (a provider bug, not a retry)."""


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


def check_ref(ref: str) -> str:
    if not ref or len(ref) > MAX_REF or unstorable(ref) is not None or ref != ref.strip():
        raise ValueError(
            f"a customer id is 1 to {MAX_REF} characters, with no control characters "
            "or surrounding spaces"
        )
    return ref


def body_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


# -- connections --------------------------------------------------------------------------------


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


def _insert(conn: AsyncConnection) -> type:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert  # type: ignore[return-value]


async def receive(
    ctx: Ctx,
    channel_id: str,
    message_id: str,
    customer_ref: str,
    customer_name: str,
    text: str,
) -> ReceiveResult:
    """A channel's customer message, stored once per ``message_id``: the customer's live
    session on the channel gets it, or a new session starts (routing as usual).

    A retry of a stored message id answers what the first did (``replayed``); the same id with
    another customer or text is a :class:`Conflict`. Nothing is stored when a check fails.
    """
    ch = channel(channel_id)
    check_text(text)
    check_customer(customer_name)
    check_ref(customer_ref)
    if len(customer_name) > MAX_NAME:
        raise ValueError(f"a customer name is at most {MAX_NAME} characters")
    if not message_id or len(message_id) > MAX_REF or unstorable(message_id) is not None:
        raise ValueError(f"a message_id is 1 to {MAX_REF} characters, no control characters")
    digest = body_hash(customer_ref, text)
    async with ctx.db.write() as conn:
        now = ctx.now()
        # The receipt first: on PostgreSQL a twin request's uncommitted receipt makes this
        # insert wait for it, then do nothing, and the twin's answer is read below.
        taken = (
            await conn.execute(
                _insert(conn)(InboundReceipt)
                .values(
                    channel=ch.id,
                    message_id=message_id,
                    body_hash=digest,
                    session_id=None,
                    status="",
                    received_at=now,
                )
                .on_conflict_do_nothing(
                    index_elements=[InboundReceipt.channel, InboundReceipt.message_id]
                )
                .returning(InboundReceipt.message_id)
            )
        ).first()
        if taken is None:
            first = (
                await conn.execute(
                    select(InboundReceipt).where(
                        InboundReceipt.channel == ch.id, InboundReceipt.message_id == message_id
                    )
                )
            ).one()
            if first.body_hash != digest:
                raise Conflict(
                    f"message_id {message_id!r} was already used for another message on {ch.id}"
                )
            return ReceiveResult(first.session_id, first.status, False, True)
        cid, name = await customer_for(conn, ch.id, customer_ref, customer_name, now)
        result = await inbound_in(conn, now, cid, name, ch, text)
        await conn.execute(
            update(InboundReceipt)
            .where(InboundReceipt.channel == ch.id, InboundReceipt.message_id == message_id)
            .values(session_id=result.session_id, status=result.status)
        )
    return ReceiveResult(result.session_id, result.status, result.new_session, False)


async def customer_for(
    conn: AsyncConnection, channel_id: str, ref: str, name: str, now: datetime
) -> tuple[int, str]:
    """The customer a channel knows as ``ref`` (id and name), made on first contact.

    Customer names are unique (agents tell customers apart by them): a new customer whose
    name is taken is named ``"Name (2)"``, ``"Name (3)"``...
    """
    found = (
        await conn.execute(
            select(Customer.id, Customer.name)
            .join(CustomerHandle.__table__, CustomerHandle.customer_id == Customer.id)
            .where(CustomerHandle.channel == channel_id, CustomerHandle.external_id == ref)
        )
    ).first()
    if found is not None:
        return int(found.id), found.name
    ins = _insert(conn)
    cid, chosen = await _new_customer(conn, name, now)
    linked = (
        await conn.execute(
            ins(CustomerHandle)
            .values(channel=channel_id, external_id=ref, customer_id=cid, created_at=now)
            .on_conflict_do_nothing(
                index_elements=[CustomerHandle.channel, CustomerHandle.external_id]
            )
            .returning(CustomerHandle.customer_id)
        )
    ).scalar()
    if linked is None:  # a twin request linked this ref first (it committed meanwhile)
        await conn.execute(delete(Customer).where(Customer.id == cid))
        return await customer_for(conn, channel_id, ref, name, now)
    return int(cid), chosen


async def _new_customer(conn: AsyncConnection, name: str, now: datetime) -> tuple[int, str]:
    ins = _insert(conn)

    async def named(candidate: str) -> int | None:
        return (
            await conn.execute(
                ins(Customer)
                .values(name=candidate, created_at=now)
                .on_conflict_do_nothing(index_elements=[Customer.name])
                .returning(Customer.id)
            )
        ).scalar()

    cid = await named(name)
    if cid is not None:
        return int(cid), name
    # Skip the numbers taken already instead of trying them one by one.
    taken = await conn.scalar(
        select(func.count())
        .select_from(Customer)
        .where(Customer.name.startswith(f"{name} (", autoescape=True))
    )
    first = int(taken or 0) + 2
    for n in range(first, first + 100):
        candidate = f"{name} ({n})"
        cid = await named(candidate)
        if cid is not None:
            return int(cid), candidate
    raise Refused(f"too many customers named {name!r}")


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
