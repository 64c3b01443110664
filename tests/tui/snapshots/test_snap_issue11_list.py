"""Snapshots of issue 11's list states: a filter that has a value, focused (its focus shows) and
opened again (defect 1); the row menu opening on a harmless item, the question End Session
asks, and the question a macro asks before it runs (defect 7).

Each at 120x40 and 80x24. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from agent_console.tui.screens.confirm import ConfirmScreen
from agent_console.tui.screens.macro_picker import MacroPickerScreen
from agent_console.tui.screens.row_menu import END, RowMenuScreen
from agent_console.tui.widgets.filter_choice import FilterChoice

from ..conftest import until
from .conftest import SIZE, SMALL, ConsoleSnapshot, seed_busy_shift, seed_list_world
from .test_snap_list import BOB, CARA, DOV, open_list, open_row_menu, row_ids

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])


async def status_waiting_by_keys(pilot: Pilot[Any]) -> FilterChoice:
    """f, enter, down x3, enter: the status filter set to Waiting, and focused."""
    screen = await open_list(pilot)
    status = screen.query_one("#filter-status", FilterChoice)
    await pilot.press("f", "enter")
    await until(pilot, lambda: pilot.app.screen.id == "filter-status-menu", what="the choices")
    await pilot.press("down", "down", "down", "enter")
    await until(
        pilot,
        lambda: (
            pilot.app.screen is screen
            and screen.loaded
            and set(row_ids(screen)) == {CARA, DOV}
            and pilot.app.focused is status
        ),
        within=30,
        what="the list filtered to Waiting",
    )
    return status


@BOTH_SIZES
def test_a_filter_with_a_value_shows_its_focus(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await status_waiting_by_keys(pilot)

    assert console_snapshot(seed_list_world, size=size, run_before=run_before)


@BOTH_SIZES
def test_a_filter_with_a_value_opens_again(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await status_waiting_by_keys(pilot)
        await pilot.press("enter")
        await until(
            pilot,
            lambda: pilot.app.screen.id == "filter-status-menu",
            within=30,
            what="the choices again",
        )

    assert console_snapshot(seed_list_world, size=size, run_before=run_before)


def highlighted(pilot: Pilot[Any]) -> str | None:
    menu = pilot.app.screen
    assert isinstance(menu, RowMenuScreen)
    options = menu.query_one(OptionList)
    assert options.highlighted is not None
    return options.get_option_at_index(options.highlighted).id


@BOTH_SIZES
def test_row_menu_opens_on_a_harmless_item(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_row_menu(pilot, BOB)
        assert highlighted(pilot) == "toggle"  # Select row, not End Session

    assert console_snapshot(seed_list_world, size=size, run_before=run_before)


@BOTH_SIZES
def test_row_menu_end_session_asks_first(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_row_menu(pilot, BOB)
        await pilot.press("up")
        assert highlighted(pilot) == END
        await pilot.press("enter")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, ConfirmScreen),
            within=30,
            what="End Session's question",
        )

    assert console_snapshot(seed_list_world, size=size, run_before=run_before)


@BOTH_SIZES
def test_macro_asks_before_it_runs(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+r")

        def loaded() -> bool:
            screen = pilot.app.screen
            if not isinstance(screen, MacroPickerScreen):
                return False
            return screen.query_one("#macro-options", OptionList).option_count > 0

        await until(pilot, loaded, within=30, what="the macros to load")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, ConfirmScreen),
            within=30,
            what="the macro's question",
        )

    assert console_snapshot(seed_busy_shift, size=size, run_before=run_before)
