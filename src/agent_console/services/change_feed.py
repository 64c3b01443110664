"""A console's view of the change feed: the changes since its cursor that concern it.

One statement per read, on the console's own connection: the newest ``seq`` and, after the
cursor, only the rows an :class:`~..domain.feed.Interest` asks for. The feed is appended in
commit order (``store/change_log.py``), so "after the cursor" misses nothing. On SQLite,
``PRAGMA data_version`` on a kept connection says first whether anyone committed at all, and
an idle console asks nothing more.

On PostgreSQL the same connection LISTENs for pulses (``services/pulse_sender.py``): while
they come, a poll reads the feed only when a pulse heard since the last read concerns what
the console shows, and otherwise asks the database nothing. A pulse per commit would not do:
PostgreSQL wakes every listening backend for every NOTIFY, whatever the channel, so its cost
grows with the number of consoles (``../shared/notes/floor-probe.md``); the sender sends a few
a second whatever the rate of commits. When no pulse was heard for ``silence`` seconds (no
sender runs, or the connection was replaced) every poll reads the feed, as without pulses.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.errors import StoreError
from ..domain.feed import NO_NEWS, ChangeKind, FeedNews, Interest, Touch
from ..domain.pulse import SILENCE, Pulse, decode
from ..store import queries as q
from ..store.change_log import PULSE_CHANNEL, SENDER_LOCK
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

#: The backend holding the pulse sender's advisory lock (a bigint key is split in two oids).
SENDER_PID = """
SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND classid = $1::bigint::oid AND objid = $2::bigint::oid
  AND objsubid = 1 AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
