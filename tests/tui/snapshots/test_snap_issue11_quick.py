"""Snapshots of issue 11's quick replies: the picker (f4) filtered by a search, the admin list
(Admin settings, f4), and the editor refusing an unknown placeholder with the reason.

Each at 120x40 and 80x24. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from agent_console.demo.texts import QUICK_REPLIES
from agent_console.services import quick_replies
from agent_console.services.context import Ctx
from agent_console.tui.screens.admin_settings import AdminSettingsScreen
from agent_console.tui.screens.quick_replies_admin import (
    QuickRepliesScreen,
    QuickReplyEditorScreen,
)
from agent_console.tui.screens.quick_reply_picker import QuickReplyPickerScreen
from conftest import FakeClock

from ..conftest import ADMIN, until
from .conftest import SIZE, SMALL, ConsoleSnapshot, seed_busy_shift, seed_dana_admin

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])


async def _add_demo_replies(ctx: Ctx) -> None:
    for name, text in QUICK_REPLIES:
        await quick_replies.add_quick_reply(ctx, name, text, admin=ADMIN)


async def seed_quick(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift with the demo's quick replies."""
    await seed_busy_shift(ctx, clock)
    await _add_demo_replies(ctx)


async def seed_quick_admin(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift, dana an admin, with the demo's quick replies."""
    await seed_dana_admin(ctx, clock)
    await _add_demo_replies(ctx)


@BOTH_SIZES
def test_the_picker_filtered_by_a_search(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("f4")
        await until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, QuickReplyPickerScreen) and pilot.app.screen.loaded
            ),
            within=30,
            what="the quick replies",
        )
        picker = pilot.app.screen
        assert isinstance(picker, QuickReplyPickerScreen)
        await pilot.press(*"tr")
        await until(
            pilot,
            lambda: picker.shown_for == "tr",
            within=30,
            what="the search",
        )

    assert console_snapshot(seed_quick, size=size, run_before=run_before)


async def open_admin(pilot: Pilot[Any]) -> QuickRepliesScreen:
    await pilot.press("f2")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, AdminSettingsScreen) and pilot.app.screen.loaded,
        within=30,
        what="the settings",
    )
    await pilot.press("f4")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, QuickRepliesScreen) and pilot.app.screen.loaded,
        within=30,
        what="the quick replies",
    )
    screen = pilot.app.screen
    assert isinstance(screen, QuickRepliesScreen)
    return screen


@BOTH_SIZES
def test_the_admin_list(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_admin(pilot)

    assert console_snapshot(seed_quick_admin, size=size, run_before=run_before)


@BOTH_SIZES
def test_the_editor_refuses_an_unknown_placeholder(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_admin(pilot)
        await pilot.press("a")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, QuickReplyEditorScreen),
            within=30,
            what="the editor",
        )
        editor = pilot.app.screen
        assert isinstance(editor, QuickReplyEditorScreen)
        editor.query_one(TextArea).cursor_blink = False
        await pilot.press(*"Order number", "enter", *"Your order is {order}, {customer}.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(editor.error_text), within=30, what="the refusal")

    assert console_snapshot(seed_quick_admin, size=size, run_before=run_before)
