"""Issue 11 in the Messaging Sessions list: Find (a search box with the filters, the choices
kept per agent, a key that clears them, the last page by one key), and the list's leftovers of
defects 9 (End 0 says nothing; "all 0 matching selected") and 11 (v1 and v2 at 80x24)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from agent_console.services import conversations
from agent_console.services.context import Ctx
from agent_console.tui.screens.sessions_list import SessionsListScreen
from agent_console.tui.widgets.filter_choice import FilterChoice

from .conftest import SIZE, Seeded, console_ready, quiet, until
from .list_support import (
    World,
    build_world,
    bulk_ready,
    line_text,
    list_ready,
    open_list,
    row_ids,
    title_text,
)


@pytest.fixture
async def world(ctx: Ctx, seeded: Seeded) -> World:
    return await build_world(ctx, seeded)


def search_box(screen: SessionsListScreen) -> Input:
    return screen.query_one("#list-search", Input)


async def search(pilot: Any, screen: SessionsListScreen, text: str) -> None:
    """``/``, the text, enter: the rows follow, and the focus is back on them."""
    await pilot.press("slash")
    await until(pilot, lambda: pilot.app.focused is search_box(screen), what="the search box")
    search_box(screen).value = ""
    await pilot.press(*list(text), "enter")


async def test_issue11_search_by_name_or_text_with_the_filters_and_the_count(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        await search(pilot, screen, "dov")
        await until(
            pilot,
            lambda: row_ids(screen) == [world.dov] and "1 matching" in title_text(screen),
            what="Dov by his name",
        )
        assert app.focused is screen.table
        await search(pilot, screen, "hello")  # Alice's "Hello, my order?", Dov's "Hello"
        await until(
            pilot,
            lambda: (
                sorted(row_ids(screen)) == sorted([world.alice, world.dov])
                and "2 matching" in title_text(screen)
            ),
            what="the sessions with a line that says hello",
        )
        screen.query_one("#filter-status", FilterChoice).value = "Waiting"
        await until(
            pilot,
            lambda: row_ids(screen) == [world.dov] and "1 matching" in title_text(screen),
            what="the search and the status filter together",
        )
        # escape in the box leaves the box, not the list.
        await pilot.press("slash", "escape")
        await until(pilot, lambda: app.focused is screen.table, what="the rows again")
        assert app.screen is screen


async def test_issue11_the_list_opens_as_the_agent_left_it_and_c_clears_it(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen.query_one("#filter-status", FilterChoice).value = "Waiting"
        await search(pilot, screen, "dov")
        await until(pilot, lambda: row_ids(screen) == [world.dov], what="Waiting Dov")
        await pilot.press("r")  # oldest first
        await until(pilot, lambda: not screen.sort.descending, what="the reversed sort")
        await pilot.press("escape")  # at once: closing keeps what was chosen
        await console_ready(pilot)
        screen = await open_list(pilot)  # opened again: the same list
        assert row_ids(screen) == [world.dov]
        assert screen.query_one("#filter-status", FilterChoice).value == "Waiting"
        assert search_box(screen).value == "dov"
        assert not screen.sort.descending

    restarted = app_factory(world.url)  # and after a restart, from the database
    async with restarted.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        assert row_ids(screen) == [world.dov]
        assert search_box(screen).value == "dov"
        assert not screen.sort.descending
        await pilot.press("c")  # clears every filter, the search and the sort
        await until(
            pilot,
            lambda: len(row_ids(screen)) == 5 and "5 matching" in title_text(screen),
            what="every session again",
        )
        assert screen.query_one("#filter-status", FilterChoice).value == "all"
        assert search_box(screen).value == ""
        assert screen.sort.descending
        await quiet(pilot)

    again = app_factory(world.url)
    async with again.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        assert len(row_ids(screen)) == 5 and search_box(screen).value == ""


async def many_sessions(ctx: Ctx, count: int) -> list[int]:
    ids = []
    for i in range(count):
        r = await conversations.inbound(ctx, f"Customer {i:03}", "standard_sms", f"line {i}")
        ids.append(r.session_id)
    return ids


async def test_issue11_a_key_jumps_to_the_last_page_and_back_to_the_first(
    ctx: Ctx, seeded: Seeded, app_factory: Any
) -> None:
    await many_sessions(ctx, 450)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        table = screen.table
        newest = row_ids(screen)[0]
        assert len(table.rows) == 200 and table.has_more
        await pilot.press("G")
        await until(pilot, lambda: table.has_less, what="the last page")
        # The last page only (no paging through), the cursor on the very last session.
        assert len(table.rows) == 200 and not table.has_more
        assert table.cursor_row is not None and table.cursor_row.id == seeded.alice
        assert "Loading earlier" in line_text(table, 0) or table.first_visible > 0
        # Up to the top of what is loaded: the rows before it come in, the same row stays.
        table.move_cursor(0)
        first = table.cursor_row
        await until(pilot, lambda: len(table.rows) == 400, what="the page before the last")
        assert table.cursor_row == first and table.has_less
        await pilot.press("ctrl+home")
        await until(
            pilot,
            lambda: not table.has_less and row_ids(screen)[0] == newest,
            what="the first page",
        )
        await pilot.press("ctrl+end")
        await until(pilot, lambda: table.has_less, what="the last page again")
        await pilot.press("g")
        await until(pilot, lambda: not table.has_less, what="the first page again")
        assert table.cursor == 0 and row_ids(screen)[0] == newest


# Defect 9 (the list's part) ------------------------------------------------------------------


async def test_issue11_end_0_says_nothing_will_end_and_why(world: World, app_factory: Any) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen.table.move_cursor(row_ids(screen).index(world.eve))  # ended by amir
        await pilot.press("space", "e")
        bulk = await bulk_ready(pilot)
        title = str(bulk.query_one("#bulk-title").render())
        assert "Nothing to end: the 1 selected is skipped (1 already ended)" in title
        await pilot.press("y")
        await until(
            pilot,
            lambda: any("Nothing to end" in n.message for n in app._notifications),
            what="a word on why y does nothing",
        )
        assert app.screen is bulk and bulk.phase == "preview"


async def test_issue11_after_a_bulk_end_the_header_makes_sense(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen.query_one("#filter-status", FilterChoice).value = "Waiting"
        await until(pilot, lambda: len(row_ids(screen)) == 2, what="the Waiting sessions")
        await pilot.press("A", "e")
        bulk = await bulk_ready(pilot)
        await pilot.press("y")
        await until(pilot, lambda: bulk.phase == "results", what="the results")
        screen.request_live_refresh()  # the list under the results follows the database
        await until(pilot, lambda: screen.total == 0, what="the list to count 0")
        assert "all 0 matching selected" not in title_text(screen)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the list")
        await until(pilot, lambda: "0 matching" in title_text(screen), what="the count")
        assert "0 matching  ·  0 selected" in title_text(screen)


# Defect 11 (the list's part) -----------------------------------------------------------------


async def test_issue11_at_80x24_the_list_tells_web_chat_v1_from_v2(
    ctx: Ctx, seeded: Seeded, app_factory: Any
) -> None:
    await conversations.inbound(ctx, "Vera", "enhanced_web_chat_v1", "one")
    await conversations.inbound(ctx, "Vic", "enhanced_web_chat_v2", "two")
    app = app_factory(seeded.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await console_ready(pilot)
        await pilot.press("f3")
        screen = await list_ready(pilot)
        lines = [line_text(screen.table, y) for y in range(len(screen.table.rows))]
        assert any("Web Chat v1" in line for line in lines), lines
        assert any("Web Chat v2" in line for line in lines), lines
