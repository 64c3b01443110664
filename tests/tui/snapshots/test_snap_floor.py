"""Snapshots of the supervisor board (issue 14) at 120x40 and 80x24, and of an agent row's
menu and the logout warning with its required reason. The floor: the busy shift (dana, an
admin here, with customers waiting for her), sam logged out by dana with a reason, amir Away
at lunch with a customer waiting, bea Online with nothing, and three sessions in the queue on
two channels. See ``conftest.py`` for what keeps them still."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, presence, routing
from agent_console.services.context import Ctx
from agent_console.tui.screens.floor_actions import AgentMenuScreen, SupervisorNoteScreen
from agent_console.tui.screens.floor_board import FloorBoardScreen
from conftest import FakeClock

from ..conftest import AGENT, ALL_PERMISSIONS, until
from .conftest import SIZE, SMALL, ConsoleSnapshot, seed_busy_shift


async def seed_floor(ctx: Ctx, clock: FakeClock) -> None:
    await seed_busy_shift(ctx, clock)
    await agents.set_agent(ctx, AGENT, is_admin=True)
    await agents.add_agent(ctx, "amir", capacity=2, permissions=ALL_PERMISSIONS)
    await agents.add_agent(ctx, "bea", capacity=4, permissions=ALL_PERMISSIONS)
    await presence.set_presence(ctx, AGENT, Presence.BUSY)  # the next ones go to amir
    await presence.set_presence(ctx, "amir", Presence.ONLINE)
    await conversations.inbound(ctx, "Fay", "standard_sms", "Where is my refund?")
    await routing.route(ctx)
    clock.advance(minutes=4)
    await presence.set_presence(ctx, "amir", Presence.BUSY, reason="Lunch")
    await presence.set_presence(ctx, AGENT, Presence.ONLINE)
    await presence.set_presence(ctx, "bea", Presence.BUSY)
    await presence.logout(ctx, "sam", confirmed=True, by=AGENT, note="End of shift")
    await presence.set_presence(ctx, "bea", Presence.ONLINE, by=AGENT, note="Queue is growing")
    # Routing runs on its own pass, not on each line: these three wait in the queue.
    await conversations.inbound(ctx, "Gil", "byoc", "Anyone there?")
    clock.advance(minutes=2)
    await conversations.inbound(ctx, "Hal", "byoc", "Hello?")
    await conversations.inbound(ctx, "Ida", "enhanced_line", "Hi")
    clock.advance(minutes=1)


async def open_board(pilot: Pilot[Any]) -> FloorBoardScreen:
    await pilot.press("f7")
    await until(pilot, lambda: isinstance(pilot.app.screen, FloorBoardScreen), what="board")
    board = pilot.app.screen
    assert isinstance(board, FloorBoardScreen)
    await until(pilot, lambda: board.view is not None, what="the board read")
    return board


async def board_open(pilot: Pilot[Any]) -> None:
    await open_board(pilot)


@pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])
def test_the_supervisor_board(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    assert console_snapshot(seed_floor, size=size, run_before=board_open)


def test_an_agents_row_menu(console_snapshot: ConsoleSnapshot) -> None:
    async def menu(pilot: Pilot[Any]) -> None:
        board = await open_board(pilot)
        board.query_one("#floor-agents").move_cursor(row=board.shown_names.index("amir"))
        await until(
            pilot, lambda: board.highlighted is not None and board.highlighted.name == "amir"
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, AgentMenuScreen), what="menu")

    assert console_snapshot(seed_floor, run_before=menu)


def test_logging_an_agent_out_asks_for_a_reason(console_snapshot: ConsoleSnapshot) -> None:
    async def warning(pilot: Pilot[Any]) -> None:
        board = await open_board(pilot)
        board.query_one("#floor-agents").move_cursor(row=board.shown_names.index("amir"))
        await until(
            pilot, lambda: board.highlighted is not None and board.highlighted.name == "amir"
        )
        await pilot.press("x")
        await until(pilot, lambda: isinstance(pilot.app.screen, SupervisorNoteScreen))
        await pilot.press("enter")  # no reason: refused on the spot
        screen = pilot.app.screen
        await until(
            pilot, lambda: "Give a reason" in str(screen.query_one("#floor-note-error").render())
        )

    assert console_snapshot(seed_floor, size=SMALL, run_before=warning)
