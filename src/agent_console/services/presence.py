"""Omni presence (R5) and logout (R6).

Going Offline under tab-based capacity sends each Active session back to Waiting (and routes it
to another rep); under status-based capacity the sessions stay Active with the same owner.
Logging out ends every ongoing session through the same end core as End Chat (R1/R9/R12).

A supervisor (an admin, ``by``) may do either to another agent, with a note the agent sees
(required for a logout); the agent's row keeps who and why (``presence_by``/``presence_note``)
until the agent changes their presence themself. The rule is the domain's
(:func:`~..domain.presence.presence_author`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.ending import Actor, csat_decision
from ..domain.errors import Refused
from ..domain.presence import (
    PresenceAuthor,
    check_away_reason,
    logout_end_reason,
    may_act_on,
    presence_author,
    presence_label,
)
from ..domain.vocab import (
    OWNED_STATUSES,
    ActorKind,
    AuthorKind,
    CapacityModel,
    Presence,
    SessionStatus,
    Surface,
)
from ..store import queries as q
from ..store.audit import record_audit
from ..store.models import Agent, Message, Session
from .context import Ctx
from .ending import end_core
from .routing import route
from .row_views import session_row as row_view
from .views import LogoutPreview, LogoutResult, PresenceEffect, PresenceResult
from .wording import REQUEUED, STAYS, STAYS_INACTIVE


def parse_presence(text: str) -> Presence:
    for p in Presence:
        if p.value.lower() == text.strip().lower():
            return p
    raise ValueError(f"unknown presence {text!r}; use online, busy or offline")


async def _owned_live(conn: AsyncConnection, agent_id: int, *, lock: bool = False) -> list[Any]:
    """The agent's Active and Inactive sessions; with ``lock``, locked (PostgreSQL) first.

    A writer must lock before it reads: a session another console ends in the meantime would
    otherwise be requeued from a stale row (a line after its end, units given back twice).
    """
    stmt = (
        q.session_select()
        .where(Session.owner_id == agent_id, Session.status.in_([s.value for s in OWNED_STATUSES]))
        .order_by(Session.id)
    )
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Session.__table__)
    return list((await conn.execute(stmt)).all())


def _effects(rows: list[Any], target: Presence) -> list[PresenceEffect]:
    if target is not Presence.OFFLINE:
        return []
    out = []
    for r in rows:
        if (
            r.capacity_model == CapacityModel.TAB_BASED.value
            and r.status == SessionStatus.ACTIVE.value
        ):
            out.append(PresenceEffect(r.id, REQUEUED))
        elif r.status == SessionStatus.INACTIVE.value:
            out.append(PresenceEffect(r.id, STAYS_INACTIVE))
        else:
            out.append(PresenceEffect(r.id, STAYS))
    return out


async def _hold_agent_and_sessions(
    conn: AsyncConnection, agent_name: str, *, with_open_tabs: bool = False
) -> tuple[Any, list[Any]]:
    """The agent held and its live sessions locked (PostgreSQL), without a deadlock.

    The agent is held FOR KEY SHARE: no router can give it more work meanwhile, yet an end
    that frees its units (sessions locked first, the agent after) never waits for us. Then
    its sessions are locked, in id order like every other writer; ``with_open_tabs`` also
    locks its ended sessions whose tab is still open (logout closes them).
    """
    agent = await q.agent_row(conn, agent_name, hold=True)
    if with_open_tabs and conn.dialect.name == "postgresql":
        live = Session.status.in_([s.value for s in OWNED_STATUSES])
        await conn.execute(  # one statement, so all of them in id order
            select(Session.id)
            .where(Session.owner_id == agent.id, or_(live, Session.tab_open.is_(True)))
            .order_by(Session.id)
            .with_for_update()
        )
    return agent, await _owned_live(conn, agent.id, lock=True)


async def _author(
    conn: AsyncConnection, agent_name: str, by: str | None, note: str | None, *, logout: bool
) -> PresenceAuthor:
    """Who acts on ``agent_name``'s presence (see :func:`presence_author`); NotFound for an
    unknown supervisor."""
    by_is_admin = False
    if by is not None and by != agent_name:
        by_is_admin = bool((await q.agent_row(conn, by)).is_admin)
    return presence_author(agent_name, by, note, by_is_admin=by_is_admin, logout=logout)


async def set_presence(
    ctx: Ctx,
    agent_name: str,
    presence: Presence,
    *,
    reason: str | None = None,
    dry_run: bool = False,
    by: str | None = None,
    note: str | None = None,
) -> PresenceResult:
    """Go Online, Busy (with an optional away reason: "Away: Lunch") or Offline (R5).

    A reason the deployment does not offer (``presence.away_reasons``) is refused with the
    list of those it does. The time the presence began is kept while presence and reason stay
    the same, and restarts when either changes (or the agent logs back in).

    ``by``: the supervisor (an admin) setting another agent's presence, with an optional
    ``note``; both are stored with the presence (the agent's own change clears them).
    """
    async with ctx.db.write() if not dry_run else ctx.db.read() as conn:
        author = await _author(conn, agent_name, by, note, logout=False)
        if dry_run:
            agent = await q.agent_row(conn, agent_name)
            rows = await _owned_live(conn, agent.id)
        else:
            agent, rows = await _hold_agent_and_sessions(conn, agent_name)
        reason = check_away_reason(presence, reason, (await q.load_policy(conn)).away_reasons)
        now = ctx.now()  # once the rows are ours: see end_core
        effects = _effects(rows, presence)
        if dry_run:
            return PresenceResult(
                agent.name,
                agent.presence,
                presence.value,
                True,
                effects,
                reason_before=agent.away_reason,
                reason_after=reason,
                by=author.by,
                note=author.note,
            )
        requeue = [e.session_id for e in effects if e.effect == REQUEUED]
        if requeue:
            held = {r.id: r.units_held for r in rows}
            # The lines first, while the sessions are still the agent's (on a shared
            # PostgreSQL an agent's role writes lines only into its own sessions).
            await conn.execute(
                insert(Message),
                [
                    {
                        "session_id": sid,
                        "author_kind": AuthorKind.SYSTEM.value,
                        "author": "system",
                        "text": f"{agent.name} went offline; waiting for another rep",
                        "created_at": now,
                        "visible_to_customer": False,
                    }
                    for sid in requeue
                ],
            )
            result = await conn.execute(
                update(Session)
                .where(
                    Session.id.in_(requeue),
                    Session.status == SessionStatus.ACTIVE.value,
                    Session.owner_id == agent.id,
                )
                .values(
                    status=SessionStatus.WAITING.value,
                    owner_id=None,
                    tab_open=False,
                    units_held=0,
                    version=Session.version + 1,
                )
            )
            if result.rowcount != len(requeue):  # the rows are locked: only a bug gets here
                raise RuntimeError(
                    f"expected to requeue {len(requeue)} sessions, requeued {result.rowcount}"
                )
            await conn.execute(
                update(Agent)
                .where(Agent.id == agent.id)
                .values(used_units=Agent.used_units - sum(held[i] for i in requeue))
            )
        same = (
            agent.logged_in
            and agent.presence == presence.value
            and agent.away_reason == reason
            and agent.presence_since is not None
        )
        await conn.execute(
            update(Agent)
            .where(Agent.id == agent.id)
            .values(
                presence=presence.value,
                logged_in=True,
                away_reason=reason,
                presence_since=agent.presence_since if same else now,
                presence_by=author.by,
                presence_note=author.note,
            )
        )
        await q.record_changes(
            conn, now, "presence", [(None, agent.id), *((sid, agent.id) for sid in requeue)]
        )
        if author.by is not None:  # a supervisor's change: the audit keeps who, and the role
            detail = presence_label(presence.value, reason) + (
                f": {author.note}" if author.note else ""
            )
            await record_audit(conn, now, author.by, "presence", agent.name, detail)
        before = agent.presence
    rerouted = await route(ctx) if requeue or presence is Presence.ONLINE else []
    return PresenceResult(
        agent.name,
        before,
        presence.value,
        False,
        effects,
        rerouted,
        agent.away_reason,
        reason,
        by=author.by,
        note=author.note,
    )


async def logout_preview(ctx: Ctx, agent_name: str, *, by: str | None = None) -> LogoutPreview:
    """R6: the warning -- every ongoing session that logging out will end, and the tabs of
    ended sessions it will close. ``by``: a supervisor looking first (refused unless an
    admin, as the logout itself would be)."""
    async with ctx.db.read() as conn:
        if by is not None and by != agent_name:
            is_admin = bool((await q.agent_row(conn, by)).is_admin)
            may_act_on(agent_name, by, by_is_admin=is_admin, logout=True)
        agent = await q.agent_row(conn, agent_name)
        rows = await _owned_live(conn, agent.id)
        tabs = (
            await conn.execute(
                q.session_select()
                .where(
                    Session.owner_id == agent.id,
                    Session.status == SessionStatus.ENDED.value,
                    Session.tab_open.is_(True),
                )
                .order_by(Session.id)
            )
        ).all()
        policy = await q.load_policy(conn)
    actor = Actor(ActorKind.LOGOUT, agent.name, q.agent_facts(agent))
    return LogoutPreview(
        agent.name,
        [row_view(r) for r in rows],
        csat_decision(actor, policy).reason,
        logout_warning(
            len(rows),
            len(tabs),
            agent.used_units,
            who=agent.name if by is not None and by != agent_name else None,
        ),
        [row_view(t) for t in tabs],
    )


def logout_warning(sessions: int, tabs: int, used: int, *, who: str | None = None) -> str:
    """``Logging out ends 3 ongoing sessions and closes 1 tab of an ended session; all 4
    units you use are freed.`` -- or, told to a supervisor (``who``: the agent), ``Logging
    dana out ends … all 4 units dana uses are freed.``"""
    parts = []
    if sessions:
        parts.append(f"ends {sessions} ongoing session{'s' if sessions != 1 else ''}")
    if tabs:
        parts.append(f"closes {tabs} tab{'s' if tabs != 1 else ''} of "
                     f"{'an ended session' if tabs == 1 else 'ended sessions'}")  # fmt: skip
    if not parts:
        if who is not None:
            return f"{who} has no ongoing sessions or open tabs; logging them out ends nothing."
        return "You have no ongoing sessions or open tabs; logging out ends nothing."
    user = f"{who} uses" if who is not None else "you use"
    freed = (
        f"; the 1 unit {user} is freed" if used == 1
        else f"; all {used} units {user} are freed" if used
        else ""
    )  # fmt: skip
    lead = f"Logging {who} out " if who is not None else "Logging out "
    return lead + " and ".join(parts) + freed + "."


async def logout(
    ctx: Ctx,
    agent_name: str,
    *,
    confirmed: bool,
    by: str | None = None,
    note: str | None = None,
) -> LogoutResult:
    """End every ongoing session, close every tab, go Offline -- all in one transaction.

    ``by``: a supervisor (an admin) logging another agent out, with the ``note`` (required)
    the agent sees; the end records stay the logout's (actor: the agent) and their reason
    says ``logged out by sam: End of shift``.
    """
    if not confirmed:
        raise Refused(
            "logout ends every ongoing session: confirm it (--yes) or preview it (--dry-run)"
        )
    async with ctx.db.write() as conn:
        author = await _author(conn, agent_name, by, note, logout=True)
        agent, rows = await _hold_agent_and_sessions(conn, agent_name, with_open_tabs=True)
        facts = q.agent_facts(agent)
        now = ctx.now()
        policy = await q.load_policy(conn)
        actor = Actor(ActorKind.LOGOUT, agent.name, facts)
        results = await end_core(
            conn,
            actor,
            Surface.LOGOUT,
            [r.id for r in rows],
            policy,
            now,
            reason=logout_end_reason(author),
        )
        open_tabs = (
            await conn.execute(
                select(Session.id, Session.units_held).where(
                    Session.owner_id == agent.id, Session.tab_open.is_(True)
                )
            )
        ).all()
        freed = sum(t.units_held for t in open_tabs)
        if open_tabs:
            await conn.execute(
                update(Session)
                .where(Session.id == bindparam("sid"))
                .values(tab_open=False, units_held=0),
                [{"sid": t.id} for t in open_tabs],
            )
        await conn.execute(
            update(Agent)
            .where(Agent.id == agent.id)
            .values(
                presence=Presence.OFFLINE.value,
                logged_in=False,
                away_reason=None,
                # Logging out again (already logged out) is not a new presence: its time stays.
                presence_since=now if agent.logged_in else agent.presence_since,
                used_units=Agent.used_units - freed,
                presence_by=author.by,
                presence_note=author.note,
            )
        )
        await q.record_changes(
            conn, now, "logout", [(None, agent.id), *((t.id, agent.id) for t in open_tabs)]
        )
        if author.by is not None:
            await record_audit(conn, now, author.by, "logout", agent.name, author.note or "")
        used = int(await conn.scalar(select(Agent.used_units).where(Agent.id == agent.id)) or 0)
    # What the ends freed (status-based) and what closing the tabs freed (tab-based).
    return LogoutResult(
        agent.name,
        results,
        len(open_tabs),
        agent.used_units - used,
        used,
        agent.capacity,
        by=author.by,
        note=author.note,
    )
