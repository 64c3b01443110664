"""The one path that ends sessions (R1-R4, R8, R9, R11, R12).

End Chat, the row menu, bulk End Sessions, logout, timers, macros and triggers all call
:func:`end_core` inside their own transaction. It re-checks the rule for every session, then
writes set-wise: a conditional UPDATE, one end record per session (its primary key makes "ended
once" a database fact), the transcript line the customer sees, the CSAT request, the capacity
the session gives back, and the change feed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, case, insert, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.ending import Actor, Decision, SessionFacts, csat_decision, end_line, may_end
from ..domain.errors import NotFound
from ..domain.feed import ChangeKind
from ..domain.policy import Policy
from ..domain.vocab import (
    ActorKind,
    AuthorKind,
    CapacityModel,
    SessionStatus,
    Surface,
    session_label,
)
from ..store import queries as q
from ..store.models import Agent, Change, CsatRequest, EndRecord, Message, Session
from ..store.rows import EndingRecord, SessionRecord
from . import outbox
from .context import Ctx
from .views import EndOutcome, EndResult

TAB_NOTE = "close the tab to free capacity"
log = logging.getLogger(__name__)


def _ended_reason(row: EndingRecord) -> str:
    return _ended_reason_of(row.capacity_model, row.units_held)


@lru_cache(maxsize=64)
def _ended_reason_of(capacity_model: str, units_held: int) -> str:
    plural = "s" if units_held != 1 else ""
    if capacity_model == CapacityModel.TAB_BASED.value and units_held > 0:
        return f"ended; {TAB_NOTE} ({units_held} unit{plural} held)"
    if units_held > 0:
        return f"ended; {units_held} unit{plural} freed"
    return "ended"


async def end_core(
    conn: AsyncConnection,
    actor: Actor,
    surface: Surface,
    session_ids: Sequence[int],
    policy: Policy,
    now: datetime | Callable[[], datetime],
    *,
    bulk_id: int | None = None,
    reason: str = "",
) -> list[EndResult]:
    """End what may be ended among ``session_ids``; one result per id, in the given order.

    ``now`` is the moment of the end, or a clock read once the sessions are locked: an end
    stamped before it held its rows could precede a message another writer committed first.
    """
    ids = list(dict.fromkeys(session_ids))
    await q.lock_sessions(conn, ids)
    if callable(now):
        now = now()
    facts = await q.end_facts(conn, ids)
    csat = csat_decision(actor, policy)

    results: dict[int, EndResult] = {}
    to_end: list[Any] = []
    for sid in ids:
        found = facts.get(sid)
        if found is None:
            results[sid] = EndResult(sid, EndOutcome.SKIPPED, f"no session {session_label(sid)}")
            continue
        session, row = found
        decision: Decision = may_end(actor, session, surface, policy)
        if not decision.allowed:
            results[sid] = EndResult(sid, EndOutcome.SKIPPED, decision.reason)
            continue
        to_end.append(row)
        results[sid] = EndResult(sid, EndOutcome.ENDED, _ended_reason(row))

    if to_end:
        await _write_ends(
            conn, actor, surface, to_end, csat.allowed, now, bulk_id, reason, policy.zone
        )
    if log.isEnabledFor(logging.INFO):  # a bulk end has thousands: build nothing otherwise
        who = actor.describe()
        for sid in ids:
            r = results[sid]
            level = logging.INFO if r.result is EndOutcome.ENDED else logging.DEBUG
            log.log(level, "%s %s by %s from %s: %s", session_label(sid), r.result, who,
                    surface.label, r.reason)  # fmt: skip
    return [results[sid] for sid in ids]


async def _write_ends(
    conn: AsyncConnection,
    actor: Actor,
    surface: Surface,
    rows: list[Any],
    send_csat: bool,
    now: datetime,
    bulk_id: int | None,
    reason: str,
    tz: tzinfo,
) -> None:
    ids = [r.id for r in rows]
    status_based = CapacityModel.STATUS_BASED.value
    result = await conn.execute(
        update(Session)
        .where(q.in_ids(conn, Session.id, ids), Session.status != SessionStatus.ENDED.value)
        .values(
            status=SessionStatus.ENDED.value,
            ended_at=now,
            customer_waiting_since=None,  # an ended session keeps nobody waiting
            units_held=case((Session.capacity_model == status_based, 0), else_=Session.units_held),
            version=Session.version + 1,
        )
    )
    if result.rowcount != len(ids):  # the rows are locked: this cannot happen unless a bug does
        raise RuntimeError(
            f"expected to end {len(ids)} sessions, the database ended {result.rowcount}"
        )
    # R7 timers die with the session. A separate statement, so sessions without one (nearly
    # all of a bulk end) leave the auto_end_at index alone.
    await conn.execute(
        update(Session)
        .where(q.in_ids(conn, Session.id, ids), Session.auto_end_at.is_not(None))
        .values(auto_end_at=None)
    )

    freed: dict[int, int] = defaultdict(int)
    for r in rows:
        if r.capacity_model == status_based and r.units_held and r.owner_id is not None:
            freed[r.owner_id] += r.units_held
    if freed:
        await conn.execute(
            update(Agent)
            .where(Agent.id == bindparam("aid"))
            .values(used_units=Agent.used_units - bindparam("units")),
            [{"aid": a, "units": u} for a, u in freed.items()],
        )

    # One INSERT ... SELECT per table: no per-row parameters, no per-row Python.
    agent_id = actor.agent.id if actor.agent else None
    chosen = q.in_ids(conn, Session.id, ids)
    await conn.execute(
        insert(EndRecord).from_select(
            ["session_id", "actor_kind", "actor", "agent_id", "surface", "reason", "at", "bulk_id"],
            select(
                Session.id,
                literal(actor.kind.value),
                literal(actor.name),
                literal(agent_id, EndRecord.agent_id.type),
                literal(surface.value),
                literal(reason),
                literal(now, EndRecord.at.type),
                literal(bulk_id, EndRecord.bulk_id.type),
            )
            .where(chosen)
            .order_by(Session.id),
        )
    )
    await conn.execute(
        insert(Message).from_select(
            ["session_id", "author_kind", "author", "text", "created_at", "visible_to_customer"],
            select(
                Session.id,
                literal(AuthorKind.SYSTEM.value),
                literal("system"),
                literal(end_line(actor, now, tz)),
                literal(now, Message.created_at.type),
                true(),
            )
            .where(chosen)
            .order_by(Session.id),
        )
    )
    # Events for the channels' webhooks, when any of these sessions' channels is connected.
    to_channels = bool({r.channel for r in rows} & await outbox.connected_channels(conn))
    if to_channels:
        await outbox.enqueue_ends(conn, chosen, now)
    if send_csat:
        await conn.execute(
            insert(CsatRequest).from_select(
                ["session_id", "customer_id", "requested_at", "requested_by"],
                select(
                    Session.id,
                    Session.customer_id,
                    literal(now, CsatRequest.requested_at.type),
                    literal(actor.describe()),
                )
                .where(chosen)
                .order_by(Session.id),
            )
        )
        if to_channels:
            await outbox.enqueue_csat(conn, chosen, now)
    q.record_selected_changes(
        conn,
        ChangeKind.ENDED,
        select(
            literal(now, Change.at.type),
            literal(ChangeKind.ENDED.value),
            Session.id,
            Session.owner_id,
        )
        .where(chosen)
        .order_by(Session.id),
    )


async def actor_for_agent(conn: AsyncConnection, agent_name: str) -> Actor:
    return Actor.of_agent(q.agent_facts(await q.agent_row(conn, agent_name)))


async def end_session(
    ctx: Ctx, agent_name: str, session_id: int, surface: Surface = Surface.CONVERSATION
) -> EndResult:
    """An agent ends one session from the conversation (End Chat) or the list row menu."""
    results = await end_sessions(ctx, agent_name, [session_id], surface)
    return results[0]


async def end_sessions(
    ctx: Ctx, agent_name: str, session_ids: Sequence[int], surface: Surface
) -> list[EndResult]:
    """An agent ends the given sessions in one transaction (few rows; see bulk.operation)."""
    async with ctx.db.write() as conn:
        actor = await actor_for_agent(conn, agent_name)
        policy = await q.load_policy(conn)
        return await end_core(conn, actor, surface, session_ids, policy, ctx.now)


async def preview_end(
    ctx: Ctx, agent_name: str, session_ids: Sequence[int], surface: Surface
) -> list[EndResult]:
    """What :func:`end_sessions` would do, without writing (results say "ended" = would end)."""
    async with ctx.db.read() as conn:
        actor = await actor_for_agent(conn, agent_name)
        policy = await q.load_policy(conn)
        facts = await q.session_facts(conn, session_ids)
    out = []
    for sid in session_ids:
        if sid not in facts:
            out.append(EndResult(sid, EndOutcome.SKIPPED, f"no session {session_label(sid)}"))
            continue
        decision = may_end(actor, facts[sid][0], surface, policy)
        out.append(
            EndResult(
                sid,
                EndOutcome.ENDED if decision.allowed else EndOutcome.SKIPPED,
                decision.reason,
            )
        )
    return out


async def require_session(
    conn: AsyncConnection, session_id: int
) -> tuple[SessionFacts, SessionRecord]:
    facts = await q.session_facts(conn, [session_id])
    if session_id not in facts:
        raise NotFound(f"no session {session_label(session_id)}")
    return facts[session_id]


__all__ = ["TAB_NOTE", "ActorKind", "end_core", "end_session", "end_sessions", "preview_end"]
