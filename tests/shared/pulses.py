"""A pulse sender for a test's block, as the gateway runs one on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agent_console.services.change_feed import ChangeFeed
from agent_console.services.changes import ChangeProbe
from agent_console.services.context import Ctx
from agent_console.services.pulse_sender import PulseSender

#: A bound for a hang to fail on; the test's pulses come every 0.1 s.
WAIT_S = 20.0


@asynccontextmanager
async def pulses(ctx: Ctx) -> AsyncIterator[PulseSender | None]:
    """On PostgreSQL, a sender sending pulses (quickly: every 0.05 s, a beat every 0.1 s)
    until the block ends, its first pulse sent; on SQLite nothing (it has no pulses)."""
    if ctx.db.is_sqlite:
        yield None
        return
    sender = PulseSender(ctx, every=0.05, beat=0.1)
    task = asyncio.create_task(sender.run())
    try:
        await asyncio.wait_for(sender.went.wait(), WAIT_S)
        yield sender
    finally:
        sender.stop()
        await task


async def probe_says(probe: ChangeProbe, value: bool, what: str) -> None:
    """Until ``probe.changed()`` says ``value``: on PostgreSQL each new look waits for the next
    pulse (one comes every 0.1 s at most); SQLite answers at once or never."""

    async def until() -> None:
        while await probe.changed() is not value:
            assert not probe.ctx.db.is_sqlite, f"SQLite's probe did not say {value}: {what}"
            await probe.wait_heard(probe.heard + 1)

    try:
        await asyncio.wait_for(until(), WAIT_S)
    except TimeoutError:
        raise AssertionError(f"no {what} within {WAIT_S} s") from None


async def heard_through(feed: ChangeFeed, seq: int) -> None:
    """Wait until ``feed`` has heard a pulse that sums up the changes up to ``seq``."""

    async def until() -> None:
        while feed.heard_through < seq:
            await feed.wait_heard(feed.heard + 1)

    await asyncio.wait_for(until(), WAIT_S)
