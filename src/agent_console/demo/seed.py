"""Realistic demo and benchmark data: agents, customers, and sessions in every state.

:func:`seed` plans everything in Python first (:mod:`~agent_console.demo.plan`, deterministic
for a given ``seed``: one ``random.Random`` and times derived from ``ctx.now()``), then writes
it in chunked transactions (:mod:`~agent_console.demo.writer`). The planner runs with the
cyclic GC off.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from ..services.context import Ctx
from ..store import queries as q
from ..store.models import Customer
from .plan import Planner
from .roster import plan_roster
from .rows import Clock, PlannedSession
from .writer import (
    big_cache,
    count_rows,
    ensure_agents,
    ensure_quick_replies,
    ensure_settings,
    write_chunk,
)

Progress = Callable[[int, int], None]

#: Sessions written per transaction (about 7 rows each with their transcripts).
CHUNK = 5000


@dataclass(frozen=True)
class SeedReport:
    agents: int
    sessions: int
    messages: int
    seconds: float


async def seed(
    ctx: Ctx,
    *,
    agents: int = 8,
    sessions: int = 300,
    seed: int = 1,
    progress: Progress | None = None,
    live: float = 0.2,
    chunk: int = CHUNK,
) -> SeedReport:
    """Add ``agents`` agents (reused when the name exists) and ``sessions`` sessions.

    ``live`` is the share of sessions that are not Ended: the ones owned by agents are bounded
    by the agents' free capacity, the rest wait in the queue (New or Waiting). ``progress`` is
    called with (sessions written, sessions to write) after every committed chunk.
    """
    if agents < 1:
        raise ValueError("seed needs at least one agent (dana)")
    if sessions < 0:
        raise ValueError(f"sessions must be zero or more, got {sessions}")
    if not 0.0 <= live <= 1.0:
        raise ValueError(f"live must be between 0 and 1, got {live}")
    started = time.perf_counter()
    rng = random.Random(seed)
    now = ctx.now()

    async with ctx.db.write() as conn:
        await ensure_settings(conn, now)
        await ensure_quick_replies(conn, now)
        policy = await q.load_policy(conn)
        roster = await ensure_agents(conn, plan_roster(rng, agents, now), now)
        taken = set((await conn.scalars(select(Customer.name))).all())

    clock = Clock(now, ctx.db.dialect)
    planner = Planner(rng, clock, roster, policy, taken)
    plans = _without_gc(lambda: planner.plan(sessions, live))
    written = 0
    customer_ids: dict[int, int] = {}
    size = max(1, chunk)
    gc.freeze()  # the plans live until the end: the collector need not rescan them
    try:
        for start in range(0, len(plans), size):
            part = plans[start : start + size]
            async with ctx.db.write() as conn, big_cache(conn):
                written += await write_chunk(
                    conn, part, clock, planner.pool.names, customer_ids, now
                )
            if progress is not None:
                progress(start + len(part), len(plans))
    finally:
        gc.unfreeze()
    return SeedReport(
        agents=len(roster),
        sessions=len(plans),
        messages=written,
        seconds=time.perf_counter() - started,
    )


def _without_gc(build: Callable[[], list[PlannedSession]]) -> list[PlannedSession]:
    """Build the plan with the cyclic collector off: hundreds of thousands of small lists and
    tuples, no cycles, and a collector that would otherwise rescan them again and again."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        return build()
    finally:
        if was_on:
            gc.enable()


__all__ = ["SeedReport", "count_rows", "seed"]
