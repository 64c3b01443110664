"""Snapshots of the console's other screens: the presence menu, the Offline preview (R5) under
each capacity model, the logout warning (R6), the capacity ledger, admin settings (as an admin,
and refused to a non-admin), the macro picker (R10) and help.

Each at 120x40; the main ones also at 80x24. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from agent_console.tui.screens.admin_settings import AdminSettingsScreen
from agent_console.tui.screens.help import HelpScreen
from agent_console.tui.screens.ledger import LedgerScreen
from agent_console.tui.screens.logout import LogoutScreen
from agent_console.tui.screens.macro_picker import MacroPickerScreen
from agent_console.tui.screens.offline_preview import OfflinePreviewScreen
from agent_console.tui.screens.presence_menu import PresenceMenu

from ..conftest import until
from .conftest import (
    SIZE,
    SMALL,
    ConsoleSnapshot,
    seed_busy_shift,
    seed_dana_admin,
    seed_status_based,
)

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])


async def presence_menu(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+o")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, PresenceMenu) and pilot.app.screen.is_mounted,
        within=30,
        what="the presence menu",
    )


@BOTH_SIZES
def test_presence_menu(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    assert console_snapshot(seed_busy_shift, size=size, run_before=presence_menu)


@BOTH_SIZES
def test_capacity_ledger(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+l")
        await until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, LedgerScreen) and len(pilot.app.screen.item_texts) > 0
            ),
            within=30,
            what="the capacity ledger",
        )

    assert console_snapshot(seed_busy_shift, size=size, run_before=run_before)


async def admin_settings(pilot: Pilot[Any]) -> None:
    await pilot.press("f2")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, AdminSettingsScreen) and pilot.app.screen.loaded,
        within=30,
        what="the settings to load",
    )


@BOTH_SIZES
def test_admin_settings_as_admin(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    assert console_snapshot(seed_dana_admin, size=size, run_before=admin_settings)


def test_admin_settings_refused_to_a_non_admin(console_snapshot: ConsoleSnapshot) -> None:
    assert console_snapshot(seed_busy_shift, run_before=admin_settings)


@BOTH_SIZES
def test_macro_picker(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+r")

        def loaded() -> bool:
            screen = pilot.app.screen
            if not isinstance(screen, MacroPickerScreen):
                return False
            return screen.query_one("#macro-options", OptionList).option_count > 0

        await until(pilot, loaded, within=30, what="the macros to load")

    assert console_snapshot(seed_busy_shift, size=size, run_before=run_before)


@BOTH_SIZES
def test_help(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("f1")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, HelpScreen) and pilot.app.screen.is_mounted,
            within=30,
            what="help",
        )

    assert console_snapshot(seed_busy_shift, size=size, run_before=run_before)


async def offline_preview(pilot: Pilot[Any]) -> None:
    await presence_menu(pilot)
    await pilot.press("f")
    await until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, OfflinePreviewScreen)
            and len(pilot.app.screen.effect_texts) > 0
        ),
        within=30,
        what="the Offline preview",
    )


@BOTH_SIZES
def test_offline_preview_tab_based(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    assert console_snapshot(seed_busy_shift, size=size, run_before=offline_preview)


@BOTH_SIZES
def test_offline_preview_status_based(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    assert console_snapshot(seed_status_based, size=size, run_before=offline_preview)


@BOTH_SIZES
def test_logout_warning(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await presence_menu(pilot)
        await pilot.press("l")
        await until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, LogoutScreen)
                and len(pilot.app.screen.session_texts) > 0
            ),
            within=30,
            what="the logout warning",
        )

    assert console_snapshot(seed_busy_shift, size=size, run_before=run_before)
