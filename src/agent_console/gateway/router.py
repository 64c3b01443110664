"""The gateway's router: new work that came in through a channel is assigned as usual.

A session a customer starts waits in the queue until routing gives it to an Online agent with
room (``services.routing``, the same as the CLI's ``route`` and a presence change). The
gateway runs it after the database changes (new sessions, freed capacity, an agent coming
Online), at most every ``every`` seconds. Several gateways may run it at once: routing takes
its rows ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and the write lock on SQLite.
"""

from __future__ import annotations

import asyncio
import logging

from ..services.changes import ChangeProbe
from ..services.context import Ctx
from ..services.routing import route

log = logging.getLogger(__name__)


class Router:
    def __init__(self, ctx: Ctx, *, every: float = 0.25, idle: float = 5.0) -> None:
        self.ctx = ctx
        self.every = every
        self.idle = idle  # route at least this often, whatever the probe says
        self.routed = 0
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        probe = ChangeProbe(self.ctx)
        waited = self.idle  # route once at start
        try:
            while not self._stop.is_set():
                if waited >= self.idle or await probe.changed():
                    waited = 0.0
                    try:
                        assigned = await route(self.ctx)
                    except Exception as exc:  # the database is away: try again later
                        log.warning("router: %s", exc)
                        assigned = []
                    self.routed += len(assigned)
                    if assigned:
                        log.info("routed %d session(s)", len(assigned))
                try:
                    await asyncio.wait_for(self._stop.wait(), self.every)
                except TimeoutError:
                    waited += self.every
        finally:
            await probe.close()
