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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import CHANNELS, channel
from ..domain.errors import ConsoleError, NotFound, Refused
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
    table_of,
)
from .agents import require_admin
from .context import Ctx
from .conversations import Arrival, check_customer, check_text, inbound_many_in
from .outbox import PENDING, connected_channels
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


@dataclass(frozen=True)
class ChannelMessage:
    """One customer message a channel sent in (see :func:`receive_many`)."""

    channel: str
    message_id: str
    customer_ref: str
    customer_name: str
    text: str

    def checked(self) -> ChannelMessage:
        """This message, or ValueError saying what is wrong with it (nothing is stored)."""
        channel(self.channel)
        check_text(self.text)
        check_customer(self.customer_name)
        check_ref(self.customer_ref)
        if len(self.customer_name) > MAX_NAME:
            raise ValueError(f"a customer name is at most {MAX_NAME} characters")
        if (
            not self.message_id
            or len(self.message_id) > MAX_REF
            or unstorable(self.message_id) is not None
        ):
            raise ValueError(f"a message_id is 1 to {MAX_REF} characters, no control characters")
        return self

    @property
    def digest(self) -> str:
        return body_hash(self.customer_ref, self.text)


#: What :func:`receive_many` answers for each message: its result, or why it was refused.
Outcome = ReceiveResult | ConsoleError | ValueError


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
    message = ChannelMessage(channel_id, message_id, customer_ref, customer_name, text).checked()
    [outcome] = await receive_many(ctx, [message])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


async def receive_many(ctx: Ctx, messages: Sequence[ChannelMessage]) -> list[Outcome]:
    """:func:`receive` for many messages in ONE transaction (the gateway's group commit: one
    commit, one fsync and a handful of statements for a batch of requests). One outcome per
    message, in order; a refused message never blocks the others.

    On a database error the whole transaction is rolled back and the error raised: the
    caller may then store the messages one by one to find the one that caused it.
    """
    outcomes: list[Outcome | None] = [None] * len(messages)
    todo: list[int] = []
    for i, m in enumerate(messages):
        try:
            m.checked()
        except ValueError as exc:
            outcomes[i] = exc
        else:
            todo.append(i)
    if todo:
        async with ctx.db.write() as conn:
            await _receive_in(conn, ctx.now(), messages, todo, outcomes)
    return [o if o is not None else RuntimeError("no outcome") for o in outcomes]  # type: ignore[misc]


async def _receive_in(
    conn: AsyncConnection,
    now: datetime,
    messages: Sequence[ChannelMessage],
    todo: list[int],
    outcomes: list[Outcome | None],
) -> None:
    connected = await connected_channels(conn)
    first_of: dict[tuple[str, str], int] = {}  # (channel, message id) -> its first message
    repeats: list[int] = []
    for i in todo:
        m = messages[i]
        if m.channel not in connected:
            outcomes[i] = NotFound(f"channel {m.channel} is not connected")
        elif (m.channel, m.message_id) in first_of:
            repeats.append(i)  # the same id twice in one batch: answered as a retry, below
        else:
            first_of[(m.channel, m.message_id)] = i
    if not first_of:
        return
    # The receipts first, in key order (two batches never wait on each other in a cycle): on
    # PostgreSQL a concurrent batch's uncommitted receipt makes this wait for it; then the
    # message id is taken, and that batch's answer is read below.
    keys = sorted(first_of)
    inserted = await conn.execute(
        # An executemany: SQLAlchemy sends it as one multi-row INSERT ... RETURNING, compiled
        # once (a .values() list would be compiled anew for every batch size).
        _insert(conn)(table_of(InboundReceipt))
        .on_conflict_do_nothing(index_elements=[InboundReceipt.channel, InboundReceipt.message_id])
        .returning(InboundReceipt.channel, InboundReceipt.message_id),
        [
            {
                "channel": ch,
                "message_id": mid,
                "body_hash": messages[first_of[(ch, mid)]].digest,
                "session_id": None,
                "status": "",
                "received_at": now,
            }
            for ch, mid in keys
        ],
    )
    mine = {(r.channel, r.message_id) for r in inserted.all()}
    taken = [k for k in keys if k not in mine]
    if taken:
        await _answer_again(conn, messages, [first_of[k] for k in taken], outcomes)
    ours = [first_of[k] for k in keys if k in mine]
    ours.sort()  # in arrival order: a customer's messages keep theirs
    if ours:
        customers = await customers_for(
            conn, [(messages[i].channel, messages[i].customer_ref, messages[i].customer_name)
                   for i in ours], now,
        )  # fmt: skip
        arrivals = [
            Arrival(cid, name, channel(messages[i].channel), messages[i].text)
            for i, (cid, name) in zip(ours, customers, strict=True)
        ]
        results = await inbound_many_in(conn, now, arrivals)
        await conn.execute(
            update(InboundReceipt)
            .where(
                InboundReceipt.channel == bindparam("ch"),
                InboundReceipt.message_id == bindparam("mid"),
            )
            .values(session_id=bindparam("sid"), status=bindparam("st")),
            [
                {
                    "ch": messages[i].channel,
                    "mid": messages[i].message_id,
                    "sid": r.session_id,
                    "st": r.status,
                }
                for i, r in zip(ours, results, strict=True)
            ],
        )
        for i, r in zip(ours, results, strict=True):
            outcomes[i] = ReceiveResult(r.session_id, r.status, r.new_session, False)
    for i in repeats:
        m = messages[i]
        first = outcomes[first_of[(m.channel, m.message_id)]]
        if (
            isinstance(first, ReceiveResult)
            and messages[first_of[(m.channel, m.message_id)]].digest == m.digest
        ):
            outcomes[i] = ReceiveResult(first.session_id, first.status, False, True)
        elif isinstance(first, ReceiveResult):
            outcomes[i] = _conflict(m)
        else:
            outcomes[i] = first


