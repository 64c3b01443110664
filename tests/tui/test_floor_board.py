"""Issue 14: the supervisor board on screen. An admin opens it (f7, the palette); an agent who
is not an admin is not offered it. It shows the service's figures, sorts and filters, follows
the change feed (a burst is one read), and acts on an agent's row: their sessions (the list,
filtered), a transfer of one of their sessions through the picker."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Input, Label, OptionList, Static

from agent_console.domain.floor import FloorSort, FloorState
from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, presence, routing
from agent_console.services.context import Ctx
from agent_console.tui.screens.floor_actions import (
    AgentMenuScreen,
    SessionPickScreen,
    SupervisorNoteScreen,
)
from agent_console.tui.screens.floor_board import FloorBoardScreen
from agent_console.tui.screens.sessions_list import SessionsListScreen
from agent_console.tui.screens.transfer_picker import TransferPickerScreen

from .conftest import AGENT, ALL_PERMISSIONS, SIZE, Seeded, console_ready, quiet, until
from .test_feed_refresh import watching

ERIN = "erin"


async def _with_erin(ctx: Ctx) -> int:
    """erin, Online with one session (dana Busy meanwhile); dana is made an admin."""
    await agents.set_agent(ctx, AGENT, is_admin=True)
    await agents.add_agent(ctx, ERIN, capacity=3, permissions=ALL_PERMISSIONS)
    await presence.set_presence(ctx, AGENT, Presence.BUSY)
    await presence.set_presence(ctx, ERIN, Presence.ONLINE)
    sid = (await conversations.inbound(ctx, "Fay", "standard_sms", "Hi erin")).session_id
    assert [a.agent for a in await routing.route(ctx)] == [ERIN]
    await presence.set_presence(ctx, AGENT, Presence.ONLINE)
    return sid


async def _open_board(pilot: Any) -> FloorBoardScreen:
    await pilot.press("f7")
    await until(pilot, lambda: isinstance(pilot.app.screen, FloorBoardScreen), what="the board")
    board = pilot.app.screen
    assert isinstance(board, FloorBoardScreen)
    await until(pilot, lambda: board.view is not None, what="the board to read the floor")
    return board


async def _highlight(pilot: Any, board: FloorBoardScreen, name: str) -> None:
    board.query_one("#floor-agents", DataTable).move_cursor(row=board.shown_names.index(name))
    await until(pilot, lambda: board.highlighted is not None and board.highlighted.name == name)


async def _warn_logout(pilot: Any, board: FloorBoardScreen, name: str) -> None:
    """``name`` highlighted, x: the logout warning with its reason box."""
    await _highlight(pilot, board, name)
    await pilot.press("x")
    await until(pilot, lambda: isinstance(pilot.app.screen, SupervisorNoteScreen), what="warning")


def _cells(board: FloorBoardScreen) -> list[list[str]]:
    table = board.query_one("#floor-agents", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_an_admin_opens_the_board_and_sees_every_agent_and_queue(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await _with_erin(ctx)
    await conversations.inbound(ctx, "Gil", "byoc", "Anyone?")  # nobody may take byoc
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        board = await _open_board(pilot)
        rows = {r[0]: r for r in _cells(board)}
        assert set(rows) == {"dana (admin)", ERIN, "root (admin)"}
        assert rows["dana (admin)"][1:2] == ["Online"] and rows["dana (admin)"][3] == "2/5"
        assert rows[ERIN][3:6] == ["1/3", "1", "0"]
        assert rows["root (admin)"][1] == "Logged out"
        title = str(board.query_one("#floor-title", Static).render())
        assert "3 agents: 2 Online · 0 Busy · 0 Offline · 1 Logged out" in title
        queues = str(board.query_one("#floor-queues", Static).render())
        assert "Bring Your Own Channel 1 waiting" in queues
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, FloorBoardScreen), what="back")


async def test_an_agent_who_is_not_an_admin_is_not_offered_the_board(
    seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        assert console.check_action("floor_board", ()) is False
        titles = [c.title for c in console.palette_commands()]
        assert "Supervisor board" not in titles
        await pilot.press("f7")
        await quiet(pilot)
        assert not isinstance(app.screen, FloorBoardScreen)


async def test_sorting_and_filtering_change_the_rows_shown(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await _with_erin(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        board = await _open_board(pilot)
        assert board.shown_names == [AGENT, ERIN, "root"]  # by presence, then name
        while board.sort is not FloorSort.LOAD:
            await pilot.press("s")
        await until(pilot, lambda: board.view is not None and board.view.sort is FloorSort.LOAD)
        assert board.shown_names == [AGENT, ERIN, "root"]  # 2/5 > 1/3 > 0/1
        await pilot.press("r")
        await until(pilot, lambda: board.view is not None and board.view.reverse)
        assert board.shown_names == ["root", ERIN, AGENT]
        await pilot.press("p")  # Online only
        await until(pilot, lambda: board.flt.states == frozenset({FloorState.ONLINE}))
        await until(pilot, lambda: board.shown_names == [ERIN, AGENT], what="Online only")
        order = str(board.query_one("#floor-order", Static).render())
        assert "showing Online: 2 of 3 agents" in order
        await pilot.press("slash")
        await until(pilot, lambda: board.query_one("#floor-name", Input).has_focus)
        await pilot.press(*"ER")
        await until(pilot, lambda: board.shown_names == [ERIN], what="the name filter")
        await pilot.press("escape", "escape")  # clears the name, then leaves the box
        await until(pilot, lambda: board.shown_names == [ERIN, AGENT], what="the name cleared")
        assert isinstance(app.screen, FloorBoardScreen)


async def test_the_board_reads_again_once_for_a_burst_of_changes_anywhere(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    theirs = await _with_erin(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        board = await _open_board(pilot)
        await quiet(pilot)
        with watching(app, "floor") as seen:
            for n in range(3):
                await conversations.inbound(ctx, "Fay", "standard_sms", f"Hello {n}")
            await presence.set_presence(ctx, ERIN, Presence.BUSY)
            news = await app.poll_changes()
            assert theirs in news.sessions()
            await until(
                pilot,
                lambda: (
                    ERIN in board.shown_names
                    and board.view is not None
                    and next(a for a in board.view.agents if a.name == ERIN).state
                    is FloorState.BUSY
                ),
                what="erin Busy on the board",
            )
            await quiet(pilot)
            assert seen.calls["floor"] == 1
            # The board is three statements whatever the floor holds.
            assert len(seen.statements) - sum("FROM changes" in s for s in seen.statements) <= 3


@pytest.mark.parametrize("bring", ["scroll", "resize"])
async def test_times_move_each_second_without_a_read_and_rows_brought_on_screen_are_current(
    seeded: Seeded, ctx: Ctx, app_factory: Any, clock: Any, bring: str
) -> None:
    """The clock re-renders the rows on screen; a row brought into view (scrolled to, or
    shown by a taller terminal) is as current as they are (the tick leaves rows off screen
    alone)."""
    for n in range(40):
        await agents.add_agent(ctx, f"zed{n:02d}", capacity=1)
        await presence.set_presence(ctx, f"zed{n:02d}", Presence.OFFLINE)
    await agents.set_agent(ctx, AGENT, is_admin=True)
    app = app_factory(seeded.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await console_ready(pilot)
        board = await _open_board(pilot)
        await quiet(pilot)
        table = board.query_one("#floor-agents", DataTable)

        def since(row: int) -> str:
            return str(table.get_row_at(row)[2])

        # An agent with a time, off screen (the tick also updates one row either side).
        row = min(r for r in range(table.size.height + 3, table.row_count) if since(r) != "—")
        before_first, before = since(0), since(row)
        board.clock_timer.pause()  # the test ticks by hand: bringing the row must do it
        with watching(app, "floor") as seen:
            clock.advance(hours=3)
            board._tick()
            assert since(0) != before_first and "3h" in since(0)
            assert since(row) == before  # off screen: not rewritten
            if bring == "scroll":
                table.move_cursor(row=row, animate=False)
            else:
                await pilot.resize_terminal(80, 60)
                await until(pilot, lambda: table.size.height > row, what="the taller table")
            await until(pilot, lambda: since(row) != before, what="the row current")
            assert "3h" in since(row)
            await quiet(pilot)
            assert seen.calls.get("floor", 0) == 0 and not seen.statements  # no read at all


async def test_an_agents_row_opens_their_sessions_and_transfers_one(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    theirs = await _with_erin(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        board = await _open_board(pilot)
        await _highlight(pilot, board, ERIN)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AgentMenuScreen), what="the menu")
        menu = app.screen.query_one(OptionList)
        items = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert items[0] == "Their sessions (1 live session)"
        assert "Set presence: Online…" not in items  # she is Online
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SessionsListScreen), what="the list")
        screen = app.screen
        assert isinstance(screen, SessionsListScreen)
        await until(pilot, lambda: screen.flt.owner == ERIN, what="the owner filter")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is board, what="back on the board")

        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, SessionPickScreen), what="the pick")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TransferPickerScreen), what="picker")
        picker = app.screen
        assert isinstance(picker, TransferPickerScreen)
        await until(pilot, lambda: picker.options is not None, what="the picker's options")
        assert picker.session_id == theirs


async def test_a_supervisor_logs_an_agent_out_with_a_reason_after_the_warning(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await _with_erin(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        board = await _open_board(pilot)
        await _warn_logout(pilot, board, ERIN)
        note = app.screen
        assert isinstance(note, SupervisorNoteScreen)
        summary = str(note.query_one("#floor-note-summary", Label).render())
        assert summary == "Logging erin out ends 1 ongoing session; the 1 unit erin uses is freed."
        assert note.required
        await pilot.press("enter")  # no reason yet: refused on the spot, nothing changes
        error = note.query_one("#floor-note-error", Label)
        await until(pilot, lambda: "Give a reason" in str(error.render()), what="the refusal")
        assert (await agents.get_agent(ctx, ERIN)).logged_in
        await pilot.press(*"End of shift", "enter")
        await until(
            pilot,
            lambda: (
                board.view is not None
                and next(a for a in board.view.agents if a.name == ERIN).state
                is FloorState.LOGGED_OUT
            ),
            what="erin logged out on the board",
        )
        erin = await agents.get_agent(ctx, ERIN)
        assert not erin.logged_in
        assert (erin.presence_by, erin.presence_note) == (AGENT, "End of shift")
        details = str(board.query_one("#floor-details", Static).render())
        assert "logged out by dana: End of shift" in details


async def test_cancelling_the_warning_changes_nothing(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await _with_erin(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        board = await _open_board(pilot)
        await _warn_logout(pilot, board, ERIN)
        await pilot.press(*"typo", "escape")
        await until(pilot, lambda: app.screen is board, what="back on the board")
        await quiet(pilot)
        erin = await agents.get_agent(ctx, ERIN)
        assert erin.logged_in and erin.presence is Presence.ONLINE and erin.presence_by is None


async def test_a_board_drawn_before_the_table_measured_its_rows_shows_whole_names(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    """Rows are drawn in the widths they keep from the moment they are added. Textual's table
    widens an auto-sized column only when it is next idle, and the lines it drew before then
    stayed in its cache, cut to the old width ("dana " for "dana (admin)" on a first read,
    seen once in a snapshot on a loaded machine). Drawn here between the rows and that idle,
    with a name wider than any shown so far."""
    await _with_erin(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        board = await _open_board(pilot)
        table = board.query_one("#floor-agents", DataTable)
        wide = "maximilian-von-long"
        await agents.add_agent(ctx, wide, capacity=1, is_admin=True)
        view = await board.backend.floor(board.sort, board.flt, reverse=board.reverse)
        board._show(view)  # a new row: the table is cleared and filled again
        drawn = [line.text for line in table.render_lines(table.region.reset_offset)]
        await quiet(pilot)
        redrawn = [line.text for line in table.render_lines(table.region.reset_offset)]
        assert any(f"{wide} (admin)" in line for line in redrawn), redrawn
        assert any(f"{wide} (admin)" in line for line in drawn), drawn
