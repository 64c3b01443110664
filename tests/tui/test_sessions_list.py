"""The Messaging Sessions list (R3, R4, R11) driven by keys and clicks, checked on the database."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Button

from agent_console.domain.vocab import Surface
from agent_console.services import conversations, ending, listing
from agent_console.services.context import Ctx
from agent_console.services.listing import SessionFilter
from agent_console.tui.screens.bulk_end import BulkEndScreen
from agent_console.tui.screens.confirm import ConfirmScreen
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.screens.row_menu import RowMenuScreen
from agent_console.tui.screens.sessions_list import SessionsListScreen
from agent_console.tui.widgets.filter_choice import FilterChoice

from .conftest import (
    AGENT,
    SIZE,
    Seeded,
    click,
    console_ready,
    palette_offers,
    palette_open,
    quiet,
    until,
    until_async,
)
from .list_support import (
    OTHER,
    World,
    build_world,
    bulk_ready,
    inactive_status_based,
    line_text,
    list_ready,
    open_list,
    row_ids,
    title_text,
)


@pytest.fixture
async def world(ctx: Ctx, seeded: Seeded) -> World:
    return await build_world(ctx, seeded)


async def status_of(ctx: Ctx, session_id: int) -> str:
    return (await listing.show_session(ctx, session_id)).session.status


# Opening ----------------------------------------------------------------------------------------


async def test_r3_f3_opens_the_list_newest_first_with_the_count(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        assert row_ids(screen) == sorted(world.all_ids, reverse=True)
        assert "5 matching" in title_text(screen)
        assert "0 selected" in title_text(screen)
        table = screen.table
        assert line_text(table, 0).startswith(f"[ ] S-{world.eve} ")
        assert "Eve" in line_text(table, 0) and "Ended" in line_text(table, 0)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), what="back")


async def test_r3_the_palette_opens_the_list_and_the_owners_sessions(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await palette_open(pilot)
        await pilot.press(*"Messaging Sessions")
        await palette_offers(pilot, "Messaging Sessions")
        await pilot.press("enter")
        screen = await list_ready(pilot)
        assert len(row_ids(screen)) == 5

        await palette_open(pilot)
        await pilot.press(*f"Sessions owned by {AGENT}")
        await palette_offers(pilot, f"Sessions owned by {AGENT}")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: screen.loaded and sorted(row_ids(screen)) == [world.alice, world.bob],
            what="the list filtered by owner",
        )
        assert screen.query_one("#filter-owner", FilterChoice).value == f"agent:{AGENT}"
        assert "2 matching" in title_text(screen)


# Filters and sorting ----------------------------------------------------------------------------


async def test_r3_filters_by_status_channel_and_owner_change_rows_and_count(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)

        async def choose(select_id: str, value: str, want: set[int], count: int) -> None:
            screen.query_one(select_id, FilterChoice).value = value
            await until(
                pilot,
                lambda: set(row_ids(screen)) == want and f"{count} matching" in title_text(screen),
                what=f"{select_id}={value}",
            )

        await choose("#filter-status", "Waiting", {world.cara, world.dov}, 2)
        await choose("#filter-channel", "standard", {world.dov}, 1)
        await choose("#filter-status", "all", {world.bob, world.dov, world.eve}, 3)
        await choose("#filter-owner", "me", {world.bob}, 1)
        await choose("#filter-owner", "none", {world.dov, world.eve}, 2)
        await choose("#filter-channel", "all", {world.cara, world.dov, world.eve}, 3)
        await choose("#filter-status", "Ended", {world.eve}, 1)


async def test_r3_a_filter_from_the_keyboard_only(world: World, app_factory: Any) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        await pilot.press("f")  # the status filter
        assert app.focused is screen.query_one("#filter-status", FilterChoice)
        await pilot.press("enter")  # open; options: All, Open, New, Waiting, ...
        await pilot.press("down", "down", "down", "enter")
        await until(
            pilot,
            lambda: set(row_ids(screen)) == {world.cara, world.dov},
            what="the Waiting filter chosen with keys",
        )


async def test_r3_sort_by_customer_and_reverse(world: World, app_factory: Any) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        by_name = [world.alice, world.bob, world.cara, world.dov, world.eve]
        screen.query_one("#filter-sort", FilterChoice).value = "customer"
        await until(pilot, lambda: row_ids(screen) == by_name, what="sorted by customer")
        await pilot.press("r")
        await until(pilot, lambda: row_ids(screen) == by_name[::-1], what="reversed")
        await pilot.press("r")
        await until(pilot, lambda: row_ids(screen) == by_name, what="reversed back")


# Selection --------------------------------------------------------------------------------------


async def test_r3_space_range_screen_and_all_matching_selection(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        table = screen.table
        ids = row_ids(screen)
        await pilot.press("space")
        assert screen.selection.picked == {ids[0]}
        assert line_text(table, 0).startswith("[x]") and line_text(table, 1).startswith("[ ]")
        assert "1 selected" in title_text(screen)
        await pilot.press("space")
        assert screen.selection.picked == set()

        await pilot.press("down", "shift+down", "shift+down")
        assert screen.selection.picked == {ids[1], ids[2], ids[3]}
        await pilot.press("shift+up")  # back towards the anchor: the range shrinks
        assert screen.selection.picked == {ids[1], ids[2]}
        assert [line_text(table, y)[:3] for y in range(5)] == [
            "[ ]",
            "[x]",
            "[x]",
            "[ ]",
            "[ ]",
        ]
        await pilot.press("x")
        assert screen.selection.picked == set()

        await pilot.press("a")  # every row on screen
        assert screen.selection.picked == set(ids)
        await pilot.press("x")

        await pilot.press("A")  # every session matching the filter, as a filter
        assert screen.selection.all_matching and not screen.selection.picked
        assert "all 5 matching selected" in title_text(screen)
        await pilot.press("home", "space")  # unpick one: an exception to "all matching"
        assert screen.selection.unpicked == {ids[0]}
        assert "all 4 matching selected" in title_text(screen)
        chosen = screen.selection.for_service(screen.flt)
        assert chosen.ids is None and chosen.flt is not None
        assert chosen.flt.exclude_ids == (ids[0],)


async def test_r3_mouse_clicks_select_rows_and_press_buttons(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        ids = row_ids(screen)
        await click(pilot, "#session-table", offset=(1, 1))  # the checkbox of row 2
        assert screen.selection.picked == {ids[1]}
        assert screen.table.cursor == 1
        await click(pilot, "#session-table", offset=(20, 3))  # a row's body: cursor only
        assert screen.table.cursor == 3 and screen.selection.picked == {ids[1]}
        await click(pilot, "#session-table", offset=(20, 4), shift=True)  # extend to row 5
        assert screen.selection.picked == {ids[1], ids[3], ids[4]}
        await click(pilot, "#clear-selection")
        assert screen.selection.picked == set()
        await click(pilot, "#select-matching")
        assert screen.selection.all_matching

        await click(pilot, "#end-sessions")
        bulk = await bulk_ready(pilot)
        await click(pilot, "#bulk-cancel")
        await until(pilot, lambda: app.screen is screen, what="the preview to close")
        assert [await status_of(ctx, i) for i in (world.cara, world.dov)] == ["Waiting"] * 2
        assert bulk.report is None

        # A filter by mouse: click the drop-down, click "Waiting" (the 4th choice).
        await click(pilot, "#filter-status")
        await until(pilot, lambda: app.screen.id == "filter-status-menu", what="the choices")
        await pilot.pause()
        await click(pilot, "#choice-options", offset=(3, 4))
        await until(
            pilot,
            lambda: set(row_ids(screen)) == {world.cara, world.dov},
            what="the Waiting filter chosen by mouse",
        )
        assert screen.query_one("#filter-status", FilterChoice).has_class("-set")
        # A click on a column title sorts by it; a second click reverses.
        await click(pilot, "#session-table-header", offset=(16, 0))  # "Customer"
        await until(
            pilot,
            lambda: screen.sort.key == "customer" and row_ids(screen) == [world.cara, world.dov],
            what="sort by a click",
        )
        await click(pilot, "#session-table-header", offset=(16, 0))
        await until(pilot, lambda: row_ids(screen) == [world.dov, world.cara], what="reversed")


# End Sessions: preview, run, results --------------------------------------------------------------


async def test_r11_preview_lists_will_end_and_will_skip_with_reasons_then_ends_exactly_those(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    gus = await inactive_status_based(ctx)  # R4: not from the list
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        await pilot.press("A", "e")
        bulk = await bulk_ready(pilot)
        assert bulk.summary is not None
        assert (bulk.summary.total, bulk.summary.will_end, bulk.summary.will_skip) == (6, 4, 2)
        counts = {c.text: c.count for c in bulk.summary.counts}
        assert counts == {
            "will end": 4,
            "will skip: already ended": 1,
            "will skip: Inactive sessions cannot be ended from the list under "
            "status-based capacity": 1,
        }
        lines = {line.split("  ")[0]: line for line in bulk.lines_text}
        assert lines[f"S-{world.alice}"].endswith("will end")
        assert lines[f"S-{world.eve}"].endswith(
            f"will skip: already ended by {OTHER} on 23 Nov 2026 at 09:00 UTC from the list"
        )
        assert "will skip: Inactive sessions cannot be ended" in lines[f"S-{gus}"]
        confirm = bulk.query_one("#bulk-confirm", Button)
        assert str(confirm.label) == "End 4 session(s) (y)"  # the key that ends them

        await pilot.press("y")
        await until(pilot, lambda: bulk.phase == "results", within=20, what="the bulk end")
        assert bulk.report is not None
        assert (bulk.report.ended, bulk.report.skipped) == (4, 2)
        await until(pilot, lambda: len(bulk.lines_text) == 6, what="the result rows")
        results = {line.split("  ")[0]: line for line in bulk.lines_text}
        assert results[f"S-{world.cara}"].endswith("ended")
        assert "skipped: already ended by amir" in results[f"S-{world.eve}"]
        assert "skipped: Inactive sessions" in results[f"S-{gus}"]

        # The database: exactly the previewed four ended, by dana, from the list.
        for sid in (world.alice, world.bob, world.cara, world.dov):
            detail = await listing.show_session(ctx, sid)
            assert detail.session.status == "Ended"
            assert detail.end is not None
            assert (detail.end.actor, detail.end.surface) == (AGENT, "list")
            assert detail.end.bulk_id == bulk.report.bulk_id
        assert await status_of(ctx, gus) == "Inactive"
        eve = await listing.show_session(ctx, world.eve)
        assert eve.end is not None and eve.end.actor == OTHER

        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="back to the list")
        assert screen.selection.is_empty(screen.total)


async def test_r11_the_progress_bar_follows_the_chunks(
    ctx: Ctx, world: World, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import ProgressBar

    from agent_console.tui import backend_list

    monkeypatch.setattr(backend_list, "BULK_CHUNK", 1)  # one row per transaction
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot)
        await pilot.press("A", "e")
        bulk = await bulk_ready(pilot)
        seen: list[tuple[int, int]] = []
        shown = bulk._progress

        def recording(done: int, total: int) -> None:
            seen.append((done, total))
            shown(done, total)

        bulk._progress = recording  # type: ignore[method-assign]
        await pilot.press("y")
        await until(pilot, lambda: bulk.phase == "results", within=20, what="the bulk end")
        assert seen == [(n, 5) for n in range(1, 6)]
        bar = bulk.query_one("#bulk-progress", ProgressBar)
        assert (bar.progress, bar.total) == (5, 5)
        assert "Done: 4 ended, 1 skipped" in str(bulk.query_one("#bulk-title").render())
    assert await listing.count_sessions(ctx, SessionFilter(statuses=("Ended",))) == 5


async def test_r11_cancel_in_the_preview_changes_nothing(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        await pilot.press("A", "e")
        await bulk_ready(pilot)
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen, what="the preview to close")
        assert screen.selection.all_matching  # kept, so the agent can adjust it
    ended = await listing.count_sessions(ctx, SessionFilter(statuses=("Ended",)))
    assert ended == 1
    assert [await status_of(ctx, i) for i in (world.alice, world.bob)] == ["Active", "Active"]


async def test_end_sessions_with_nothing_selected_says_how_to_select(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert app.screen is screen
        assert any("Nothing selected" in n.message for n in app._notifications)


# Row menu (R3, R4) ------------------------------------------------------------------------------


async def menu_for(pilot: Any, screen: SessionsListScreen, session_id: int) -> RowMenuScreen:
    screen.table.move_cursor(row_ids(screen).index(session_id))
    await pilot.press("enter")
    app = pilot.app
    await until(
        pilot,
        lambda: isinstance(app.screen, RowMenuScreen) and app.screen.menu is not None,
        what="the row menu",
    )
    menu = app.screen
    assert isinstance(menu, RowMenuScreen)
    await pilot.pause()
    return menu


async def test_r3_row_menu_end_session_on_a_standard_row_ends_it(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        menu = await menu_for(pilot, screen, world.bob)
        assert menu.option_texts[0] == ("End Session", True)
        await end_from_the_menu(pilot)
        await until_async(pilot, lambda: _ended(ctx, world.bob), what="the row's session to end")
        detail = await listing.show_session(ctx, world.bob)
        assert detail.end is not None and (detail.end.actor, detail.end.surface) == (AGENT, "row")
        await until(
            pilot,
            lambda: any(row.id == world.bob and row.status == "Ended" for row in screen.table.rows),
            what="the list to show it ended",
        )


async def end_from_the_menu(pilot: Any) -> None:
    """Up to End Session (the item above the highlighted default), enter, then y to the
    question it asks (issue 11: no single accidental key ends a chat)."""
    await pilot.press("up", "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the question")
    await pilot.press("y")


async def _ended(ctx: Ctx, session_id: int) -> bool:
    return await status_of(ctx, session_id) == "Ended"


async def test_r3_row_menu_of_an_enhanced_row_has_no_end_session(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        menu = await menu_for(pilot, screen, world.alice)
        texts = [text for text, _ in menu.option_texts]
        assert not any(text.startswith("End Session") for text in texts)
        assert texts == ["Select row", f"Sessions owned by {AGENT}", "Transfer…", "Close"]
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the menu to close")


async def test_r4_row_menu_end_session_unavailable_for_inactive_under_status_based(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    gus = await inactive_status_based(ctx)
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        menu = await menu_for(pilot, screen, gus)
        text, enabled = menu.option_texts[0]
        assert not enabled
        assert text == (
            "End Session — unavailable: Inactive sessions cannot be ended from the list "
            "under status-based capacity"
        )
        await pilot.press("enter")  # on the first enabled item: Select row
        await until(pilot, lambda: app.screen is screen, what="the menu to close")
        assert screen.selection.picked == {gus}
    assert await status_of(ctx, gus) == "Inactive"


async def test_r3_row_menu_owner_item_filters_the_list_by_owner(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        await menu_for(pilot, screen, world.alice)
        await pilot.press("down", "enter")  # "Sessions owned by dana"
        await until(
            pilot,
            lambda: sorted(row_ids(screen)) == [world.alice, world.bob],
            what="the owner filter",
        )


# Live -------------------------------------------------------------------------------------------


async def test_a_row_another_console_ended_shows_the_fact_not_an_error(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    app = app_factory(world.url, poll_interval=60)  # this console does not see it coming
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        menu = await menu_for(pilot, screen, world.bob)
        assert menu.option_texts[0] == ("End Session", True)
        # Meanwhile amir ends it from his list.
        other = await ending.end_session(ctx, OTHER, world.bob, Surface.LIST)
        assert other.result == "ended"
        await end_from_the_menu(pilot)
        fact = (
            f"S-{world.bob} was already ended by {OTHER} on 23 Nov 2026 at 09:00 UTC from the list"
        )
        await until(
            pilot,
            lambda: any(n.message == fact for n in app._notifications),
            what="the fact as a notification",
        )
        assert all(n.severity != "error" for n in app._notifications)
        detail = await listing.show_session(ctx, world.bob)
        assert detail.end is not None and detail.end.actor == OTHER  # not ended twice

        # Opened again, the menu says so itself.
        menu = await menu_for(pilot, screen, world.bob)
        assert menu.option_texts[0] == (
            f"End Session — unavailable: already ended by {OTHER} on 23 Nov 2026 at 09:00 UTC "
            "from the list",
            False,
        )


async def test_outside_changes_appear_keeping_selection_and_cursor(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    app = app_factory(world.url, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen.table.move_cursor(row_ids(screen).index(world.dov))
        await pilot.press("space")
        new = await conversations.inbound(ctx, "Finn", "standard_sms", "New here")
        await until(
            pilot,
            lambda: row_ids(screen)[:1] == [new.session_id] and "6 matching" in title_text(screen),
            within=5,
            what="the new session at the top within a poll",
        )
        assert screen.selection.picked == {world.dov}
        assert screen.table.cursor_row is not None and screen.table.cursor_row.id == world.dov


async def test_a_live_refresh_keeps_the_scroll_position_deep_in_the_list(
    ctx: Ctx, seeded: Seeded, app_factory: Any
) -> None:
    for i in range(90):
        await conversations.inbound(ctx, f"Customer {i:02d}", "byoc", "hello")
    app = app_factory(seeded.url, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        table = screen.table
        await pilot.press("pagedown", "pagedown", "space")
        top, picked = table.first_visible, table.cursor_row
        assert top > 0 and picked is not None
        await conversations.inbound(ctx, "Newcomer", "byoc", "hi")
        await until(
            pilot, lambda: "93 matching" in title_text(screen), within=5, what="the refresh"
        )
        assert table.first_visible == top
        assert table.cursor_row is not None and table.cursor_row.id == picked.id
        assert screen.selection.picked == {picked.id}
        assert table.rows[0].customer == "Newcomer"


async def test_customer_names_are_literal_text(ctx: Ctx, seeded: Seeded, app_factory: Any) -> None:
    hostile = "[@click=app.quit]x[/] [/bold] \x1b[31mred"
    await conversations.inbound(ctx, hostile, "standard_sms", "hi")
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        line = line_text(screen.table, 0)
        assert "[@click=app.quit]x[/] [/bold] ␛[31mred" in line
        await click(pilot, "#session-table", offset=(30, 0))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RowMenuScreen), what="the menu")
        await quiet(pilot)
        assert app.is_running  # no markup in the name ran app.quit
    assert app.return_code is None or app.return_code == 0


async def test_usable_at_80_by_24(world: World, app_factory: Any) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        assert screen.table.scrollable_content_region.height >= 15
        for widget_id in ("#end-sessions", "#select-matching", "#filter-sort"):
            region = screen.query_one(widget_id).region
            assert region.right <= 80 and region.height >= 1, widget_id
        await pilot.press("A", "e")
        bulk = await bulk_ready(pilot)
        confirm = bulk.query_one("#bulk-confirm").region
        assert confirm.bottom <= 24 and confirm.right <= 80
        assert isinstance(bulk, BulkEndScreen)


def test_every_list_binding_has_an_id_and_a_description() -> None:
    from agent_console.tui.widgets.session_table import SessionTable

    for screen in (SessionsListScreen, BulkEndScreen, RowMenuScreen, SessionTable):
        for binding in screen.BINDINGS:
            assert binding.description, binding  # type: ignore[union-attr]
            if binding.show:  # type: ignore[union-attr]
                assert binding.id, binding  # type: ignore[union-attr]


async def test_my_tabs_are_one_statement_and_an_ended_session_is_one_tab(
    ctx: Ctx, seeded: Seeded, clock: Any
) -> None:
    """Live sessions and ended ones with a tab open are read in one statement: a chat that
    ends meanwhile cannot be read as both (nor as neither)."""
    from sqlalchemy import event

    from agent_console.tui.backend import ConsoleBackend

    backend = await ConsoleBackend.open(seeded.url, AGENT, clock=clock)
    await ending.end_session(ctx, AGENT, seeded.alice, Surface.CONVERSATION)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    engine = backend.ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        rows = await backend.my_sessions()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        await backend.close()
    assert [(row.id, row.status) for row in rows] == [
        (seeded.alice, "Ended"),
        (seeded.bob, "Active"),
    ]
    assert len(statements) == 1, statements


def test_all_matching_is_a_selection_before_the_count_is_known() -> None:
    from agent_console.tui.selection import ListSelection

    selection = ListSelection()
    assert selection.is_empty(None)
    selection.select_all_matching()
    assert not selection.is_empty(None)  # End Sessions may run; the preview counts
    assert selection.is_empty(0)
    selection.set(7, False)
    assert selection.is_empty(1) and not selection.is_empty(2)


async def test_closing_the_list_and_its_modals_at_once_is_quiet(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await pilot.press("f3", "escape")  # closed before its first page arrives
        await pilot.press("f3")
        screen = await list_ready(pilot)
        await pilot.press("A", "e", "escape", "enter", "escape")
        await quiet(pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), what="the console")