def _conflict(m: ChannelMessage) -> Conflict:
    return Conflict(
        f"message_id {m.message_id!r} was already used for another message on {m.channel}"
    )


async def _answer_again(
    conn: AsyncConnection,
    messages: Sequence[ChannelMessage],
    indexes: list[int],
    outcomes: list[Outcome | None],
) -> None:
    """Messages whose id was stored before: the first answer again, or a conflict."""
    by_channel: dict[str, list[int]] = defaultdict(list)
    for i in indexes:
        by_channel[messages[i].channel].append(i)
    for channel_id, items in by_channel.items():
        stored = {
            r.message_id: r
            for r in (
                await conn.execute(
                    select(InboundReceipt).where(
                        InboundReceipt.channel == channel_id,
                        q.in_ids(conn, InboundReceipt.message_id,
                                 [messages[i].message_id for i in items]),
                    )
                )
            ).all()
        }  # fmt: skip
        for i in items:
            first = stored[messages[i].message_id]
            if first.body_hash != messages[i].digest:
                outcomes[i] = _conflict(messages[i])
            else:
                outcomes[i] = ReceiveResult(first.session_id, first.status, False, True)


async def customers_for(
    conn: AsyncConnection, wanted: Sequence[tuple[str, str, str]], now: datetime
) -> list[tuple[int, str]]:
    """(customer id, name) for each (channel, ref, name): the customers the channels know by
    those refs, in one read per channel; first contacts are made one by one."""
    known: dict[tuple[str, str], tuple[int, str]] = {}
    refs: dict[str, set[str]] = defaultdict(set)
    for channel_id, ref, _ in wanted:
        refs[channel_id].add(ref)
    for channel_id, channel_refs in refs.items():
        rows = await conn.execute(
            select(CustomerHandle.external_id, Customer.id, Customer.name)
            .join(Customer.__table__, Customer.id == CustomerHandle.customer_id)
            .where(
                CustomerHandle.channel == channel_id,
                q.in_ids(conn, CustomerHandle.external_id, sorted(channel_refs)),
            )
        )
        for r in rows.all():
            known[(channel_id, r.external_id)] = (int(r.id), r.name)
    first: dict[tuple[str, str], str] = {}  # a ref's first message names the customer
    for channel_id, ref, name in wanted:
        if (channel_id, ref) not in known:
            first.setdefault((channel_id, ref), name)
    if first:
        contacts = [(ch, ref, name) for (ch, ref), name in first.items()]
        known.update(await _first_contacts(conn, contacts, now))
    return [known[(channel_id, ref)] for channel_id, ref, _ in wanted]


async def _first_contacts(
    conn: AsyncConnection, contacts: list[tuple[str, str, str]], now: datetime
) -> dict[tuple[str, str], tuple[int, str]]:
    """New customers for first contacts, set-wise: one insert of the customers whose name is
    free, one of their handles; a name taken (or a ref a concurrent request linked first)
    takes the one-by-one way of :func:`customer_for`."""
    ins = _insert(conn)
    made: dict[tuple[str, str], tuple[int, str]] = {}
    by_name: dict[str, tuple[str, str]] = {}
    slow: list[tuple[str, str, str]] = []
    for ch, ref, name in sorted(contacts, key=lambda c: c[2]):  # names in order: no deadlock
        if name in by_name:
            slow.append((ch, ref, name))
        else:
            by_name[name] = (ch, ref)
    rows = (
        await conn.execute(
            ins(table_of(Customer))  # Core, not the ORM's bulk path; an executemany
            .on_conflict_do_nothing(index_elements=[Customer.name])
            .returning(Customer.id, Customer.name),
            [{"name": name, "created_at": now} for name in by_name],
        )
    ).all()
    ids = {r.name: int(r.id) for r in rows}
    slow.extend((ch, ref, name) for name, (ch, ref) in by_name.items() if name not in ids)
    linked_rows = [
        {"channel": by_name[name][0], "external_id": by_name[name][1], "customer_id": cid,
         "created_at": now}
        for name, cid in ids.items()
    ]  # fmt: skip
    if linked_rows:
        linked_rows.sort(key=lambda r: (r["channel"], r["external_id"]))
        linked = (
            await conn.execute(
                ins(table_of(CustomerHandle))
                .on_conflict_do_nothing(
                    index_elements=[CustomerHandle.channel, CustomerHandle.external_id]
                )
                .returning(CustomerHandle.channel, CustomerHandle.external_id),
                linked_rows,
            )
        ).all()
        done = {(r.channel, r.external_id) for r in linked}
        orphans = []
        for name, cid in ids.items():
            key = by_name[name]
            if key in done:
                made[key] = (cid, name)
            else:  # a concurrent request linked this ref first (it committed meanwhile)
                orphans.append(cid)
                slow.append((key[0], key[1], name))
        if orphans:
            await conn.execute(delete(Customer).where(q.in_ids(conn, Customer.id, orphans)))
    for ch, ref, name in slow:
        made[(ch, ref)] = await customer_for(conn, ch, ref, name, now)
    return made


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
