"""The change feed: what changed since a cursor, and a cheap "anything changed?" probe.

SQLite: ``PRAGMA data_version`` on a connection kept open for the probe changes whenever
another connection commits. PostgreSQL: a connection LISTENs for the pulses
(``services/pulse_sender.py``), and a pulse that is not empty means "changed"; while no pulse
is heard (none yet, or none for ``SILENCE`` seconds: no sender runs) the probe cannot tell,
and says "changed" every time, so its caller looks for itself. After a reconnect the probe
says "changed" so the caller resyncs from its cursor.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.feed import ChangeKind
from ..domain.pulse import SILENCE, decode
from ..store import queries as q
from ..store.models import Change
from .context import Ctx
from .views import ChangeView


async def changes_since(
    ctx: Ctx, cursor: int, *, limit: int = 1000
) -> tuple[int, list[ChangeView]]:
    """Changes after ``cursor`` (oldest first) and the cursor to pass next time."""
    async with ctx.db.read() as conn:
        rows = (
            await conn.execute(
                select(Change).where(Change.seq > cursor).order_by(Change.seq).limit(limit)
            )
        ).all()
    views = [ChangeView(r.seq, r.at, r.kind, r.session_id, r.agent_id) for r in rows]
    return (views[-1].seq if views else cursor), views


#: How many changes the feed keeps: ~17 minutes of a floor at 100 changes a second. A console
#: away longer (a laptop asleep) finds the cut and refreshes everything.
KEEP_CHANGES = 100_000
#: PostgreSQL: the advisory lock one pruner holds (any constant).
PRUNE_LOCK = 0x61_67_70_72_75_6E  # "agprun"


async def prune_changes(ctx: Ctx, *, keep: int = KEEP_CHANGES) -> int:
    """Delete the change feed's rows but the newest ``keep``; the oldest kept seq becomes a
    ``pruned`` marker that every reader sees, so one whose cursor was before the cut resyncs
    instead of missing what was deleted. Returns how many rows were deleted (the marker takes
    the newest one's place). Idempotent; safe while
    writers append (they take seqs after the newest) and readers poll (one transaction)."""
    if keep < 1:
        raise ValueError("keep at least one change")
    async with ctx.db.write() as conn:
        if conn.dialect.name == "postgresql":  # one pruner at a time; another one just returns
            got = await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": PRUNE_LOCK})
            if not got:
                return 0
        top = await q.max_change_seq(conn)
        cut = top - keep
        if cut <= 0:
            return 0
        oldest = await conn.scalar(select(func.min(Change.seq)))
        if oldest is None or oldest >= cut:
            return 0
        gone = await conn.execute(delete(Change).where(Change.seq <= cut))
        await conn.execute(
            insert(Change).values(seq=cut, at=ctx.now(), kind=ChangeKind.PRUNED.value,
                                  session_id=None, agent_id=None)
        )  # fmt: skip
    return int(gone.rowcount)


async def current_cursor(ctx: Ctx) -> int:
    async with ctx.db.read() as conn:
        return await q.max_change_seq(conn)


class ChangeProbe:
    """Answers "did anything change since I last asked?" cheaply, from one kept connection."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self._conn: AsyncConnection | None = None
        self._last: int | None = None
        self._flag = asyncio.Event()
        self._raw: Any = None
        self._heard_at: float | None = None
        #: Pulses heard (PostgreSQL), and set as each comes (see :meth:`wait_heard`).
        self.heard = 0
        self._pulsed = asyncio.Event()

    async def open(self) -> None:
        # The raw driver connection, outside any SQLAlchemy transaction: on SQLite a transaction
        # would pin a snapshot (and our BEGIN IMMEDIATE hook would take the write lock).
        self._conn = await self.ctx.db.engine.connect()
        raw = await self._conn.get_raw_connection()
        self._raw = raw.driver_connection
        if self.ctx.db.is_sqlite:
            self._last = await self._data_version()
        else:
            self._heard_at = None
            await self._raw.add_listener(q.PULSE_CHANNEL, self._on_pulse)

    def _on_pulse(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._heard_at = time.monotonic()
        self.heard += 1
        self._pulsed.set()
        pulse = decode(payload)
        if pulse is None or not pulse.empty:
            self._flag.set()

    async def wait_heard(self, count: int) -> None:
        """Wait until ``count`` pulses in all have been heard (tests)."""
        while self.heard < count:
            self._pulsed.clear()
            await self._pulsed.wait()

    async def _data_version(self) -> int:
        cursor = await self._raw.execute("PRAGMA data_version")
        row = await cursor.fetchone()
        await cursor.close()
        return int(row[0])

    async def changed(self) -> bool:
        """True when another connection committed since the last call (or we reconnected,
        or, on PostgreSQL, no pulse says otherwise)."""
        try:
            if self._conn is None:
                await self.open()
                return True
            if self.ctx.db.is_sqlite:
                now = await self._data_version()
                changed = now != self._last
                self._last = now
                return changed
            if self._raw is None or self._raw.is_closed():
                await self.close()
                await self.open()
                return True
            if self._flag.is_set():
                self._flag.clear()
                return True
            heard = self._heard_at
            return heard is None or time.monotonic() - heard > SILENCE
        except Exception:
            await self.close()
            return True

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                if (
                    not self.ctx.db.is_sqlite
                    and self._raw is not None
                    and not self._raw.is_closed()
                ):
                    await self._raw.remove_listener(q.PULSE_CHANNEL, self._on_pulse)
                await conn.close()
            except Exception:  # closing a broken connection must not raise
                pass
            self._raw = None


async def ping(ctx: Ctx) -> None:
    async with ctx.db.read() as conn:
        await conn.execute(text("SELECT 1"))
