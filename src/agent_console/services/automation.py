"""Macros and triggers that can end sessions (R10).

A macro bundles steps an agent would otherwise do one by one; "Escalate to Tier 2" adds an
internal note, transfers the case to Tier 2 and ends the messaging session. A trigger runs on
an event; "End messaging session when escalated" ends the session when a case is escalated, so
an agent need not remember to. Every end goes through :func:`end_core` (R11 per-step results).
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.ending import Actor
from ..domain.errors import NotFound, Refused
from ..domain.text import unstorable
from ..domain.vocab import ActorKind, AuthorKind, SessionStatus, Surface, session_label
from ..store import queries as q
from ..store.models import Macro, Message, Session, Trigger
from .context import Ctx
from .ending import end_core, require_session
from .views import EndOutcome, EndResult, MacroResult, StepOutcome, StepResult

log = logging.getLogger(__name__)
ESCALATE = "Escalate to Tier 2"
END_WHEN_ESCALATED = "End messaging session when escalated"
STEPS = ("note", "transfer", "end")
EVENTS = ("escalated",)

DEFAULT_MACROS = [
    {
        "name": ESCALATE,
        "description": "Add a note, transfer the case to Tier 2, end the session",
        "steps": [
            {"step": "note", "text": "Escalated to Tier 2"},
            {"step": "transfer", "queue": "Tier 2"},
            {"step": "end"},
        ],
    },
    {
        "name": "Resolve and close",
        "description": "Add a resolution note and end the session",
        "steps": [{"step": "note", "text": "Resolved"}, {"step": "end"}],
    },
]
DEFAULT_TRIGGERS = [{"name": END_WHEN_ESCALATED, "event": "escalated", "action": "end_session"}]


async def ensure_defaults(conn: AsyncConnection) -> None:
    """Ship the default macros and triggers (idempotent; called after the schema is created)."""
    have = set((await conn.scalars(select(Macro.name))).all())
    for m in DEFAULT_MACROS:
        if m["name"] not in have:
            await conn.execute(
                insert(Macro).values(
                    name=m["name"], description=m["description"], steps=json.dumps(m["steps"])
                )
            )
    have = set((await conn.scalars(select(Trigger.name))).all())
    for t in DEFAULT_TRIGGERS:
        if t["name"] not in have:
            await conn.execute(
                insert(Trigger).values(
                    name=t["name"], event=t["event"], action=t["action"], enabled=True
                )
            )


async def list_macros(ctx: Ctx) -> list[tuple[str, str]]:
    async with ctx.db.read() as conn:
        return [
            (m.name, m.description)
            for m in (await conn.execute(select(Macro).order_by(Macro.name))).all()
        ]


async def list_triggers(ctx: Ctx) -> list[tuple[str, str, bool]]:
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(Trigger).order_by(Trigger.name))).all()
    return [(t.name, t.event, bool(t.enabled)) for t in rows]


async def set_trigger_enabled(ctx: Ctx, name: str, enabled: bool, *, admin: str) -> None:
    from .agents import require_admin

    async with ctx.db.write() as conn:
        await require_admin(conn, admin)
        result = await conn.execute(
            update(Trigger).where(Trigger.name == name).values(enabled=enabled)
        )
        if result.rowcount == 0:
            raise NotFound(f"unknown trigger {name!r}")


async def _fire(conn: AsyncConnection, event: str, session_id: int, now: object) -> list[EndResult]:
    triggers = (
        await conn.execute(
            select(Trigger)
            .where(Trigger.event == event, Trigger.enabled.is_(True))
            .order_by(Trigger.id)
        )
    ).all()
    out: list[EndResult] = []
    policy = await q.load_policy(conn)
    for t in triggers:
        if t.action == "end_session":
            actor = Actor(ActorKind.TRIGGER, t.name)
            out.extend(
                await end_core(
                    conn,
                    actor,
                    Surface.TRIGGER,
                    [session_id],
                    policy,
                    now,  # type: ignore[arg-type]
                    reason=f"event {event}",
                )
            )
    return out


async def fire_trigger(ctx: Ctx, event: str, session_id: int) -> list[EndResult]:
    """An event from outside (e.g. the ticketing system escalated the case)."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}; events are: {', '.join(EVENTS)}")
    async with ctx.db.write() as conn:
        await q.lock_sessions(conn, [session_id])
        await require_session(conn, session_id)
        return await _fire(conn, event, session_id, ctx.now())


