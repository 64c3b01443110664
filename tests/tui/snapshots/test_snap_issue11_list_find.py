"""Snapshots of issue 11's Find in the Messaging Sessions list: a search with its rows and count
(web chat v1 and v2 told apart at 80x24, defect 11), the last page with the line that says
earlier sessions come before it, and End Sessions when every selected session would be skipped
(defect 9: "Nothing to end", and why).

Each at 120x40 and 80x24. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.services import conversations
from agent_console.services.context import Ctx
from agent_console.tui.screens.bulk_end import BulkEndScreen
from conftest import FakeClock

from ..conftest import until
from .conftest import SIZE, SMALL, ConsoleSnapshot, seed_list_world
from .test_snap_list import EVE, open_list, row_ids

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])


async def seed_find_world(ctx: Ctx, clock: FakeClock) -> None:
    """The list world plus 9 Vera (web chat v1) and 10 Vic (web chat v2) asking about orders."""
    await seed_list_world(ctx, clock)
    await conversations.inbound(ctx, "Vera Olsen", "enhanced_web_chat_v1", "Where is my order?")
    clock.advance(minutes=1)
    await conversations.inbound(ctx, "Vic Olsen", "enhanced_web_chat_v2", "Order 42 is late")
    clock.advance(minutes=1)


async def seed_long_list(ctx: Ctx, clock: FakeClock) -> None:
    """The list world plus 240 waiting customers: more than a page."""
    await seed_list_world(ctx, clock)
    for i in range(240):
        await conversations.inbound(ctx, f"Customer {i:03}", "standard_sms", f"question {i}")
    clock.advance(minutes=1)


@BOTH_SIZES
def test_a_search_with_its_rows_and_count(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_list(pilot)
        await pilot.press("slash", *"order", "enter")
        await until(
            pilot,
            lambda: len(row_ids(screen)) == 3 and screen.total == 3,
            within=30,
            what="the sessions that speak of an order",
        )

    assert console_snapshot(seed_find_world, size=size, run_before=run_before)


@BOTH_SIZES
def test_the_last_page(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_list(pilot)
        await until(pilot, lambda: screen.total is not None, within=30, what="the count")
        await pilot.press("G")
        await until(
            pilot,
            lambda: screen.table.has_less and row_ids(screen)[-1] == 1,
            within=30,
            what="the last page",
        )
        screen.table.scroll_to(y=0, animate=False, immediate=True)  # the line above the rows
        screen.table.move_cursor(len(screen.table.rows) - 1)

    assert console_snapshot(seed_long_list, size=size, run_before=run_before)


@BOTH_SIZES
def test_end_sessions_with_nothing_to_end(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_list(pilot)
        screen.table.move_cursor(row_ids(screen).index(EVE))  # ended already
        await pilot.press("space", "e")
        app = pilot.app
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, BulkEndScreen)
                and app.screen.summary is not None
                and bool(app.screen.lines_text)
            ),
            within=30,
            what="the preview",
        )

    assert console_snapshot(seed_list_world, size=size, run_before=run_before)
