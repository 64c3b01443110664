"""A console's view of the change feed: the changes since its cursor that concern it.

One statement per poll, on the console's own connection (no second connection to LISTEN on):
the newest ``seq`` and, after the cursor, only the rows an :class:`~..domain.feed.Interest`
asks for. The feed is appended in commit order (``store/change_log.py``), so "after the
cursor" misses nothing. On SQLite, ``PRAGMA data_version`` on a kept connection says first
whether anyone committed at all, and an idle console asks nothing more.

Why not LISTEN/NOTIFY on PostgreSQL: a NOTIFY wakes every backend that listens in the
database, whatever the channel, so its cost grows with the number of consoles; at 1,000
listeners the writers could not reach 100 notifies/s on this machine (``bench/floor.py
--feed notify``; ``../shared/notes/floor-probe.md``), and each listener is a second
connection per console.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.errors import StoreError
from ..domain.feed import NO_NEWS, ChangeKind, FeedNews, Interest, Touch
from ..store import queries as q
from ..store.models import Change
from .changes import ChangeProbe
from .context import Ctx

#: More changes than this since the cursor (a console that was away): refresh everything.
POLL_LIMIT = 500

#: PostgreSQL's poll, sent as is on the driver's connection: a console polls four times a
#: second, and at a floor of 1,000 consoles SQLAlchemy's statement building, the pool's ping
#: and BEGIN/COMMIT around one statement would cost more than the query (``bench/floor.py``).
#: One statement: the newest seq, and the rows after the cursor the interest asks for
#: ($2 agent, $3 sessions, $4 any session, $5 any agent; the same rows as
#: :func:`interest_clause`, which a test holds it to).
PG_POLL = """
SELECT (SELECT coalesce(max(seq), 0) FROM changes) AS top,
       c.seq, c.kind, c.session_id, c.agent_id
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT seq, kind, session_id, agent_id FROM changes
    WHERE seq > $1 AND (
        (session_id IS NULL AND agent_id IS NULL)
        OR agent_id = $2
        OR session_id = ANY($3::bigint[])
        OR ($4 AND session_id IS NOT NULL)
        OR ($5 AND session_id IS NULL AND agent_id IS NOT NULL)
    )
    ORDER BY seq
    LIMIT $6
) AS c ON true
"""


_KINDS = {k.value: k for k in ChangeKind}


def interest_clause(conn: AsyncConnection, interest: Interest) -> ColumnElement[bool]:
    """The rows of the change feed ``interest`` asks for (the database-side twin of
    ``Interest.concerns``, which a test holds them to)."""
    if interest.everything:
        return and_(literal(True))
    wanted: list[ColumnElement[bool]] = [
        and_(Change.session_id.is_(None), Change.agent_id.is_(None))
    ]
    if interest.agent_id is not None:
        wanted.append(Change.agent_id == interest.agent_id)
    if interest.any_session:
        wanted.append(Change.session_id.is_not(None))
    elif interest.sessions:
        wanted.append(q.in_ids(conn, Change.session_id, sorted(interest.sessions)))
    if interest.any_agent:
        wanted.append(and_(Change.session_id.is_(None), Change.agent_id.is_not(None)))
    return or_(false(), *wanted)


async def changes_after(
    conn: AsyncConnection, cursor: int, interest: Interest, *, limit: int = POLL_LIMIT
) -> tuple[int, list[Touch], bool]:
    """The newest ``seq``, the changes after ``cursor`` that ``interest`` asks for (at most
    ``limit``), and whether there were more than ``limit``. One statement."""
    top = select(
        func.coalesce(func.max(Change.seq), 0).label("seq"),
        literal(None).label("kind"),
        literal(None).label("session_id"),
        literal(None).label("agent_id"),
        literal(0).label("part"),
    )
    rows = (
        select(
            Change.seq,
            Change.kind,
            Change.session_id,
            Change.agent_id,
            literal(1).label("part"),
        )
        .where(Change.seq > cursor, interest_clause(conn, interest))
        .order_by(Change.seq)
        .limit(limit + 1)
        .subquery()
    )
    stmt = union_all(top, select(rows))
    result = (await conn.execute(stmt)).all()
    newest = cursor
    touches: list[Touch] = []
    for row in result:
        if row.part == 0:
            newest = max(cursor, int(row.seq or 0))
        else:
            touches.append(Touch(int(row.seq), _KINDS[row.kind], row.session_id, row.agent_id))
    touches.sort(key=lambda t: t.seq)
    flooded = len(touches) > limit
    return newest, touches[:limit], flooded


async def pg_changes_after(
    conn: AsyncConnection, cursor: int, interest: Interest, *, limit: int = POLL_LIMIT
) -> tuple[int, list[Touch], bool]:
    """:func:`changes_after` on PostgreSQL, as one prepared statement on the driver's
    connection (no transaction: one statement reads one snapshot)."""
    # The connection was just checked out, so its driver connection is at hand: reading it
    # through ``get_raw_connection()`` would cost a greenlet switch a poll (~10% of it).
    sync = conn.sync_connection
    assert sync is not None
    raw = sync.connection.driver_connection
    assert raw is not None
    rows = await raw.fetch(
        PG_POLL,
        cursor,
        interest.agent_id,
        sorted(interest.sessions),
        interest.any_session,
        interest.any_agent,
        limit + 1,
    )
    newest = max(cursor, int(rows[0]["top"])) if rows else cursor
    touches = [
        Touch(int(r["seq"]), _KINDS[r["kind"]], r["session_id"], r["agent_id"])
        for r in rows
        if r["seq"] is not None
    ]
    return newest, touches[:limit], len(touches) > limit


def _store_error(ctx: Ctx, exc: Exception) -> StoreError:
    translated = ctx.db.translate(exc)
    if isinstance(translated, StoreError):
        return translated
    first = str(exc).splitlines()[0] if str(exc) else ""
    return StoreError(
        f"cannot read the change feed on {ctx.db.display_url}: {type(exc).__name__} {first}"
    )


@dataclass
class ChangeFeed:
    """Polls the change feed for one console (see the module's docstring)."""

    ctx: Ctx
    cursor: int | None = None
    _probe: ChangeProbe | None = field(default=None, repr=False)
    _lost: bool = field(default=False, repr=False)

    async def poll(self, interest: Interest) -> FeedNews:
        """The changes since the last poll that concern ``interest``. Raises StoreError when
        the database cannot be read; the next poll that can says ``resync``."""
        try:
            if self.cursor is None:
                self.cursor = await self._open()
                return FeedNews(resync=True)
            if self._probe is not None and not await self._probe.changed():
                return NO_NEWS  # SQLite: nobody committed since the last poll
            newest, touches, flooded = await self._read(interest, self.cursor)
        except StoreError:
            self._lost = True
            raise
        self.cursor = newest
        cut = any(t.kind is ChangeKind.PRUNED for t in touches)  # changes it missed were deleted
        if flooded or self._lost or cut:
            self._lost = False
            return FeedNews(resync=True)
        return FeedNews(tuple(touches)) if touches else NO_NEWS

    async def _read(self, interest: Interest, cursor: int) -> tuple[int, list[Touch], bool]:
        if self.ctx.db.is_sqlite:
            async with self.ctx.db.read() as conn:
                return await changes_after(conn, cursor, interest)
        async with self.ctx.db.bare() as conn:
            try:
                return await pg_changes_after(conn, cursor, interest)
            except (StoreError, asyncio.CancelledError):
                raise
            except Exception as exc:  # the driver's own error: SQLAlchemy never saw it
                await conn.invalidate()  # the next call reconnects
                raise _store_error(self.ctx, exc) from exc

    async def _open(self) -> int:
        if self.ctx.db.is_sqlite and self._probe is None:
            self._probe = ChangeProbe(self.ctx)
            await self._probe.open()
        async with self.ctx.db.read() as conn:
            return await q.max_change_seq(conn)

    async def close(self) -> None:
        if self._probe is not None:
            probe, self._probe = self._probe, None
            await probe.close()
