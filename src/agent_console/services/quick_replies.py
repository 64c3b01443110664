"""Quick replies: canned texts with placeholders; every agent reads them, only admins write.

The template rules (placeholders, ``{{`` escapes, what is refused and why) are
``domain.quick_replies``; here they are checked again on every write, the admin is checked in
the writing transaction, and names are unique ignoring case (``Greeting`` and ``greeting``
would be one entry to a person picking from a list).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.errors import NotFound, Refused
from ..domain.quick_replies import Placeholder, check_name, check_template, parse_template, render
from ..domain.text import unstorable
from ..store import queries as q
from ..store.models import QuickReply
from .agents import require_admin
from .context import Ctx
from .ending import require_session
from .views import QuickReplyView

log = logging.getLogger(__name__)
DOING = "edit quick replies"


def _view(row: Any) -> QuickReplyView:
    names = [s.name for s in parse_template(row.text) if isinstance(s, Placeholder)]
    return QuickReplyView(
        id=row.id,
        name=row.name,
        text=row.text,
        placeholders=list(dict.fromkeys(names)),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


async def _row(conn: AsyncConnection, name: str) -> Any:
    """The quick reply called ``name`` (exactly, else the one that differs only in case)."""
    if unstorable(name) is None:
        row = (await conn.execute(select(QuickReply).where(QuickReply.name == name))).first()
        if row is not None:
            return row
        rows = (
            await conn.execute(
                select(QuickReply).where(func.lower(QuickReply.name) == name.strip().lower())
            )
        ).all()
        if len(rows) == 1:
            return rows[0]
    raise NotFound(f"unknown quick reply {name!r}")


async def _refuse_taken(conn: AsyncConnection, name: str, *, but: int | None = None) -> None:
    stmt = select(QuickReply.name).where(func.lower(QuickReply.name) == name.lower())
    if but is not None:
        stmt = stmt.where(QuickReply.id != but)
    taken = await conn.scalar(stmt)
    if taken is not None:
        raise Refused(f"a quick reply named {taken!r} already exists")


async def list_quick_replies(ctx: Ctx) -> list[QuickReplyView]:
    """Every quick reply, by name."""
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(QuickReply).order_by(QuickReply.name))).all()
    return [_view(r) for r in rows]


async def get_quick_reply(ctx: Ctx, name: str) -> QuickReplyView:
    async with ctx.db.read() as conn:
        return _view(await _row(conn, name))


async def add_quick_reply(ctx: Ctx, name: str, text: str, *, admin: str) -> QuickReplyView:
    """An admin adds a quick reply; an unknown placeholder or a taken name is refused."""
    name = check_name(name)
    check_template(text)
    try:
        async with ctx.db.write() as conn:
            now = ctx.now()
            await require_admin(conn, admin, doing=DOING)
            await _refuse_taken(conn, name)
            await conn.execute(
                insert(QuickReply).values(
                    name=name, text=text, created_at=now, updated_at=now, updated_by=admin
                )
            )
            row = await _row(conn, name)
            await q.record_changes(conn, now, "quick_reply", [(None, None)])
    except IntegrityError:  # added by someone else since the check
        raise Refused(f"a quick reply named {name!r} already exists") from None
    log.info("quick reply %r added by %s", name, admin)
    return _view(row)


async def edit_quick_reply(
    ctx: Ctx, name: str, *, admin: str, new_name: str | None = None, text: str | None = None
) -> QuickReplyView:
    """An admin renames a quick reply and/or changes its text."""
    if new_name is not None:
        new_name = check_name(new_name)
    if text is not None:
        check_template(text)
    try:
        async with ctx.db.write() as conn:
            now = ctx.now()
            await require_admin(conn, admin, doing=DOING)
            row = await _row(conn, name)
            values: dict[str, object] = {"updated_at": now, "updated_by": admin}
            if new_name is not None and new_name != row.name:
                await _refuse_taken(conn, new_name, but=row.id)
                values["name"] = new_name
            if text is not None:
                values["text"] = text
            await conn.execute(update(QuickReply).where(QuickReply.id == row.id).values(**values))
            row = (await conn.execute(select(QuickReply).where(QuickReply.id == row.id))).one()
            await q.record_changes(conn, now, "quick_reply", [(None, None)])
    except IntegrityError:
        raise Refused(f"a quick reply named {new_name!r} already exists") from None
    log.info("quick reply %r edited by %s", row.name, admin)
    return _view(row)


async def remove_quick_reply(ctx: Ctx, name: str, *, admin: str) -> QuickReplyView:
    """An admin removes a quick reply; returns what it was."""
    async with ctx.db.write() as conn:
        await require_admin(conn, admin, doing=DOING)
        row = await _row(conn, name)
        await conn.execute(delete(QuickReply).where(QuickReply.id == row.id))
        await q.record_changes(conn, ctx.now(), "quick_reply", [(None, None)])
    log.info("quick reply %r removed by %s", row.name, admin)
    return _view(row)


async def placeholder_values(ctx: Ctx, session_id: int, agent: str) -> dict[str, str]:
    """What each placeholder is filled with for ``agent`` in ``session_id``."""
    async with ctx.db.read() as conn:
        me = await q.agent_row(conn, agent)
        facts, row = await require_session(conn, session_id)
    return {"customer": row.customer_name, "agent": me.name, "channel": facts.channel.name}


async def fill_quick_reply(ctx: Ctx, name: str, session_id: int, agent: str) -> str:
    """The quick reply's text with its placeholders filled for this session and agent."""
    reply = await get_quick_reply(ctx, name)
    return render(reply.text, await placeholder_values(ctx, session_id, agent))


__all__ = [
    "add_quick_reply",
    "edit_quick_reply",
    "fill_quick_reply",
    "get_quick_reply",
    "list_quick_replies",
    "placeholder_values",
    "remove_quick_reply",
]
