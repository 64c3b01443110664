"""Read markers: how far each agent has read each session, and what needs them.

The console marks a session read up to the newest message it had on screen when the agent
has it open (:func:`mark_read`); the marker only moves forward. :func:`session_needs` answers,
for the agent's sessions, the unread customer messages, the newest customer line and whether
the customer is the one waiting, in a few grouped queries (no per-session round trip).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.vocab import AuthorKind, SessionStatus
from ..store import queries as q
from ..store.models import EndRecord, Message, ReadMarker
from ..store.prebuilt import ids_in, ids_value, per_dialect
from .context import Ctx
from .ending import require_session
from .row_views import newest_customer_lines, session_needs_from_rows
from .tab_windows import LAST_LINE_CHARS
from .views import SessionNeeds, SessionRow


async def mark_read(
    ctx: Ctx, agent_name: str, session_id: int, upto_message_id: int | None = None
) -> int:
    """Mark the session read by the agent up to ``upto_message_id`` (None: its newest
    message). A marker never moves back. Returns the marker as stored."""
    async with ctx.db.write() as conn:
        agent = await q.agent_row(conn, agent_name)
        await require_session(conn, session_id)
        newest = await conn.scalar(
            select(func.max(Message.id)).where(Message.session_id == session_id)
        )
        upto = int(newest or 0) if upto_message_id is None else min(upto_message_id, newest or 0)
        await _upsert(conn, agent.id, session_id, upto, ctx.now())
        stored = await conn.scalar(
            select(ReadMarker.last_read_message_id).where(
                ReadMarker.agent_id == agent.id, ReadMarker.session_id == session_id
            )
        )
    return int(stored or 0)


async def _upsert(
    conn: AsyncConnection, agent_id: int, session_id: int, upto: int, now: Any
) -> None:
    stmt = q.dialect_insert(conn)(ReadMarker).values(
        agent_id=agent_id, session_id=session_id, last_read_message_id=upto, read_at=now
    )
    forward = stmt.excluded.last_read_message_id > ReadMarker.last_read_message_id
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[ReadMarker.agent_id, ReadMarker.session_id],
            set_={
                "last_read_message_id": case(
                    (forward, stmt.excluded.last_read_message_id),
                    else_=ReadMarker.last_read_message_id,
                ),
                "read_at": case((forward, stmt.excluded.read_at), else_=ReadMarker.read_at),
            },
        )
    )


async def read_marker(ctx: Ctx, agent_name: str, session_id: int) -> int:
    """The newest message id the agent has read in the session (0: none)."""
    async with ctx.db.read() as conn:
        agent = await q.agent_row(conn, agent_name)
        found = await conn.scalar(
            select(ReadMarker.last_read_message_id).where(
                ReadMarker.agent_id == agent.id, ReadMarker.session_id == session_id
            )
        )
    return int(found or 0)


async def session_needs(
    ctx: Ctx,
    agent_name: str,
    session_ids: Sequence[int],
    *,
    ended: Collection[int] | None = None,
) -> dict[int, SessionNeeds]:
    """What each of ``session_ids`` asks of the agent (every id gets an entry).

    ``ended``: which of them the caller has just read as Ended, when it has: only those can
    have an end record, so the end records are read for those alone (none: no statement, one
    round trip fewer per refresh). A session that ends after the caller's read shows as the
    caller's row does, live, until the refresh its end brings."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    async with ctx.db.read() as conn:
        agent = await q.agent_row(conn, agent_name)
        return await _needs(conn, agent.id, ids, ended)


async def needs_of_rows(
    ctx: Ctx, agent_name: str, rows: Sequence[SessionRow]
) -> dict[int, SessionNeeds]:
    """:func:`session_needs` of sessions the caller has just read: their statuses say which
    can have an end record."""
    ended = {row.id for row in rows if row.status is SessionStatus.ENDED}
    return await session_needs(ctx, agent_name, [row.id for row in rows], ended=ended)


@per_dialect
def _needs_statements(dialect: str) -> dict[str, Any]:
    """The three reads of :func:`_needs`: per session of ``ids``, the unread customer lines
    (after agent ``agent_id``'s read marker) and the newest customer and agent line; the head
    of messages ``line_ids``; the end records of ``ids``."""
    customer = AuthorKind.CUSTOMER.value
    is_customer = Message.author_kind == customer
    read_up_to = func.coalesce(ReadMarker.last_read_message_id, 0)
    counts = (
        select(
            Message.session_id,
            func.sum(case((and_(is_customer, Message.id > read_up_to), 1), else_=0)),
            func.max(case((is_customer, Message.id))),
            func.max(case((Message.author_kind == AuthorKind.AGENT.value, Message.id))),
        )
        .select_from(Message.__table__)
        .outerjoin(
            ReadMarker.__table__,
            and_(
                ReadMarker.agent_id == bindparam("agent_id"),
                ReadMarker.session_id == Message.session_id,
            ),
        )
        .where(
            ids_in(dialect, Message.session_id, "ids"),
            Message.author_kind.in_([customer, AuthorKind.AGENT.value]),
        )
        .group_by(Message.session_id)
    )
    lines = select(
        Message.session_id,
        Message.id,
        func.substr(Message.text, 1, LAST_LINE_CHARS).label("head"),
        Message.created_at,
    ).where(ids_in(dialect, Message.id, "line_ids"))
    ends = select(
        EndRecord.session_id, EndRecord.agent_id, EndRecord.actor_kind, EndRecord.actor
    ).where(ids_in(dialect, EndRecord.session_id, "ids"))
    return {"counts": counts, "lines": lines, "ends": ends}


async def _needs(
    conn: AsyncConnection, agent_id: int, ids: list[int], ended: Collection[int] | None
) -> dict[int, SessionNeeds]:
    # One pass over the sessions' lines (with the agent's read marker of each session): the
    # unread customer lines, and the newest customer line and newest agent line.
    statements = _needs_statements(conn)
    chosen = ids_value(conn, ids)
    counted = await conn.execute(statements["counts"], {"agent_id": agent_id, "ids": chosen})
    counts = [tuple(row) for row in counted.all()]
    last_ids = newest_customer_lines(counts)
    lines: list[Any] = []
    if last_ids:
        rows = await conn.execute(statements["lines"], {"line_ids": ids_value(conn, last_ids)})
        lines = list(rows.all())
    ended_ids = ids if ended is None else [i for i in ids if i in ended]
    ends: list[Any] = []
    if ended_ids:
        params = {"ids": ids_value(conn, ended_ids)}
        ends = list((await conn.execute(statements["ends"], params)).all())
    return session_needs_from_rows(ids, agent_id, counts, lines, ends)
