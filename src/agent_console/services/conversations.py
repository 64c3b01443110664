"""Conversations: customers write in, agents write out, reply, close tabs (R2), go Inactive."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.capacity import Load
from ..domain.channels import Channel
from ..domain.channels import channel as channel_of
from ..domain.ending import conversation_permissions, may_close_tab
from ..domain.errors import Refused
from ..domain.text import unstorable
from ..domain.timers import auto_end_at
from ..domain.transitions import Event, TransitionRefused, next_status
from ..domain.vocab import (
    LIVE_STATUSES,
    AuthorKind,
    CapacityModel,
    Initiator,
    SessionStatus,
    session_label,
)
from ..store import queries as q
from ..store.models import Agent, Message, Session, table_of
from ..store.prebuilt import ids_in, ids_value, per_dialect
from . import drafts, outbox
from .context import Ctx
from .ending import require_session
from .views import CloseTabResult, InboundResult

MAX_MESSAGE_CHARS = 2_000_000
log = logging.getLogger(__name__)


def check_text(text: str) -> str:
    if not text:
        raise ValueError("a message needs some text")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(f"message too long: {len(text)} characters (limit {MAX_MESSAGE_CHARS})")
    why = unstorable(text)
    if why is not None:
        raise ValueError(f"cannot store this message: {why}")
    return text


def check_customer(name: str) -> str:
    if not name.strip():
        raise ValueError("a customer needs a name")
    why = unstorable(name)
    if why is not None:
        raise ValueError(f"cannot store this customer name: {why}")
    return name


async def _add_message(
    conn: AsyncConnection,
    session_id: int,
    kind: AuthorKind,
    author: str,
    text: str,
    now: Any,
    *,
    visible: bool = True,
) -> int:
    """Store one transcript line; returns its id."""
    return int(
        (
            await conn.execute(
                insert(Message)
                .values(
                    session_id=session_id,
                    author_kind=kind.value,
                    author=author,
                    text=text,
                    created_at=now,
                    visible_to_customer=visible,
                )
                .returning(Message.id)
            )
        ).scalar_one()
    )


async def _live_session(conn: AsyncConnection, customer_id: int, channel_id: str) -> Any:
    stmt = (
        select(Session)
        .where(
            Session.customer_id == customer_id,
            Session.channel == channel_id,
            Session.status.in_([s.value for s in LIVE_STATUSES]),
        )
        .order_by(Session.id.desc())
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def inbound(ctx: Ctx, customer: str, channel_id: str, text: str) -> InboundResult:
    """A customer message: joins their live session on the channel, or starts a new one.

    An ended session is never reopened: a message after the end starts a new session.
    """
    ch = channel_of(channel_id)
    check_text(text)
    check_customer(customer)
    async with ctx.db.write() as conn:
        now = ctx.now()  # inside the transaction: after the write lock (SQLite)
        cid = await q.customer_id(conn, customer, now, create=True)
        return await inbound_in(conn, now, cid, customer, ch, text)


async def inbound_in(
    conn: AsyncConnection, now: Any, cid: int, customer: str, ch: Channel, text: str
) -> InboundResult:
    """:func:`inbound` inside the caller's transaction, for customer ``cid`` (named
    ``customer``); the text was checked by the caller (:func:`check_text`)."""
    [result] = await inbound_many_in(conn, now, [Arrival(cid, customer, ch, text)])
    return result


@dataclass(frozen=True)
class Arrival:
    """A customer message to store (its text already checked)."""

    customer_id: int
    customer: str
    channel: Channel
    text: str


@dataclass
class _Live:
    """A session as the messages of one batch leave it."""

    id: int
    status: SessionStatus
    owner_id: int | None
    units: int
    units_held: int
    new: bool = False
    written: bool = False  # a message of this batch is in it already


async def inbound_many_in(
    conn: AsyncConnection, now: Any, arrivals: Sequence[Arrival]
) -> list[InboundResult]:
    """Customer messages, in order, inside the caller's transaction, set-wise (a few
    statements for any number of messages): each joins its customer's live session on its
    channel, or starts one that the customer's next messages of the batch join.

    An ended session is never reopened: a message after the end starts a new session. A
    status-based session gone Inactive is Active again and takes its units back.
    """
    if not arrivals:
        return []
    keys = list(dict.fromkeys((a.customer_id, a.channel.id) for a in arrivals))
    sessions = await _live_sessions(conn, keys)
    fresh = [k for k in keys if k not in sessions]
    if fresh:
        policy = await q.load_policy(conn)
        channel_of_key = {(a.customer_id, a.channel.id): a.channel for a in arrivals}
        rows = []
        for cid, channel_id in fresh:
            ch = channel_of_key[(cid, channel_id)]
            rows.append(
                {
                    "customer_id": cid,
                    "channel": channel_id,
                    "status": SessionStatus.WAITING.value,
                    "owner_id": None,
                    "initiated_by": Initiator.CUSTOMER.value,
                    "capacity_model": policy.model_for(ch).value,
                    "units": policy.units_for(ch),
                    "units_held": 0,
                    "tab_open": False,
                    "created_at": now,
                    "last_message_at": now,
                    "customer_replied": True,
                    "customer_waiting_since": now,  # the customer's first line waits
                }
            )
        # An executemany with RETURNING: SQLAlchemy sends it as one multi-row INSERT
        # ("insertmanyvalues", on SQLite and PostgreSQL alike) from one statement compiled
        # once per form (one row, many rows). ``.values(rows)`` has no cache key, so it was
        # built and compiled again for every new session: ~0.5 ms of CPU, a tenth of the
        # message's on PostgreSQL. Each new row is found again by its (customer, channel).
        made = await conn.execute(
            insert(table_of(Session)).returning(Session.id, Session.customer_id, Session.channel),
            rows,
        )
        for sid, cid, channel_id in made.all():
            sessions[(cid, channel_id)] = _Live(int(sid), SessionStatus.WAITING, None, 0, 0,
                                                new=True)  # fmt: skip

    results: list[InboundResult] = []
    messages: list[dict[str, Any]] = []
    given_back: dict[int, int] = defaultdict(int)
    for a in arrivals:
        live = sessions[(a.customer_id, a.channel.id)]
        messages.append(
            {
                "session_id": live.id,
                "author_kind": AuthorKind.CUSTOMER.value,
                "author": a.customer,
                "text": a.text,
                "created_at": now,
                "visible_to_customer": True,
            }
        )
        if live.new and not live.written:
            live.written = True
            results.append(
                InboundResult(live.id, True, live.status, "new session, waiting for a rep")
            )
            continue
        live.written = True
        note = "added to the ongoing session"
        if live.status is SessionStatus.INACTIVE and live.owner_id is not None:
            # Status-based: the conversation is live again and takes its units back.
            given_back[live.owner_id] += live.units
            live.units_held = live.units
            note = "the customer is back: the session is Active again"
        live.status = next_status(live.status, Event.CUSTOMER_WRITES)
        results.append(InboundResult(live.id, False, live.status, note))

    joined = [live for live in sessions.values() if not live.new]
    if joined:
        await conn.execute(
            _JOIN_SESSION,
            [
                {"sid": s.id, "now": now, "new_status": s.status.value, "held": s.units_held}
                for s in joined
            ],
        )
    if given_back:
        await conn.execute(
            update(Agent)
            .where(Agent.id == bindparam("aid"))
            .values(used_units=Agent.used_units + bindparam("units")),
            # In id order: two batches giving units back to the same agents never deadlock.
            [{"aid": aid, "units": units} for aid, units in sorted(given_back.items())],
        )
    await conn.execute(insert(table_of(Message)), messages)
    started = [(s.id, None) for s in sessions.values() if s.new]
    if started:
        await q.record_changes(conn, now, "inbound", started)
    if joined:
        await q.record_changes(conn, now, "message", [(s.id, s.owner_id) for s in joined])
    if log.isEnabledFor(logging.DEBUG):
        for a, r in zip(arrivals, results, strict=True):
            log.debug("%s message from %s on %s: %.200s", session_label(r.session_id),
                      a.customer, a.channel.id, a.text)  # fmt: skip
    return results


#: A customer line in a live session: it is newer, the customer replied, and it starts the
#: wait unless an older unanswered line started it already. Built once (``store/prebuilt.py``
#: says why): every message joining a session runs it.
_JOIN_SESSION = (
    update(Session)
    .where(Session.id == bindparam("sid"))
    .values(
        last_message_at=bindparam("now", type_=Session.last_message_at.type),
        customer_replied=True,
        customer_waiting_since=func.coalesce(
            Session.customer_waiting_since,
            bindparam("now", type_=Session.customer_waiting_since.type),
        ),
        auto_end_at=None,
        status=bindparam("new_status"),
        units_held=bindparam("held"),
        version=Session.version + 1,
    )
)


async def _live_sessions(
    conn: AsyncConnection, keys: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], _Live]:
    """The newest live session of each (customer, channel); PostgreSQL: locked, in id order
    (the order every writer locks sessions in)."""
    customers = ids_value(conn, sorted({cid for cid, _ in keys}))
    wanted = set(keys)
    found: dict[tuple[int, str], _Live] = {}
    for r in (await conn.execute(_live_of_customers(conn), {"customers": customers})).all():
        key = (r.customer_id, r.channel)
        if key in wanted:  # a later (newer) row replaces an older one
            found[key] = _Live(r.id, SessionStatus(r.status), r.owner_id, r.units, r.units_held)
    return found


@per_dialect
def _live_of_customers(dialect: str) -> Any:
    """The live sessions of the customers bound as ``customers`` (``ids_value``), in id
    order; locked on PostgreSQL. Every inbound message reads it."""
    stmt = (
        select(
            Session.id,
            Session.customer_id,
            Session.channel,
            Session.status,
            Session.owner_id,
            Session.units,
            Session.units_held,
        )
        .where(
            ids_in(dialect, Session.customer_id, "customers"),
            Session.status.in_([s.value for s in LIVE_STATUSES]),
        )
        .order_by(Session.id)
    )
    return stmt.with_for_update() if dialect == "postgresql" else stmt


async def outbound(
    ctx: Ctx, agent_name: str, customer: str, channel_id: str, text: str
) -> InboundResult:
    """An agent-initiated session (R7 starts counting from this first message)."""
    ch = channel_of(channel_id)
    check_text(text)
    check_customer(customer)
    async with ctx.db.write() as conn:
        now = ctx.now()  # inside the transaction: after the write lock (SQLite)
        # Not locked: the conditional UPDATE below is what reserves the capacity, and the
        # customer's live session must be locked before the agent (see close_tab).
        agent = await q.agent_row(conn, agent_name)
        facts = q.agent_facts(agent)
        for perm in conversation_permissions(ch):
            if perm not in facts.permissions:
                raise Refused(
                    f"{agent.name} cannot message on {ch.name}: missing permission {perm.value}"
                )
        policy = await q.load_policy(conn)
        units = policy.units_for(ch)
        load = Load(agent.capacity, agent.used_units)
        if not load.fits(units):
            raise Refused(
                f"{agent.name} has no free capacity: {load.used}/{load.capacity} units used, "
                f"{ch.name} needs {units}"
            )
        cid = await q.customer_id(conn, customer, now, create=True)
        live = await _live_session(conn, cid, ch.id)
        if live is not None:
            raise Refused(
                f"{customer} already has a live session {session_label(live.id)} on {ch.name}"
            )
        reserved = await conn.execute(
            update(Agent)
            .where(Agent.id == agent.id, Agent.used_units + units <= Agent.capacity)
            .values(used_units=Agent.used_units + units)
        )
        if reserved.rowcount != 1:
            raise Refused(f"{agent.name} has no free capacity for {units} more unit(s)")
        sid = int(
            (
                await conn.execute(
                    insert(Session)
                    .values(
                        customer_id=cid,
                        channel=ch.id,
                        status=SessionStatus.ACTIVE.value,
                        owner_id=agent.id,
                        initiated_by=Initiator.AGENT.value,
                        capacity_model=policy.model_for(ch).value,
                        units=units,
                        units_held=units,
                        tab_open=True,
                        created_at=now,
                        assigned_at=now,
                        last_message_at=now,
                        first_agent_message_at=now,
                        customer_replied=False,
                        auto_end_at=auto_end_at(ch, now),
                    )
                    .returning(Session.id)
                )
            ).scalar_one()
        )
        mid = await _add_message(conn, sid, AuthorKind.AGENT, agent.name, text, now)
        await outbox.enqueue_message(conn, sid, ch.id, mid, now)
        await q.record_changes(conn, now, "outbound", [(sid, agent.id)])
    return InboundResult(sid, True, SessionStatus.ACTIVE, "agent-initiated session started")


async def send(
    ctx: Ctx, agent_name: str, session_id: int, text: str, *, clear_draft: bool = False
) -> int:
    """The owner replies; returns the message id.

    ``clear_draft`` removes the agent's composer draft in the same transaction, so the draft
    goes exactly when the reply is stored and stays when the send fails.
    """
    check_text(text)
    async with ctx.db.write() as conn:
        now = ctx.now()  # inside the transaction: after the write lock (SQLite)
        agent = await q.agent_row(conn, agent_name)
        await q.lock_sessions(conn, [session_id])
        facts, row = await require_session(conn, session_id)
        if facts.status is SessionStatus.ENDED:
            raise Refused(
                f"{session_label(session_id)} has ended; a new message needs a new session"
            )
        if facts.owner_id != agent.id:
            owner = facts.owner_name or "nobody"
            raise Refused(f"not the owner: {session_label(session_id)} is owned by {owner}")
        # The customer sees this reply: nothing of theirs is left unanswered.
        first = row.first_agent_message_at is None
        replied = _FIRST_REPLY if first else _REPLY
        await conn.execute(replied, {"sid": session_id, "now": now})
        line = {"session_id": session_id, "author": agent.name, "text": text, "now": now}
        mid = int((await conn.execute(_AGENT_LINE, line)).scalar_one())
        await outbox.enqueue_message(conn, session_id, facts.channel.id, mid, now)
        if clear_draft:
            await drafts.clear_in(conn, agent.id, session_id)
        await q.record_changes(conn, now, "message", [(session_id, agent.id)])
    return mid


# A reply's statements, built once (``store/prebuilt.py`` says why).
_REPLY = (
    update(Session)
    .where(Session.id == bindparam("sid"))
    .values(
        last_message_at=bindparam("now", type_=Session.last_message_at.type),
        customer_waiting_since=None,
    )
)
#: The agent's first reply in the session also stamps it (first response time).
_FIRST_REPLY = _REPLY.values(
    first_agent_message_at=bindparam("now", type_=Session.first_agent_message_at.type)
)
_AGENT_LINE = (
    insert(Message)
    .values(
        session_id=bindparam("session_id"),
        author_kind=AuthorKind.AGENT.value,
        author=bindparam("author"),
        text=bindparam("text"),
        created_at=bindparam("now", type_=Message.created_at.type),
        visible_to_customer=True,
    )
    .returning(Message.id)
)


async def _give_back(conn: AsyncConnection, agent_id: int, units: int) -> None:
    """Return units a session held to its owner's free capacity."""
    if units:
        await conn.execute(
            update(Agent).where(Agent.id == agent_id).values(used_units=Agent.used_units - units)
        )


