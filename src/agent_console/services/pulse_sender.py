"""The pulse sender: one NOTIFY for every console, a few times a second, on PostgreSQL.

PostgreSQL wakes every listening backend for every NOTIFY, whatever the channel, so a NOTIFY
per commit costs the server as many wake-ups as there are consoles, a hundred times a second
on a busy floor (``../shared/notes/floor-probe.md``); a poll of the change feed by each
console four times a second costs more again. The sender reads the feed for everyone instead:
every ``every`` seconds it reads what was appended since its last pulse and, if anything was,
sends it summed up (``domain/pulse.py``) on :data:`PULSE_CHANNEL`; with nothing to say it
sends an empty pulse every ``BEAT`` seconds, so the listeners know it is there. Each pulse
wakes every listening backend, so on a big floor the sender paces itself: it counts the
database's backends every beat and sends no more often than ``domain/pulse.py`` ``pace``
allows (at most ``WAKEUPS`` wake-ups a second: every 0.34 s for 1,000 consoles). A console
LISTENs on its own connection and reads the feed only when a pulse concerns it
(``services/change_feed.py``); the gateway's router and delivery workers wake on any pulse
that is not empty (``services/changes.py`` ``ChangeProbe``). When pulses stop, they all look
at the database themselves, as often as they would without pulses.

One sender per database: the sender holds an advisory lock for as long as it runs; another
gateway's sender stands by and takes over when the lock comes free (its holder stopped or
lost its connection). The gateway runs it (``gateway/app.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ..domain.feed import ChangeKind, Touch
from ..domain.pulse import BEAT, WAKEUPS, Pulse, pace, summarize
from ..store.change_log import PULSE_CHANNEL, SENDER_LOCK
from .context import Ctx

__all__ = ["BEAT", "PULSE_CHANNEL", "SENDER_LOCK", "WAKEUPS", "PulseSender"]

log = logging.getLogger(__name__)

#: Changes read per pulse at most: a longer stretch is sent as "everything".
READ_LIMIT = 2_000

_READ = "SELECT seq, kind, session_id, agent_id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2"
_TOP = "SELECT coalesce(max(seq), 0) FROM changes"
# The backends a pulse would wake, at most: pg_stat_database is readable by every role.
_BACKENDS = "SELECT numbackends FROM pg_stat_database WHERE datname = current_database()"
_KINDS = {k.value: k for k in ChangeKind}


def _kind(value: str) -> ChangeKind:
    # What a pulse sums up is who and what was touched; a kind this version does not know
    # (a newer writer's) is still a change.
    return _KINDS.get(value, ChangeKind.SEED)


class PulseSender:
    """Sends the pulses of one database (see the module's docstring)."""

    def __init__(
        self, ctx: Ctx, *, every: float = 0.2, beat: float = BEAT, wakeups: int = WAKEUPS
    ) -> None:
        self.ctx = ctx
        #: The least seconds between two pulses, and the wake-ups a second they may cost.
        self.every = every
        self.wakeups = wakeups
        self.beat = beat
        #: The seconds between two pulses now (``every``, or longer on a big floor), and the
        #: backends last counted.
        self.pace = every
        self.backends = 0
        #: Pulses sent, and whether this sender holds the lock (the others stand by).
        self.sent = 0
        self.sending = False
        self._stop = asyncio.Event()
        #: Set when a pulse has gone out, and when another sender held the lock (tests and
        #: the bench wait on them).
        self.went = asyncio.Event()
        self.stood_by = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Send pulses until :meth:`stop`; a lost connection is opened again after a beat."""
        if self.ctx.db.is_sqlite:
            return  # one person's console: it asks SQLite itself (PRAGMA data_version)
        while not self._stop.is_set():
            try:
                await self._serve()
            except Exception as exc:  # the database is away: try again later
                self.sending = False
                log.warning("pulse sender: %s", exc)
                await self._rest(self.beat)

    async def _rest(self, seconds: float) -> bool:
        """Wait ``seconds`` or until stopped; True if stopped."""
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _serve(self) -> None:
        conn = await self.ctx.db.engine.connect()
        try:
            raw: Any = (await conn.get_raw_connection()).driver_connection
            while not await raw.fetchval("SELECT pg_try_advisory_lock($1)", SENDER_LOCK):
                self.stood_by.set()
                if await self._rest(2 * self.beat):  # another sender runs: stand by
                    return
            self.sending = True
            cursor = int(await raw.fetchval(_TOP))
            sent_at = counted_at = -float("inf")
            while True:
                if time.monotonic() - counted_at >= self.beat:
                    self.backends = int(await raw.fetchval(_BACKENDS) or 0)
                    self.pace = pace(self.every, self.backends, self.wakeups)
                    counted_at = time.monotonic()
                pulse = await self._read(raw, cursor)
                if not pulse.empty or time.monotonic() - sent_at >= self.beat:
                    await raw.fetchval("SELECT pg_notify($1, $2)", PULSE_CHANNEL, pulse.encode())
                    sent_at = time.monotonic()
                    cursor = pulse.upto
                    self.sent += 1
                    self.went.set()
                if await self._rest(self.pace):
                    return
        finally:
            self.sending = False
            # Closed, not returned to the pool: the lock goes with the session.
            await conn.invalidate()
            await conn.close()

    async def _read(self, raw: Any, cursor: int) -> Pulse:
        rows = await raw.fetch(_READ, cursor, READ_LIMIT + 1)
        if len(rows) > READ_LIMIT:
            return Pulse(cursor, int(await raw.fetchval(_TOP)), everyone=True)
        touches = [
            Touch(int(r["seq"]), _kind(r["kind"]), r["session_id"], r["agent_id"]) for r in rows
        ]
        upto = touches[-1].seq if touches else cursor
        return summarize(cursor, upto, touches)
