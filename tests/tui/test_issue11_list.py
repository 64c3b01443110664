"""Issue 11, the Messaging Sessions list and its menus: a filter that has a value opens again
(defect 1), and no single accidental key ends a chat from the row menu, the macro picker or the
bulk preview (defect 7, the list/menu half)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Button, OptionList

from agent_console.services import listing
from agent_console.services.context import Ctx
from agent_console.tui.screens.bulk_end import BulkEndScreen
from agent_console.tui.screens.confirm import ConfirmScreen
from agent_console.tui.screens.macro_picker import MacroPickerScreen
from agent_console.tui.screens.row_menu import END, RowMenuScreen
from agent_console.tui.screens.sessions_list import SessionsListScreen
from agent_console.tui.widgets.filter_choice import FilterChoice

from .conftest import AGENT, SIZE, Seeded, click, console_ready, quiet, until, until_async
from .list_support import World, build_world, bulk_ready, open_list, row_ids, title_text


@pytest.fixture
async def world(ctx: Ctx, seeded: Seeded) -> World:
    return await build_world(ctx, seeded)


async def status_of(ctx: Ctx, session_id: int) -> str:
    return (await listing.show_session(ctx, session_id)).session.status


# Defect 1: a filter that has a value opens again, and shows focus ---------------------------------


def menu_is_open(pilot: Any, filter_id: str) -> bool:
    return bool(pilot.app.screen.id == f"{filter_id}-menu")


async def close_menu(pilot: Any, screen: SessionsListScreen, filter_id: str) -> None:
    await until(pilot, lambda: menu_is_open(pilot, filter_id), what=f"{filter_id}'s choices")
    await pilot.press("escape")
    await until(pilot, lambda: pilot.app.screen is screen, what="the choices to close")


async def test_issue11_a_status_filter_with_a_value_opens_again_by_enter_space_and_click(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        status = screen.query_one("#filter-status", FilterChoice)
        await pilot.press("f", "enter")  # the status filter's choices
        await until(pilot, lambda: menu_is_open(pilot, "filter-status"), what="the choices")
        await pilot.press("down", "down", "down", "enter")  # Waiting
        await until(
            pilot,
            lambda: set(row_ids(screen)) == {world.cara, world.dov} and status.value == "Waiting",
            what="the Waiting filter",
        )
        assert app.focused is status
        # Set, and still a drop-down: enter, space and a click each open its choices again.
        await pilot.press("enter")
        await close_menu(pilot, screen, "filter-status")
        await pilot.press("space")
        await close_menu(pilot, screen, "filter-status")
        await click(pilot, "#filter-status")
        await close_menu(pilot, screen, "filter-status")
        # ...and a choice made there applies: back to every status.
        await pilot.press("enter")
        await until(pilot, lambda: menu_is_open(pilot, "filter-status"), what="the choices")
        await pilot.press("home", "enter")
        await until(
            pilot,
            lambda: len(row_ids(screen)) == 5 and "5 matching" in title_text(screen),
            what="every status again",
        )
        assert status.value == "all"


async def test_issue11_sessions_owned_by_name_can_change_its_owner_filter(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen.set_owner(AGENT)  # what "Sessions owned by dana" does
        await until(
            pilot,
            lambda: sorted(row_ids(screen)) == [world.alice, world.bob],
            what="dana's sessions",
        )
        owner = screen.query_one("#filter-owner", FilterChoice)
        owner.focus()
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: menu_is_open(pilot, "filter-owner"), what="the owner choices")
        await pilot.press("home", "enter")  # Anyone
        await until(pilot, lambda: len(row_ids(screen)) == 5, what="everyone's sessions")
        assert owner.value == "all"


def focus_marked(widget: FilterChoice) -> bool:
    """The focus style buttons use (reverse) is on the widget."""
    return bool(widget.styles.text_style.reverse)


async def test_issue11_a_filter_with_a_value_shows_its_focus(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        status = screen.query_one("#filter-status", FilterChoice)
        status.value = "Waiting"
        await until(pilot, lambda: len(row_ids(screen)) == 2, what="the Waiting filter")
        status.focus()
        await pilot.pause()
        assert focus_marked(status), "a focused filter with a value looks unfocused"
        screen.table.focus()
        await pilot.pause()
        assert not focus_marked(status)
        # An unset filter shows the same mark when focused.
        channel = screen.query_one("#filter-channel", FilterChoice)
        channel.focus()
        await pilot.pause()
        assert focus_marked(channel)


# Defect 7: the row menu's End Session is never the default ----------------------------------------


async def menu_for(pilot: Any, screen: SessionsListScreen, session_id: int) -> RowMenuScreen:
    app = pilot.app
    await until(pilot, lambda: app.screen is screen, what="the list")
    screen.table.move_cursor(row_ids(screen).index(session_id))
    await pilot.press("enter")
    await until(
        pilot,
        lambda: isinstance(app.screen, RowMenuScreen) and app.screen.menu is not None,
        what="the row menu",
    )
    menu = app.screen
    assert isinstance(menu, RowMenuScreen)
    await pilot.pause()
    return menu


def highlighted_id(menu: RowMenuScreen) -> str | None:
    options = menu.query_one(OptionList)
    if options.highlighted is None:
        return None
    return options.get_option_at_index(options.highlighted).id


async def test_issue11_enter_enter_on_a_row_does_not_end_its_session(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        menu = await menu_for(pilot, screen, world.bob)
        assert ("End Session", True) in menu.option_texts
        await pilot.press("enter")  # the default item: harmless (it selects the row)
        await until(pilot, lambda: app.screen is screen, what="the menu to close")
        await quiet(pilot)
        assert await status_of(ctx, world.bob) == "Active"
        assert screen.selection.picked == {world.bob}
        # The default is an item that changes nothing on the customer's side.
        menu = await menu_for(pilot, screen, world.bob)
        assert highlighted_id(menu) not in (END, None)


async def test_issue11_end_session_from_the_row_menu_asks_and_enter_keeps_the_session(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        menu = await menu_for(pilot, screen, world.bob)
        menu.query_one(OptionList).highlighted = 0  # End Session, chosen on purpose
        assert highlighted_id(menu) == END
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        await pilot.pause()
        assert app.focused is confirm.query_one("#cancel", Button)
        await pilot.press("enter")  # the default answer keeps the session
        await until(pilot, lambda: app.screen is menu, what="back to the menu")
        await quiet(pilot)
        assert await status_of(ctx, world.bob) == "Active"
        # Asked again, y ends it: one session, from the row, by dana.
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await until_async(
            pilot,
            lambda: _is_ended(ctx, world.bob),
            what="the row's session to end",
        )
        detail = await listing.show_session(ctx, world.bob)
        assert detail.end is not None and (detail.end.actor, detail.end.surface) == (AGENT, "row")
        await until(pilot, lambda: app.screen is screen, what="back to the list")


async def _is_ended(ctx: Ctx, session_id: int) -> bool:
    return await status_of(ctx, session_id) == "Ended"


# Defect 7: the macro picker runs nothing on the first enter ---------------------------------------


async def picker(pilot: Any) -> MacroPickerScreen:
    await pilot.press("ctrl+r")
    await until(pilot, lambda: isinstance(pilot.app.screen, MacroPickerScreen), what="picker")
    screen = pilot.app.screen
    assert isinstance(screen, MacroPickerScreen)
    options = screen.query_one("#macro-options", OptionList)
    await until(pilot, lambda: options.option_count > 0, what="the macros to load")
    await pilot.pause()
    return screen


async def test_issue11_enter_enter_in_the_macro_picker_runs_no_macro(
    ctx: Ctx, seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        macros = await picker(pilot)
        await pilot.press("enter")  # the highlighted macro (every shipped one ends the chat)
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        await pilot.pause()
        assert app.focused is confirm.query_one("#cancel", Button)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is macros, what="back to the picker")
        await quiet(pilot)
        assert macros.result is None and macros.error is None
        detail = await listing.show_session(ctx, seeded.alice)
        assert detail.session.status == "Active" and detail.escalated_to is None
        assert not any(m.text.startswith("Note by") for m in detail.messages)
        # Confirmed with y, the macro runs.
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await until(pilot, lambda: macros.result is not None, what="the macro to run")
    assert await status_of(ctx, seeded.alice) == "Ended"


# Defect 7: the bulk preview's End button is not the default ---------------------------------------


async def test_issue11_enter_on_the_bulk_preview_ends_nothing(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        await pilot.press("A", "e")
        bulk = await bulk_ready(pilot)
        assert isinstance(bulk, BulkEndScreen)
        assert bulk.summary is not None and bulk.summary.will_end > 0
        await pilot.pause()
        assert not bulk.query_one("#bulk-confirm", Button).disabled
        assert app.focused is not bulk.query_one("#bulk-confirm", Button)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen, what="the preview to close")
        assert bulk.report is None
        assert bulk.phase == "preview"
    for sid in (world.alice, world.bob, world.cara, world.dov):
        assert await status_of(ctx, sid) != "Ended", sid
