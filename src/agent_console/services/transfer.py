"""Transfer: hand an Active session to another agent, or send it back to the queue.

One transaction: the session is locked first (the order every writer takes rows in), the
rule is checked again on the locked row (domain/transfer.py), then the session changes owner,
the sender's units come back, the receiver's are taken, an internal system line records it,
and the change feed wakes both consoles.

Locks on PostgreSQL, after the session: the two agents in id order (two transfers between the
same pair never deadlock), the receiver ``FOR UPDATE`` -- as routing takes agents, so a
presence change holding the receiver (``FOR KEY SHARE``) finishes first and the transfer sees
the new presence -- and the sender ``FOR NO KEY UPDATE``, which a presence change or logout of
the sender (that holds it ``FOR KEY SHARE`` and then waits for this session) does not block.
On SQLite the writing transaction holds the database.

Back to the queue, the session is Waiting and unowned: the next routing pass (the gateway's
router, ``agent-console route``, a presence change) assigns it again.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.errors import Refused
from ..domain.transfer import (
    Candidate,
    may_transfer,
    receiver_refusal,
    refusal_line,
    transfer_line,
    units_taken,
)
from ..domain.transitions import Event, next_status
from ..domain.vocab import AuthorKind, Presence, SessionStatus, session_label
from ..store import queries as q
from ..store.audit import record_audit
from ..store.models import Agent, Message, Session
from ..store.rows import AgentRecord
from .context import Ctx
from .ending import require_session
from .row_views import session_row as row_view
from .views import TransferOptions, TransferResult, TransferTarget

log = logging.getLogger(__name__)


def candidate_of(row: AgentRecord) -> Candidate:
    return Candidate(
        agent=q.agent_facts(row),
        presence=Presence(row.presence),
        logged_in=bool(row.logged_in),
        capacity=row.capacity,
        used=row.used_units,
    )


async def transfer_options(ctx: Ctx, actor_name: str, session_id: int) -> TransferOptions:
    """What the picker shows: may ``actor_name`` move the session, and to whom (every other
    agent, each eligible or not with the reason)."""
    async with ctx.db.read() as conn:
        actor = q.agent_facts(await q.agent_row(conn, actor_name))
        facts, row = await require_session(conn, session_id)
        agents = (await conn.execute(select(Agent).order_by(Agent.name))).all()
    decision = may_transfer(actor, facts)
    units = units_taken(facts, row.units)
    eligible: list[TransferTarget] = []
    others: list[TransferTarget] = []
    for a in agents:
        if a.id == facts.owner_id:
            continue  # the sender: nothing to choose
        why = receiver_refusal(candidate_of(a), facts, units)
        target = TransferTarget(
            name=a.name,
            presence=Presence(a.presence),
            used=a.used_units,
            capacity=a.capacity,
            free=max(0, a.capacity - a.used_units),
            eligible=why is None,
            reason=why or "",
            line=refusal_line(a.name, why) if why else a.name,
        )
        (eligible if why is None else others).append(target)
    eligible.sort(key=lambda t: (-t.free, t.name))
    return TransferOptions(row_view(row), decision.allowed, decision.reason, units,
                           [*eligible, *others])  # fmt: skip


async def _lock_agents(conn: AsyncConnection, sender_id: int, receiver_id: int | None) -> None:
    """PostgreSQL: the sender FOR NO KEY UPDATE and the receiver FOR UPDATE, in id order."""
    if conn.dialect.name != "postgresql":
        return
    wanted = {sender_id: False} | ({receiver_id: True} if receiver_id is not None else {})
    for agent_id in sorted(wanted):
        receiving = wanted[agent_id]
        await conn.execute(
            select(Agent.id)
            .where(Agent.id == agent_id)
            .with_for_update(key_share=not receiving)  # key_share alone: FOR NO KEY UPDATE
        )


async def transfer(
    ctx: Ctx,
    actor_name: str,
    session_id: int,
    to: str | None,
    *,
    expected_owner: str | None = None,
) -> TransferResult:
    """``actor_name`` hands session ``session_id`` to agent ``to``, or back to the queue
    (``to`` None). ``expected_owner``: the owner the actor saw; if the session changed hands
    meanwhile (another console was first) the transfer is refused with that reason.

    Raises Refused (with the reason) or NotFound; changes nothing then.
    """
    label = session_label(session_id)
    async with ctx.db.write() as conn:
        await q.lock_sessions(conn, [session_id])  # the session before any agent
        now = ctx.now()  # once the row is ours: see end_core
        actor = q.agent_facts(await q.agent_row(conn, actor_name))
        facts, row = await require_session(conn, session_id)
        decision = may_transfer(actor, facts, expected_owner=expected_owner)
        if not decision.allowed:
            raise Refused(f"not transferred: {decision.reason}")  # the reason names the session
        sender_id, sender = row.owner_id, row.owner_name
        if sender_id is None or sender is None:  # may_transfer allows owned sessions only
            raise RuntimeError(f"{label} may be transferred but has no owner")
        receiver = await q.agent_row(conn, to) if to is not None else None
        await _lock_agents(conn, sender_id, receiver.id if receiver is not None else None)
        taken = 0
        if receiver is not None:
            # Read again under the lock: a presence change may have committed meanwhile.
            receiver = await q.agent_row(conn, receiver.name)
            taken = units_taken(facts, row.units)
            why = receiver_refusal(candidate_of(receiver), facts, taken)
            if why is not None:
                raise Refused(f"{label} not transferred to {refusal_line(receiver.name, why)}")
            status = next_status(facts.status, Event.TRANSFER)
            values: dict[str, Any] = {
                "owner_id": receiver.id,
                "tab_open": True,
                "units_held": taken,
                "assigned_at": now,
            }
        else:
            status = next_status(facts.status, Event.REQUEUE)
            values = {"owner_id": None, "tab_open": False, "units_held": 0}
        # The line first, while the session is still the sender's (on a shared PostgreSQL,
        # an agent's role writes lines only into its own sessions).
        line = transfer_line(sender, receiver.name if receiver else None, actor.name)
        await conn.execute(
            insert(Message).values(
                session_id=session_id,
                author_kind=AuthorKind.SYSTEM.value,
                author="system",
                text=line,
                created_at=now,
                visible_to_customer=False,
            )
        )
        moved = await conn.execute(
            update(Session)
            .where(
                Session.id == session_id,
                Session.status == SessionStatus.ACTIVE.value,
                Session.owner_id == sender_id,
            )
            .values(status=status.value, version=Session.version + 1, **values)
        )
        if moved.rowcount != 1:  # the row is locked: only a bug gets here
            raise RuntimeError(f"expected to transfer {label}, moved {moved.rowcount} rows")
        if row.units_held:
            await conn.execute(
                update(Agent)
                .where(Agent.id == sender_id)
                .values(used_units=Agent.used_units - row.units_held)
            )
        if receiver is not None and taken:
            reserved = await conn.execute(
                update(Agent)
                .where(Agent.id == receiver.id, Agent.used_units + taken <= Agent.capacity)
                .values(used_units=Agent.used_units + taken)
            )
            if reserved.rowcount != 1:  # locked and checked above: only a bug gets here
                raise RuntimeError(f"expected {receiver.name} to have room for {taken} units")
        concerned = [(session_id, sender_id)]
        if receiver is not None:
            concerned.append((session_id, receiver.id))
        await q.record_changes(conn, now, "transferred", concerned)
        await record_audit(conn, now, actor.name, "transfer", label, line)
        used = dict(
            (
                await conn.execute(
                    select(Agent.id, Agent.used_units).where(
                        Agent.id.in_([a for _, a in concerned])
                    )
                )
            ).all()
        )
        sender_capacity = int(
            await conn.scalar(select(Agent.capacity).where(Agent.id == sender_id)) or 0
        )
    log.info("%s transferred by %s: %s", label, actor.name, line)
    return TransferResult(
        session_id=session_id,
        sender=sender,
        receiver=receiver.name if receiver is not None else None,
        status=status,
        units_freed=row.units_held,
        units_taken=taken,
        sender_used=int(used[sender_id]),
        sender_capacity=sender_capacity,
        receiver_used=int(used[receiver.id]) if receiver is not None else None,
        receiver_capacity=receiver.capacity if receiver is not None else None,
        line=line,
    )
