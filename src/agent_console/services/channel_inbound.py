"""What a connected channel's provider sends in: customer messages, each stored once.

The gateway posts them here (:func:`receive`, :func:`receive_many` for a batch in one
transaction). A message's id is its idempotency key, kept in the database so it holds across
gateways and restarts; a retry answers what the first delivery did, the same id with another
body is a :class:`Conflict`. Messages go through the same path as the CLI's
``inbound`` (``conversations.inbound_many_in``).
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import channel
from ..domain.errors import ConsoleError, NotFound, Refused
from ..domain.text import unstorable
from ..store import queries as q
from ..store.models import (
    Customer,
    CustomerHandle,
    InboundReceipt,
    table_of,
)
from .context import Ctx
from .conversations import Arrival, check_customer, check_text, inbound_many_in
from .outbox import connected_channels
from .views import ReceiveResult

log = logging.getLogger(__name__)

#: Longest customer id and name a channel may send (the columns hold 200).
MAX_REF, MAX_NAME = 200, 200


class Conflict(Refused):
    """A message id seen before, now with another body (a provider bug, not a retry)."""


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
