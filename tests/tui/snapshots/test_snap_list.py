"""Snapshots of the Messaging Sessions list (R3, R4, R11): unfiltered, filtered, a selection,
the bulk End Sessions preview and its results, and the row menu (standard, enhanced, and a
standard Inactive row under status-based capacity whose End Session is unavailable).

Each at 120x40; the main ones also at 80x24. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.tui.screens.bulk_end import BulkEndScreen
from agent_console.tui.screens.row_menu import RowMenuScreen
from agent_console.tui.screens.sessions_list import SessionsListScreen
from agent_console.tui.widgets.filter_choice import FilterChoice

from ..conftest import until
from .conftest import SIZE, SMALL, ConsoleSnapshot, seed_list_status_based, seed_list_world

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])

# Session ids in the list seeds (see conftest): 1 Alice (enhanced WhatsApp), 2 Bob (standard
# SMS), 6 Cara and 7 Dov (Waiting), 8 Eve (ended by amir), 9 Gus (Inactive, status-based).
ALICE, BOB, CARA, DOV, EVE, GUS = 1, 2, 6, 7, 8, 9


def list_screen(pilot: Pilot[Any]) -> SessionsListScreen:
    screen = pilot.app.screen
    assert isinstance(screen, SessionsListScreen)
    return screen


def row_ids(screen: SessionsListScreen) -> list[int]:
    return [row.id for row in screen.table.rows]


def title_text(screen: SessionsListScreen) -> str:
    return str(screen.query_one("#list-title").render())


async def open_list(pilot: Pilot[Any]) -> SessionsListScreen:
    """f3 opens the list; wait for its first page."""
    app = pilot.app
    await pilot.press("f3")
    await until(
        pilot,
        lambda: isinstance(app.screen, SessionsListScreen) and app.screen.loaded,
        within=30,
        what="the sessions list to load",
    )
    return list_screen(pilot)


async def open_row_menu(pilot: Pilot[Any], session_id: int) -> None:
    screen = await open_list(pilot)
    screen.table.move_cursor(row_ids(screen).index(session_id))
    await pilot.press("enter")
    app = pilot.app
    await until(
        pilot,
        lambda: isinstance(app.screen, RowMenuScreen) and app.screen.menu is not None,
        within=30,
        what="the row menu",
    )


async def open_bulk_preview(pilot: Pilot[Any]) -> BulkEndScreen:
    """Select every session matching the (empty) filter, then End Sessions."""
    await open_list(pilot)
    await pilot.press("A", "e")
    app = pilot.app
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, BulkEndScreen)
            and app.screen.summary is not None
            and bool(app.screen.lines_text)
        ),
        within=30,
        what="the bulk preview",
    )
    bulk = app.screen
    assert isinstance(bulk, BulkEndScreen)
    return bulk


@BOTH_SIZES
def test_list_unfiltered(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_list(pilot)
        assert "8 matching" in title_text(screen)

    assert console_snapshot(seed_list_world, size=size, run_before=run_before)


@BOTH_SIZES
def test_list_filtered_by_status_waiting(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_list(pilot)
        screen.query_one("#filter-status", FilterChoice).value = "Waiting"
        await until(
            pilot,
            lambda: (
                screen.loaded
                and set(row_ids(screen)) == {CARA, DOV}
                and "2 matching" in title_text(screen)
            ),
            within=30,
            what="the list filtered to Waiting",
        )

    assert console_snapshot(seed_list_world, size=size, run_before=run_before)


@BOTH_SIZES
def test_list_with_a_selection(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_list(pilot)
        await pilot.press("space", "down", "down", "space", "down", "space")
        await until(pilot, lambda: "3 selected" in title_text(screen), what="three rows selected")

    assert console_snapshot(seed_list_world, size=size, run_before=run_before)


@BOTH_SIZES
def test_bulk_end_preview(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        bulk = await open_bulk_preview(pilot)
        assert bulk.summary is not None and bulk.summary.will_skip == 3

    assert console_snapshot(seed_list_status_based, size=size, run_before=run_before)


@BOTH_SIZES
def test_bulk_end_results(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        bulk = await open_bulk_preview(pilot)
        await pilot.press("y")
        await until(
            pilot,
            lambda: (
                bulk.phase == "results"
                and bulk.report is not None
                and len(bulk.lines_text) == bulk.report.total
            ),
            within=30,
            what="the bulk results",
        )

    assert console_snapshot(seed_list_status_based, size=size, run_before=run_before)


def test_row_menu_standard_row(console_snapshot: ConsoleSnapshot) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_row_menu(pilot, BOB)

    assert console_snapshot(seed_list_world, run_before=run_before)


def test_row_menu_enhanced_row(console_snapshot: ConsoleSnapshot) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_row_menu(pilot, ALICE)

    assert console_snapshot(seed_list_world, run_before=run_before)


@BOTH_SIZES
def test_row_menu_inactive_standard_row_under_status_based(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_row_menu(pilot, GUS)
        menu = pilot.app.screen
        assert isinstance(menu, RowMenuScreen)
        text, enabled = menu.option_texts[0]
        assert not enabled and "unavailable" in text

    assert console_snapshot(seed_list_status_based, size=size, run_before=run_before)