_SENDER_KEY = (SENDER_LOCK >> 32, SENDER_LOCK & 0xFFFF_FFFF)


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
    #: Seconds without a pulse after which every poll reads the feed again.
    silence: float = SILENCE
    clock: Callable[[], float] = time.monotonic
    #: Polls that read the database (the others were answered by the pulses heard).
    reads: int = 0
    #: Pulses heard on this console's connection, and the newest ``seq`` they summed up.
    heard: int = 0
    heard_through: int = 0
    _probe: ChangeProbe | None = field(default=None, repr=False)
    _lost: bool = field(default=False, repr=False)
    #: The driver connection LISTENing for pulses (PostgreSQL), and when one was last heard.
    _listening: Any = field(default=None, repr=False)
    _heard_at: float | None = field(default=None, repr=False)
    #: What the pulses heard since the last read sum up, and whether one was missed.
    _pending: Pulse | None = field(default=None, repr=False)
    _gap: bool = field(default=False, repr=False)
    #: The backend the trusted pulses come from (the sender's, which holds its lock), and
    #: another one heard since the last read: looked up then (see :meth:`_on_pulse`).
    _sender_pid: int | None = field(default=None, repr=False)
    _stranger: int | None = field(default=None, repr=False)
    _pulsed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    async def poll(self, interest: Interest) -> FeedNews:
        """The changes since the last poll that concern ``interest``. Raises StoreError when
        the database cannot be read; the next poll that can says ``resync``."""
        try:
            if self.cursor is None:
                self.cursor = await self._open()
                return FeedNews(resync=True)
            if self._probe is not None and not await self._probe.changed():
                return NO_NEWS  # SQLite: nobody committed since the last poll
            if self._quiet(interest):
                return NO_NEWS  # PostgreSQL: no pulse heard since the last read concerns it
            self._pending, self._gap = None, False  # the read covers what they summed up
            self.reads += 1
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

    def news_without_reading(self, interest: Interest) -> FeedNews | None:
        """What :meth:`poll` would answer without asking the database, or None when it must
        ask: on PostgreSQL with pulses coming, when none heard since the last read concerns
        ``interest`` (the cursor then moves past what they summed up, as the poll's would).
        Most polls of a console on a floor are these: four a second, no round trip."""
        if self.cursor is None or self._probe is not None:
            return None
        return NO_NEWS if self._quiet(interest) else None

    @property
    def pulsed(self) -> bool:
        """Whether pulses are coming: polls read the feed only when one concerns them."""
        listening = self._listening
        return (
            listening is not None
            and not listening.is_closed()
            and self._heard_at is not None
            and self.clock() - self._heard_at <= self.silence
        )

    async def wait_heard(self, count: int) -> None:
        """Wait until ``count`` pulses in all have been heard (tests and the bench)."""
        while self.heard < count:
            self._pulsed.clear()
            await self._pulsed.wait()

    def _quiet(self, interest: Interest) -> bool:
        """Whether the pulses heard say nothing after the cursor concerns ``interest``; if
        so the cursor moves past what they summed up."""
        if self._lost or self._gap or not self.pulsed:
            return False
        pending = self._pending
        if pending is None:
            return True  # nothing was committed since the last read
        assert self.cursor is not None
        if pending.after > self.cursor or pending.concerns(interest):
            return False
        self.cursor = max(self.cursor, pending.upto)
        self._pending = None
        return True

    def _on_pulse(self, _conn: object, pid: int, _channel: str, payload: str) -> None:
        self.heard += 1
        self._heard_at = self.clock()
        self._pulsed.set()
        if pid != self._sender_pid:
            # Any login may NOTIFY on any channel: a pulse is trusted only from the backend
            # that holds the sender's lock, or one could move every console's cursor past
            # changes it never read. Another backend's (a new sender's, or not a sender's)
            # means a read, which looks up who holds the lock now.
            self._stranger, self._gap = pid, True
            return
        pulse = decode(payload)
        if pulse is None:  # a sender of another version: read the feed to be sure
            self._gap = True
            return
        self.heard_through = max(self.heard_through, pulse.upto)
        merged = pulse if self._pending is None else self._pending.then(pulse)
        if merged is None:  # the stretch between the two went to nobody here
            self._gap, merged = True, pulse
        self._pending = merged

    async def _listen(self, conn: AsyncConnection) -> Any:
        """LISTEN for pulses on ``conn``'s driver connection unless it already does (a new
        connection after a lost one: pulses count again once one is heard on it)."""
        sync = conn.sync_connection
        assert sync is not None
        raw = sync.connection.driver_connection
        assert raw is not None
        if raw is not self._listening:
            await raw.add_listener(PULSE_CHANNEL, self._on_pulse)
            self._listening, self._heard_at = raw, None
        return raw

    async def _read(self, interest: Interest, cursor: int) -> tuple[int, list[Touch], bool]:
        if self.ctx.db.is_sqlite:
            async with self.ctx.db.read() as conn:
                return await changes_after(conn, cursor, interest)
        async with self.ctx.db.bare() as conn:
            try:
                raw = await self._listen(conn)
                if self._stranger is not None:
                    self._stranger = None
                    self._sender_pid = await raw.fetchval(SENDER_PID, *_SENDER_KEY)
                return await pg_changes_after(conn, cursor, interest)
            except (StoreError, asyncio.CancelledError):
                raise
            except Exception as exc:  # the driver's own error: SQLAlchemy never saw it
                await conn.invalidate()  # the next call reconnects
                raise _store_error(self.ctx, exc) from exc

    async def _open(self) -> int:
        if self.ctx.db.is_sqlite:
            if self._probe is None:
                self._probe = ChangeProbe(self.ctx)
                await self._probe.open()
            async with self.ctx.db.read() as conn:
                return await q.max_change_seq(conn)
        async with self.ctx.db.bare() as conn:
            try:
                # LISTEN first: a change committed after the cursor is read is in a pulse.
                raw = await self._listen(conn)
                self._sender_pid = await raw.fetchval(SENDER_PID, *_SENDER_KEY)
                return int(await raw.fetchval("SELECT coalesce(max(seq), 0) FROM changes"))
            except (StoreError, asyncio.CancelledError):
                raise
            except Exception as exc:
                await conn.invalidate()
                raise _store_error(self.ctx, exc) from exc

    async def close(self) -> None:
        listening, self._listening = self._listening, None
        if listening is not None and not listening.is_closed():
            with contextlib.suppress(Exception):  # closing anyway: it goes with the engine
                await listening.remove_listener(PULSE_CHANNEL, self._on_pulse)
        if self._probe is not None:
            probe, self._probe = self._probe, None
            await probe.close()
