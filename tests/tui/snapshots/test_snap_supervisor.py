"""Snapshots of the agent's console after a supervisor acted on her presence while it was
open: root set her Busy with a note (at 80x24: the status bar's "set by root" still fits with
the capacity meter), and root logged her out with a reason (the notification and the
logged-out banner say who and why). See ``conftest.py`` for what keeps them still."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from agent_console.domain.vocab import Presence
from agent_console.services import presence
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from conftest import FakeClock

from ..conftest import ADMIN, AGENT, until
from .conftest import (
    DB_URL,
    SIZE,
    SMALL,
    ConsoleSnapshot,
    console_screen,
    notified,
    seed_busy_shift,
)


def supervisor(
    clock: FakeClock, act: Callable[[Ctx], Awaitable[object]], told: str
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A run_before: three minutes in, ``act`` on the console's database (the supervisor on
    the board), then the change feed's poll, and wait for the notice ``told``."""

    async def run_before(pilot: Pilot[Any]) -> None:
        ctx = await open_ctx(DB_URL, clock=clock)
        try:
            clock.advance(minutes=3)
            await act(ctx)
        finally:
            await ctx.db.dispose()
        await pilot.app.poll_changes()  # type: ignore[attr-defined]
        await until(pilot, lambda: notified(pilot.app, told), what=f"the notice {told!r}")
        screen = console_screen(pilot)
        await until(pilot, lambda: "set by root" in str(screen.query_one("#presence").render()))

    return run_before


def test_set_busy_by_a_supervisor_at_80x24(
    console_snapshot: ConsoleSnapshot, snapshot_clock: FakeClock
) -> None:
    async def busy(ctx: Ctx) -> object:
        return await presence.set_presence(ctx, AGENT, Presence.BUSY, by=ADMIN, note="Coaching")

    run_before = supervisor(snapshot_clock, busy, "root set you Busy: Coaching")
    assert console_snapshot(seed_busy_shift, size=SMALL, run_before=run_before)


def test_logged_out_by_a_supervisor(
    console_snapshot: ConsoleSnapshot, snapshot_clock: FakeClock
) -> None:
    async def log_out(ctx: Ctx) -> object:
        return await presence.logout(ctx, AGENT, confirmed=True, by=ADMIN, note="End of shift")

    run_before = supervisor(snapshot_clock, log_out, "root logged you out: End of shift")
    assert console_snapshot(seed_busy_shift, size=SIZE, run_before=run_before)
