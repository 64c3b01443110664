"""Snapshots of issue 11's presence states: the status bar with the time in the current
presence ("Away: Lunch · 12m"), the presence menu with the away reasons under Busy, and the
admin settings just after saving a new deployment capacity model (defect 3: each channel's
"default (...)" names the saved model at once, on one line, and the page says the change
applies to new sessions only).

Each at 120x40 and 80x24. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from agent_console.domain.vocab import Presence
from agent_console.services import agents, presence
from agent_console.services.context import Ctx
from agent_console.tui.screens.admin_settings import AdminSettingsScreen
from conftest import FakeClock

from ..conftest import AGENT, until
from .conftest import SIZE, SMALL, ConsoleSnapshot, seed_busy_shift
from .test_snap_modals import admin_settings, presence_menu

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])


async def seed_away_at_lunch(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift; dana went Busy for Lunch 12 minutes ago (her sessions stay hers)."""
    await seed_busy_shift(ctx, clock)
    await presence.set_presence(ctx, AGENT, Presence.BUSY, reason="Lunch")
    clock.advance(minutes=12)


async def seed_admin_busy(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift, dana an admin, Busy (no reason) for an hour and five minutes."""
    await seed_busy_shift(ctx, clock)
    await agents.set_agent(ctx, AGENT, is_admin=True)
    await presence.set_presence(ctx, AGENT, Presence.BUSY)
    clock.advance(hours=1, minutes=5)


@BOTH_SIZES
def test_status_bar_shows_the_away_reason_and_the_time_in_it(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    assert console_snapshot(seed_away_at_lunch, size=size)


@BOTH_SIZES
def test_presence_menu_offers_the_away_reasons_under_busy(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    assert console_snapshot(seed_away_at_lunch, size=size, run_before=presence_menu)


@BOTH_SIZES
def test_admin_settings_right_after_saving_the_default_capacity_model(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await admin_settings(pilot)
        page = pilot.app.screen
        assert isinstance(page, AdminSettingsScreen)
        page.query_one("#setting-capacity_model", Select).value = "status-based"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: page.status_text.startswith("Saved 1 change."), what="the save")
        if size == SMALL:  # the channels' rows, under the note
            form = page.query_one("#settings-form")
            form.scroll_to(y=page.query_one("#settings-model-note").virtual_region.y, animate=False)

    assert console_snapshot(seed_admin_busy, size=size, run_before=run_before)
