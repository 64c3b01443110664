"""Issue 11: Away reasons and the time in the current presence, on screen; defect 3 of the
admin settings (a saved default model shows at once, on one line, and says it applies to new
sessions only)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, OptionList, Select, Static

from agent_console.services import agents, listing, settings
from agent_console.services.context import Ctx
from agent_console.tui.screens.admin_settings import NEW_SESSIONS_ONLY, AdminSettingsScreen
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.screens.presence_menu import PresenceMenu
from conftest import FakeClock

from .conftest import AGENT, SIZE, Seeded, click, console_ready, until, until_async


def presence_text(screen: ConsoleScreen) -> str:
    return str(screen.query_one("#presence").render())


async def open_menu(pilot: Any) -> PresenceMenu:
    await pilot.press("ctrl+o")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, PresenceMenu) and pilot.app.screen.is_mounted,
        what="the presence menu",
    )
    menu = pilot.app.screen
    assert isinstance(menu, PresenceMenu)
    return menu


async def test_choosing_away_lunch_under_busy_shows_it_with_the_minutes_in_it(
    seeded: Seeded, ctx: Ctx, clock: FakeClock, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        assert "● Online · 0m" in presence_text(screen)
        menu = await open_menu(pilot)
        options = menu.query_one("#presence-options", OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["Online", "Busy", "away-0", "away-1", "away-2", "Offline", "Log out"]
        assert "Away: Lunch" in str(options.get_option("away-1").prompt)
        await pilot.press("down", "down", "down", "enter")  # Busy, Break, Lunch

        async def at_lunch() -> bool:
            me = await agents.get_agent(ctx, AGENT)
            return (me.presence, me.away_reason) == ("Busy", "Lunch")

        await until_async(pilot, at_lunch, what="Away: Lunch")
        await until(
            pilot,
            lambda: "Away: Lunch · 0m" in presence_text(screen),
            what="the status bar to say Away: Lunch · 0m",
        )
        # Away is Busy with a reason: plain Busy is still offered by the palette.
        assert "Presence: Busy" in [c.title for c in screen.palette_commands()]
        # Busy: the sessions stay.
        for sid in (seeded.alice, seeded.bob):
            row = (await listing.show_session(ctx, sid)).session
            assert (row.status, row.owner) == ("Active", AGENT)

        # Minutes pass with nothing else changing: the status bar's timer draws them.
        clock.advance(minutes=12, seconds=30)
        screen.tick_presence()
        assert "Away: Lunch · 12m" in presence_text(screen)
        clock.advance(hours=1)
        screen.tick_presence()
        assert "Away: Lunch · 1h 12m" in presence_text(screen)

        # The menu marks the reason now in effect, with the time in it, and opens on it.
        menu = await open_menu(pilot)
        options = menu.query_one("#presence-options", OptionList)
        assert options.highlighted == options.get_option_index("away-1")
        assert "(now · 1h 12m)" in str(options.get_option("away-1").prompt)
        assert "(now" not in str(options.get_option("Busy").prompt)

        # b is Busy with no reason: the reason goes, the time starts again.
        await pilot.press("b")
        await until(
            pilot, lambda: "● Busy · 0m" in presence_text(screen), what="Busy without a reason"
        )
        assert (await agents.get_agent(ctx, AGENT)).away_reason is None


async def test_reasons_the_admin_set_are_the_ones_offered(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await settings.set_setting(ctx, "presence.away_reasons", "Coaching, Meeting", admin="root")
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        menu = await open_menu(pilot)
        options = menu.query_one("#presence-options", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(4)]
        assert "Away: Coaching" in prompts[2] and "Away: Meeting" in prompts[3]
        await click(pilot, "#presence-options", offset=(8, 5))  # "Away: Meeting"

        async def meeting() -> bool:
            return (await agents.get_agent(ctx, AGENT)).away_reason == "Meeting"

        await until_async(pilot, meeting, what="Away: Meeting")


async def _open_settings(pilot: Any) -> AdminSettingsScreen:
    await pilot.press("f2")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, AdminSettingsScreen) and pilot.app.screen.loaded,
        what="the settings",
    )
    page = pilot.app.screen
    assert isinstance(page, AdminSettingsScreen)
    await pilot.pause()
    return page


def choice_label(select: Select[str]) -> Static:
    return select.query_one("SelectCurrent #label", Static)


def shown_choice(select: Select[str]) -> str:
    """What a Select shows (its current label), as the agent reads it."""
    return str(choice_label(select).content)


async def test_defect3_the_channels_default_names_the_saved_model_at_once_on_one_line(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await agents.set_agent(ctx, AGENT, is_admin=True)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        page = await _open_settings(pilot)
        sms = page.query_one("#model-standard_sms", Select)
        assert shown_choice(sms) == "default (tab-based)"
        page.query_one("#setting-capacity_model", Select).value = "status-based"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: page.status_text.startswith("Saved 1 change."), what="save")
        await pilot.pause()
        # Without f5: every channel that follows the default names the saved one.
        for select in page.query("#settings-form Select").results(Select):
            if select.id and select.id.startswith("model-"):
                assert shown_choice(select) == "default (status-based)", select.id
                assert select.value == "default"
                label = choice_label(select)
                assert label.region.height == 1, f"{select.id} wraps at 120 columns"
                assert label.region.width >= len("default (status-based)"), select.id
        assert page.changed() == []  # nothing left to save


async def test_defect3_a_capacity_model_change_says_it_applies_to_new_sessions_only(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await agents.set_agent(ctx, AGENT, is_admin=True)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        page = await _open_settings(pilot)
        assert str(page.query_one("#settings-model-note").render()) == NEW_SESSIONS_ONLY
        page.query_one("#model-standard_sms", Select).value = "status-based"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: page.status_text.startswith("Saved 1 change."), what="save")
        assert page.status_text == (
            "Saved 1 change. The capacity model applies to new sessions only; 1 ongoing "
            "session keeps the model it started with."
        )
        bob = (await listing.show_session(ctx, seeded.bob)).session
        assert bob.capacity_model == "tab-based"  # it does: Bob's session kept its model


async def test_an_admin_edits_the_away_reasons_and_a_bad_list_is_refused_beside_the_field(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await agents.set_agent(ctx, AGENT, is_admin=True)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        page = await _open_settings(pilot)
        field = page.query_one("#setting-away_reasons", Input)
        assert field.value == "Break, Lunch, Training"
        field.value = "Lunch, lunch"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "refused" in page.status_text, what="the refusal")
        assert page.error_text("setting-away_reasons") == (
            "presence.away_reasons: 'lunch' is given twice"
        )
        field.value = "Break,Coaching"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: page.status_text == "Saved 1 change.", what="the save")
        assert field.value == "Break, Coaching"  # as stored
        assert (await settings.get_policy(ctx)).away_reasons == ("Break", "Coaching")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the console")
        menu = await open_menu(pilot)
        options = menu.query_one("#presence-options", OptionList)
        assert "Away: Coaching" in str(options.get_option("away-1").prompt)
