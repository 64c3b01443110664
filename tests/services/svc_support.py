"""Shared set-up and assertions for the service-layer rule tests (R1-R12).

Imported by the ``test_svc_*`` modules of this folder (pytest puts the folder on ``sys.path``).
Everything here goes through the services, never through SQL, so the tests read the database
the way the product does (``statements`` only counts what the services send).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import event

from agent_console.domain.vocab import Presence
from agent_console.services import (
    agents,
    capacity,
    check,
    conversations,
    listing,
    presence,
    routing,
    settings,
)
from agent_console.services.context import Ctx
from agent_console.services.views import ActionId, MessageView, SessionDetail

ALL = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")
EC = ("enhanced_chat_user", "enhanced_chat_rep")
MSG = ("messaging_agent",)
LIST = ("end_messaging_session",)

STANDARD = "standard_sms"
STANDARD_FB = "standard_facebook_messenger"
ENHANCED_MSG = "enhanced_whatsapp"
ENHANCED_CHAT = "enhanced_web_chat_v2"

ENDED_PREFIX = "Session ended by "
SETTING_OFF = "agents may not end sessions: setting is off"
INACTIVE_LIST = "Inactive sessions cannot be ended from the list under status-based capacity"
ROW_STANDARD_ONLY = "row End Session is for standard channels only"
ADMIN = "root"


async def add(
    ctx: Ctx,
    name: str,
    perms: tuple[str, ...] | list[str] = ALL,
    *,
    capacity_: int = 5,
    admin: bool = False,
    online: bool = True,
) -> None:
    """An agent; Online (logged in, routable) unless ``online`` is False."""
    await agents.add_agent(ctx, name, capacity=capacity_, permissions=perms, is_admin=admin)
    if online:
        await presence.set_presence(ctx, name, Presence.ONLINE)


async def admin(ctx: Ctx) -> str:
    """The admin who changes settings (Offline, so routing never gives them work)."""
    await agents.add_agent(ctx, ADMIN, permissions=ALL, is_admin=True)
    return ADMIN


async def setting(ctx: Ctx, key: str, value: str) -> None:
    await settings.set_setting(ctx, key, value, admin=ADMIN)


async def assigned(ctx: Ctx, agent: str, channel: str, customer: str = "cara") -> int:
    """A customer writes in and routing gives the session to ``agent`` (and only that)."""
    r = await conversations.inbound(ctx, customer, channel, f"hello from {customer}")
    assert r.new_session and r.status == "Waiting"
    got = await routing.route(ctx)
    assert [(a.session_id, a.agent) for a in got] == [(r.session_id, agent)]
    return r.session_id


async def owned_despite(ctx: Ctx, agent: str, channel: str, perms: tuple[str, ...]) -> int:
    """A session owned by ``agent`` who then loses ``perms`` (routing needs them first)."""
    await agents.set_agent(ctx, agent, grant=perms)
    sid = await assigned(ctx, agent, channel)
    await agents.set_agent(ctx, agent, revoke=perms)
    return sid


async def show(ctx: Ctx, sid: int, as_agent: str | None = None) -> SessionDetail:
    return await listing.show_session(ctx, sid, as_agent=as_agent)


def end_lines(detail: SessionDetail) -> list[MessageView]:
    return [
        m for m in detail.messages if m.author_kind == "system" and m.text.startswith(ENDED_PREFIX)
    ]


def action(detail: SessionDetail, action: ActionId) -> tuple[bool, str]:
    for a in detail.actions:
        if a.id is action:
            return a.allowed, a.reason
    raise AssertionError(f"no action {action!r} in {[a.id for a in detail.actions]}")


def hhmm(at: datetime) -> str:
    return at.strftime("%H:%M")


async def assert_not_ended(
    ctx: Ctx, sid: int, *, status: str = "Active", owner: str | None = None
) -> SessionDetail:
    """A refused end changed nothing: same status (and owner), no end record, no end line."""
    d = await show(ctx, sid)
    assert d.session.status == status
    if owner is not None:
        assert d.session.owner == owner
    assert d.end is None
    assert end_lines(d) == []
    assert d.csat_requests == []
    return d


async def assert_ended_once(
    ctx: Ctx,
    sid: int,
    *,
    actor_kind: str,
    actor: str,
    surface: str,
    at: datetime,
    line: str,
    bulk_id: int | None = None,
) -> SessionDetail:
    """R12: one end record (who/when/where) and exactly one system line the customer sees."""
    d = await show(ctx, sid)
    assert d.session.status == "Ended"
    assert d.session.ended_at == at
    assert d.end is not None
    assert (d.end.actor_kind, d.end.actor, d.end.surface, d.end.at, d.end.bulk_id) == (
        actor_kind,
        actor,
        surface,
        at,
        bulk_id,
    )
    lines = end_lines(d)
    assert [(m.text, m.visible_to_customer, m.author, m.at) for m in lines] == [
        (line, True, "system", at)
    ]
    return d


async def used(ctx: Ctx, agent: str) -> int:
    """Units the agent's capacity meter shows, checked against the ledger's items."""
    led = await capacity.ledger(ctx, agent)
    assert led.used == sum(i.units for i in led.items)
    return led.used


async def ledger_ids(ctx: Ctx, agent: str) -> list[int]:
    return [i.session_id for i in (await capacity.ledger(ctx, agent)).items]


async def consistent(ctx: Ctx) -> None:
    assert await check.check(ctx) == []


async def statuses(ctx: Ctx, *sids: int) -> list[str]:
    return [(await show(ctx, s)).session.status for s in sids]


@contextmanager
def statements(ctx: Ctx) -> Iterator[list[str]]:
    """Every SQL statement the engine sends meanwhile (SQLite's BEGIN left out)."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