async def run_macro(
    ctx: Ctx, macro_name: str, session_id: int, *, as_agent: str | None
) -> MacroResult:
    """Run a macro's steps in one transaction; each step reports done or skipped with why."""
    async with ctx.db.write() as conn:
        macro = None
        if unstorable(macro_name) is None:  # else no macro can have that name
            macro = (await conn.execute(select(Macro).where(Macro.name == macro_name))).first()
        if macro is None:
            names = ", ".join((await conn.scalars(select(Macro.name))).all())
            raise NotFound(f"unknown macro {macro_name!r}; macros are: {names}")
        agent = q.agent_facts(await q.agent_row(conn, as_agent)) if as_agent else None
        await q.lock_sessions(conn, [session_id])
        now = ctx.now()  # once the session is ours: see end_core
        facts, row = await require_session(conn, session_id)
        if agent is not None and facts.owner_id != agent.id and not agent.is_admin:
            raise Refused(
                f"not the owner: {session_label(session_id)} "
                f"is owned by {facts.owner_name or 'nobody'}"
            )
        actor = Actor(ActorKind.MACRO, macro.name, agent)
        who = agent.name if agent else "the system"
        policy = await q.load_policy(conn)
        steps: list[StepResult] = []
        events: list[str] = []
        for step in json.loads(macro.steps):
            kind = step["step"]
            if facts.status is SessionStatus.ENDED and kind != "end":
                steps.append(StepResult(kind, StepOutcome.SKIPPED, "the session has ended"))
                continue
            if kind == "note":
                await conn.execute(
                    insert(Message).values(
                        session_id=session_id,
                        author_kind=AuthorKind.SYSTEM.value,
                        author=who,
                        text=f"Note by {who}: {step.get('text', '')}",
                        created_at=now,
                        visible_to_customer=False,
                    )
                )
                steps.append(StepResult("note", StepOutcome.DONE, "internal note added"))
            elif kind == "transfer":
                queue = step.get("queue", "Tier 2")
                await conn.execute(
                    update(Session).where(Session.id == session_id).values(escalated_to=queue)
                )
                await conn.execute(
                    insert(Message).values(
                        session_id=session_id,
                        author_kind=AuthorKind.SYSTEM.value,
                        author=who,
                        text=f"Case transferred to {queue} by {who}",
                        created_at=now,
                        visible_to_customer=False,
                    )
                )
                steps.append(
                    StepResult("transfer", StepOutcome.DONE, f"case transferred to {queue}")
                )
                events.append("escalated")
            elif kind == "end":
                [res] = await end_core(
                    conn,
                    actor,
                    Surface.MACRO,
                    [session_id],
                    policy,
                    now,
                    reason=f"macro {macro.name}",
                )
                steps.append(
                    StepResult(
                        "end",
                        StepOutcome.DONE if res.result is EndOutcome.ENDED else StepOutcome.SKIPPED,
                        res.reason,
                    )
                )
            else:
                steps.append(StepResult(kind, StepOutcome.SKIPPED, f"unknown step {kind!r}"))
        fired: list[EndResult] = []
        for event in events:
            fired.extend(await _fire(conn, event, session_id, now))
        await q.record_changes(conn, now, "macro", [(session_id, row.owner_id)])
    log.info("macro %s run on %s by %s: %s", macro.name, session_label(session_id), who,
             ", ".join(f"{s.step} {s.result}" for s in steps))  # fmt: skip
    return MacroResult(macro.name, session_id, steps, fired)
