"""Help lists every binding of the console's screens (after the keymap) and what each screen
does; f1 and ? open it (? only when not typing); the palette reaches help and every action."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from agent_console.tui.screens.admin_settings import AdminSettingsScreen
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.screens.help import HelpScreen, screen_classes
from agent_console.tui.screens.ledger import LedgerScreen
from agent_console.tui.screens.logout import LogoutScreen
from agent_console.tui.screens.macro_picker import MacroPickerScreen
from agent_console.tui.screens.offline_preview import OfflinePreviewScreen
from agent_console.tui.screens.presence_menu import PresenceMenu
from agent_console.tui.widgets.composer import Composer

from .conftest import SIZE, Seeded, console_ready, quiet, until

MY_SCREENS = (
    ConsoleScreen,
    PresenceMenu,
    OfflinePreviewScreen,
    LogoutScreen,
    LedgerScreen,
    AdminSettingsScreen,
    MacroPickerScreen,
    HelpScreen,
)


async def _help(pilot: Any, key: str = "f1") -> HelpScreen:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), what="help")
    page = pilot.app.screen
    assert isinstance(page, HelpScreen)
    return page


def test_every_screen_binding_has_an_id_a_description_and_a_tooltip() -> None:
    for cls in MY_SCREENS:
        assert cls in screen_classes()
        for binding in Binding.make_bindings(cls.BINDINGS):
            assert binding.id and binding.description and binding.tooltip, (cls, binding)
        assert getattr(cls, "HELP", ""), cls


async def test_f1_lists_every_binding_of_every_screen(seeded: Seeded, app_factory: Any) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        page = await _help(pilot)
        text = page.text
        titles = [section.title for section in page.sections]
        assert titles[:2] == ["Everywhere", "Console"]  # the open screen first
        for title in ("Presence menu", "Offline preview", "Logout", "Ledger", "Macro picker"):
            assert title in titles
        assert "Admin settings" in titles
        for cls in MY_SCREENS:
            assert cls.HELP in text
            for binding in Binding.make_bindings(cls.BINDINGS):
                line = next(
                    (
                        label
                        for label in text.splitlines()
                        if f" {binding.description} [{binding.id}] — {binding.tooltip}" in label
                    ),
                    None,
                )
                assert line is not None, (cls, binding)
                assert app.get_key_display(binding) in line
        assert "f1, ?" in text and "Command palette" in text
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, what="help to close")


async def test_question_mark_opens_help_except_while_typing(
    seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        composer = console.query_one("#composer", Composer)
        composer.focus()
        await pilot.press(*"why?")
        await quiet(pilot)
        assert composer.value == "why?"
        assert app.screen is console
        console.query_one("#sessions").focus()
        page = await _help(pilot, "question_mark")
        await pilot.press("f1")  # f1 closes it again
        await until(pilot, lambda: app.screen is console, what="help to close")
        assert isinstance(page, HelpScreen)


async def test_help_shows_the_keys_of_the_users_keymap(seeded: Seeded, app_factory: Any) -> None:
    app = app_factory(seeded.url, keymap={"ledger": "f7", "run-macro": "f8,ctrl+y"})
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        page = await _help(pilot)
        lines = page.text.splitlines()
        ledger = next(line for line in lines if "Ledger [ledger] — " in line)
        assert ledger.strip().startswith("f7")
        macros = next(line for line in lines if "Macros [run-macro] — " in line)
        assert macros.strip().startswith("f8, ^y")


async def test_the_palette_reaches_every_screen_and_action(
    seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        commands = {command.title: command for command in app.get_system_commands(console)}
        for title in (
            "Help",
            "Presence…",
            "Presence: Offline",
            "Log out",
            "Capacity ledger",
            "Admin settings",
            "Run a macro…",
            "End Chat",
        ):
            assert title in commands, title
        expected = {
            "Help": HelpScreen,
            "Presence…": PresenceMenu,
            "Capacity ledger": LedgerScreen,
            "Admin settings": AdminSettingsScreen,
            "Run a macro…": MacroPickerScreen,
            "Log out": LogoutScreen,
        }
        for title, cls in expected.items():
            commands[title].callback()
            await until(
                pilot,
                lambda cls=cls: isinstance(app.screen, cls) and app.screen.is_mounted,
                what=title,
            )
            # The screen's own work done (the console's worker that opened it waits for it).
            top = app.screen
            await until(
                pilot,
                lambda top=top: all(
                    w.is_finished
                    for w in app.workers
                    if w.node is top or w.node in top.walk_children()
                ),
                what=f"{title}'s workers",
            )
            app.screen.dismiss(None)
            await until(pilot, lambda: app.screen is console, what=f"{title} to close")