async def close_tab(ctx: Ctx, agent_name: str, session_id: int) -> CloseTabResult:
    """R2: closing an ended session's tab gives its units back (tab-based capacity)."""
    async with ctx.db.write() as conn:
        now = ctx.now()  # inside the transaction: after the write lock (SQLite)
        # The session before the agent: the order every writer takes them in (end_core,
        # routing, inbound), so two writers never wait on each other in a cycle.
        await q.lock_sessions(conn, [session_id])
        agent = await q.agent_row(conn, agent_name)
        facts, row = await require_session(conn, session_id)
        decision = may_close_tab(q.agent_facts(agent), facts, bool(row.tab_open), row.units_held)
        if not decision.allowed:
            raise Refused(decision.reason)
        await conn.execute(
            update(Session)
            .where(Session.id == session_id, Session.tab_open.is_(True))
            .values(tab_open=False, units_held=0)
        )
        await _give_back(conn, agent.id, row.units_held)
        await q.record_changes(conn, now, "tab_closed", [(session_id, agent.id)])
        used = int(await conn.scalar(select(Agent.used_units).where(Agent.id == agent.id)) or 0)
    return CloseTabResult(session_id, row.units_held, used, agent.capacity)


async def mark_inactive(ctx: Ctx, agent_name: str, session_id: int) -> InboundResult:
    """Status-based capacity: the customer went quiet; the session stays yours, units freed."""
    async with ctx.db.write() as conn:
        now = ctx.now()  # inside the transaction: after the write lock (SQLite)
        await q.lock_sessions(conn, [session_id])  # the session before the agent
        agent = await q.agent_row(conn, agent_name)
        facts, row = await require_session(conn, session_id)
        if row.owner_id != agent.id:
            raise Refused(
                f"not the owner: {session_label(session_id)} "
                f"is owned by {row.owner_name or 'nobody'}"
            )
        try:
            new = next_status(facts.status, Event.GO_INACTIVE, CapacityModel(row.capacity_model))
        except TransitionRefused as exc:
            raise Refused(f"{session_label(session_id)}: {exc}") from None
        await conn.execute(
            update(Session)
            .where(Session.id == session_id, Session.status == row.status)
            .values(status=new.value, units_held=0, version=Session.version + 1)
        )
        await _give_back(conn, agent.id, row.units_held)
        await _add_message(
            conn,
            session_id,
            AuthorKind.SYSTEM,
            "system",
            f"Marked inactive by {agent.name}",
            now,
            visible=False,
        )
        await q.record_changes(conn, now, "inactive", [(session_id, agent.id)])
    return InboundResult(
        session_id, False, new, f"{row.units_held} unit(s) freed; still assigned to you"
    )
