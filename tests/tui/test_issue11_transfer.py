"""Issue 11, Transfer from the console (f6 on the open session) and from a list row's menu:
the picker offers only Online agents with room (most free first), lists the others with the
reason, sends a session back to the queue, reports the result, and the session leaves My
sessions; a transfer another console got to first is refused with the reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import OptionList

from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, listing, presence, transfer
from agent_console.services.context import Ctx
from agent_console.tui.screens.row_menu import TRANSFER, RowMenuScreen
from agent_console.tui.screens.sessions_list import SessionsListScreen
from agent_console.tui.screens.transfer_picker import QUEUE, TransferPickerScreen

from .conftest import ADMIN, AGENT, ALL_PERMISSIONS, SIZE, Seeded, console_ready, until
from .list_support import World, build_world, open_list, row_ids

PICKED = [
    ("erin   3 free · 0/3 used", True),
    ("Back to the queue   Waiting, unowned: routing assigns it again", True),
    ("Not offered:", False),
    ("bea: Busy", False),
    ("root: logged out", False),
    ("sam: no free capacity (1/1)", False),
]


async def colleagues(ctx: Ctx) -> None:
    """erin (Online, room for 3), sam (Online, full: 1/1), bea (Busy)."""
    for name, capacity in (("erin", 3), ("sam", 1), ("bea", 2)):
        await agents.add_agent(ctx, name, capacity=capacity, permissions=ALL_PERMISSIONS)
    await presence.set_presence(ctx, "erin", Presence.ONLINE)
    await presence.set_presence(ctx, "sam", Presence.ONLINE)
    await conversations.outbound(ctx, "sam", "Stu", "standard_sms", "Hello Stu")
    await presence.set_presence(ctx, "bea", Presence.BUSY)


@pytest.fixture
async def team(ctx: Ctx, seeded: Seeded) -> Seeded:
    await colleagues(ctx)
    return seeded


async def picker_ready(pilot: Any) -> TransferPickerScreen:
    app = pilot.app
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, TransferPickerScreen)
            and app.screen.options is not None
            and not app.screen.query_one(OptionList).disabled
        ),
        what="the transfer picker",
    )
    screen = app.screen
    assert isinstance(screen, TransferPickerScreen)
    return screen


def notified(app: Any, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def owner_of(ctx: Ctx, session_id: int) -> tuple[str | None, str]:
    row = (await listing.show_session(ctx, session_id)).session
    return row.owner, row.status


async def test_f6_offers_who_can_take_it_and_transfers_to_the_chosen_agent(
    ctx: Ctx, team: Seeded, app_factory: Any
) -> None:
    app = app_factory(team.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        assert console.selected_id == team.alice
        assert console.check_action("transfer", ()) is True
        await pilot.press("f6")
        picker = await picker_ready(pilot)
        assert picker.option_texts == PICKED
        assert "owner dana" in str(picker.query_one("#transfer-facts").render())
        options = picker.query_one(OptionList)
        assert options.get_option_at_index(options.highlighted or 0).id == "agent:erin"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is console, what="the picker to close")
        await until(
            pilot,
            lambda: notified(
                app, f"S-{team.alice} transferred to erin (1 unit moved; dana uses 1/5, erin 1/3)"
            ),
            what="the transfer's notification",
        )
        # The session left My sessions; the console opened the next one.
        await until(
            pilot,
            lambda: (
                [row.id for row in console.rows] == [team.bob] and console.selected_id == team.bob
            ),
            what="Alice's session to leave My sessions",
        )
    assert await owner_of(ctx, team.alice) == ("erin", "Active")


async def test_back_to_the_queue_from_the_picker(ctx: Ctx, team: Seeded, app_factory: Any) -> None:
    app = app_factory(team.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        await pilot.press("f6")
        picker = await picker_ready(pilot)
        options = picker.query_one(OptionList)
        await pilot.press("down")
        assert options.get_option_at_index(options.highlighted or 0).id == QUEUE
        await pilot.press("enter")
        await until(
            pilot,
            lambda: notified(app, f"S-{team.alice} sent back to the queue (1 unit freed"),
            what="the notification",
        )
        await until(pilot, lambda: team.alice not in [r.id for r in console.rows], what="gone")
        detail = await listing.show_session(ctx, team.alice)
        assert detail.messages[-1].text == "dana sent this session back to the queue"
        assert detail.messages[-1].visible_to_customer is False
    assert await owner_of(ctx, team.alice) == (None, "Waiting")


async def test_escape_transfers_nothing(ctx: Ctx, team: Seeded, app_factory: Any) -> None:
    app = app_factory(team.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        await pilot.press("f6")
        await picker_ready(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, what="the picker to close")
    assert await owner_of(ctx, team.alice) == (AGENT, "Active")


async def test_a_transfer_another_console_made_first_is_refused_with_the_reason(
    ctx: Ctx, team: Seeded, app_factory: Any
) -> None:
    """The picker shows dana as the owner; meanwhile an admin hands the session to erin. Enter
    on erin is refused (it changed hands), the reason is shown and the choices are read again:
    dana may no longer move it."""
    app = app_factory(team.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await pilot.press("f6")
        picker = await picker_ready(pilot)
        await transfer.transfer(ctx, ADMIN, team.alice, "erin")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: picker.error is not None and picker.options is not None
            and not picker.options.allowed,
            what="the refusal",
        )  # fmt: skip
        note = str(picker.query_one("#transfer-note").render())
        assert f"S-{team.alice} changed hands meanwhile: it is now owned by erin" in note
        assert f"Cannot transfer: not the owner: S-{team.alice} is owned by erin" in note
        assert not any(enabled for _, enabled in picker.option_texts)
        assert app.screen is picker
    assert await owner_of(ctx, team.alice) == ("erin", "Active")
    lines = [m.text for m in (await listing.show_session(ctx, team.alice)).messages]
    assert lines.count("Transferred from dana to erin by root") == 1


async def test_the_palette_offers_transfer(team: Seeded, app_factory: Any) -> None:
    app = app_factory(team.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        titles = [c.title for c in console.palette_commands()]
        assert "Transfer…" in titles


# ----------------------------------------------------------------------------- the row menu


@pytest.fixture
async def world(ctx: Ctx, seeded: Seeded) -> World:
    await colleagues(ctx)  # first: their presence changes route nothing of the world's
    return await build_world(ctx, seeded)


async def open_menu(pilot: Any, session_id: int) -> RowMenuScreen:
    """The row menu of ``session_id`` (the list opened first if it is not on screen)."""
    app = pilot.app
    screen = app.screen if isinstance(app.screen, SessionsListScreen) else await open_list(pilot)
    screen.table.move_cursor(row_ids(screen).index(session_id))
    await pilot.press("enter")
    await until(
        pilot,
        lambda: isinstance(app.screen, RowMenuScreen) and app.screen.menu is not None,
        what="the row menu",
    )
    menu = app.screen
    assert isinstance(menu, RowMenuScreen)
    return menu


async def test_row_menu_transfer_opens_the_picker_and_transfers(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        menu = await open_menu(pilot, world.bob)
        assert ("Transfer…", True) in menu.option_texts
        options = menu.query_one(OptionList)
        options.highlighted = next(i for i, o in enumerate(options.options) if o.id == TRANSFER)
        await pilot.press("enter")
        picker = await picker_ready(pilot)
        assert picker.option_texts[0] == ("erin   3 free · 0/3 used", True)
        await pilot.press("enter")
        await until(
            pilot,
            lambda: notified(app, f"S-{world.bob} transferred to erin"),
            what="the notification",
        )
    assert await owner_of(ctx, world.bob) == ("erin", "Active")


async def test_row_menu_says_why_a_session_cannot_be_transferred(
    world: World, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        menu = await open_menu(pilot, world.cara)  # Waiting, nobody's
        assert (
            f"Transfer — unavailable: S-{world.cara} is Waiting: only an Active session can be "
            "transferred",
            False,
        ) in menu.option_texts
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SessionsListScreen), what="the list")
        menu = await open_menu(pilot, world.eve)  # Ended: no such item
        assert not any(text.startswith("Transfer") for text, _ in menu.option_texts)
