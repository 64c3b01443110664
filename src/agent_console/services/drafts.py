"""Composer drafts: an agent's unsent reply per session, kept in the database.

The console saves the draft a moment after the agent stops typing, loads it when the session is
opened again (after a crash too), and the send path clears it in the same transaction as the
message it commits -- so a send that fails keeps the draft. The text is stored exactly as typed;
only what no database column can hold (NUL, lone surrogates) is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..store import queries as q
from ..store.models import Draft
from .context import Ctx
from .ending import require_session

#: The longest draft kept (the same bound as a message).
MAX_DRAFT_CHARS = 2_000_000


def check_draft_text(text: str) -> str:
    """``text`` if a database can store it unchanged; ValueError with the reason if not."""
    if len(text) > MAX_DRAFT_CHARS:
        raise ValueError(f"draft too long: {len(text)} characters (limit {MAX_DRAFT_CHARS})")
    if "\x00" in text:
        raise ValueError("a draft cannot hold the NUL character (U+0000)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"a draft must be valid Unicode text: {exc.object[exc.start]!r} at {exc.start}"
        ) from None
    return text


async def clear_in(conn: AsyncConnection, agent_id: int, session_id: int) -> None:
    """Remove the draft inside the caller's transaction (the send path uses this)."""
    await conn.execute(
        delete(Draft).where(Draft.agent_id == agent_id, Draft.session_id == session_id)
    )


async def _upsert(
    conn: AsyncConnection, agent_id: int, session_id: int, text: str, now: datetime
) -> None:
    values = {"agent_id": agent_id, "session_id": session_id, "text": text, "updated_at": now}
    stmt = q.dialect_insert(conn)(Draft).values(**values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[Draft.agent_id, Draft.session_id],
            set_={"text": stmt.excluded.text, "updated_at": stmt.excluded.updated_at},
        )
    )


async def save_draft(ctx: Ctx, agent_name: str, session_id: int, text: str) -> None:
    """Keep ``text`` as the agent's draft for the session; an empty text removes the draft."""
    check_draft_text(text)
    now = ctx.now()
    async with ctx.db.write() as conn:
        agent = await q.agent_row(conn, agent_name)
        await require_session(conn, session_id)
        if text:
            await _upsert(conn, agent.id, session_id, text, now)
        else:
            await clear_in(conn, agent.id, session_id)


async def load_draft(ctx: Ctx, agent_name: str, session_id: int) -> str:
    """The agent's draft for the session, or "" when there is none."""
    async with ctx.db.read() as conn:
        agent = await q.agent_row(conn, agent_name)
        found = await conn.scalar(
            select(Draft.text).where(Draft.agent_id == agent.id, Draft.session_id == session_id)
        )
    return found or ""


async def clear_draft(ctx: Ctx, agent_name: str, session_id: int) -> None:
    async with ctx.db.write() as conn:
        agent = await q.agent_row(conn, agent_name)
        await clear_in(conn, agent.id, session_id)
