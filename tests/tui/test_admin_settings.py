"""Admin settings: an admin changes R8 and sees End Chat disabled with the reason; R9 shows in
the "what will happen" line; invalid values show the service's message; a non-admin sees why
they cannot change anything and the service refuses anyway."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, Input, Select, Switch

from agent_console.services import agents, listing, settings
from agent_console.services.context import Ctx
from agent_console.services.views import ActionId
from agent_console.tui.screens.admin_settings import AdminSettingsScreen
from agent_console.tui.widgets.conversation import ConversationPane
from agent_console.tui.widgets.conversation_text import find_action
from conftest import FakeClock

from .conftest import ADMIN, AGENT, SIZE, Seeded, click, console_ready, until, until_async


async def _settings_dict(ctx: Ctx) -> dict[str, tuple[str, bool]]:
    return {v.key: (v.value, v.explicit) for v in await settings.list_settings(ctx)}


async def _open(pilot: Any) -> AdminSettingsScreen:
    await pilot.press("f2")
    await until(
        pilot, lambda: isinstance(pilot.app.screen, AdminSettingsScreen), what="the settings"
    )
    screen = pilot.app.screen
    assert isinstance(screen, AdminSettingsScreen)
    await until(pilot, lambda: screen.loaded, what="the settings to load")
    # Mounted is not yet laid out: a click lands on a widget only once it has its place.
    await until(
        pilot,
        lambda: all(w.region.area > 0 for w in screen.query("#settings-form Switch")),
        what="the settings to be laid out",
    )
    await pilot.pause()
    return screen


async def test_admin_turns_r8_off_and_end_chat_is_disabled_with_the_reason(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await agents.set_agent(ctx, AGENT, is_admin=True)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        assert console.query_one("#end-chat", Button).disabled is False
        page = await _open(pilot)
        assert "Changes apply when you save" in str(page.query_one("#settings-access").render())
        switch = page.query_one("#setting-agents_can_end", Switch)
        assert switch.value is True and switch.disabled is False
        await click(pilot, "#setting-agents_can_end")
        await until(pilot, lambda: switch.value is False, what="the switch to turn off")
        await pilot.press("ctrl+s")

        async def saved() -> bool:
            return (await _settings_dict(ctx))["agents_can_end"] == ("off", True)

        await until_async(pilot, saved, what="R8 to be saved")
        await until(pilot, lambda: "Saved 1 change" in page.status_text, what="the status")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, what="back to the console")

        expected = find_action(
            await listing.show_session(ctx, seeded.alice, as_agent=AGENT), ActionId.END_CHAT
        )
        assert expected is not None and not expected.allowed
        pane = console.query_one(ConversationPane)
        await until(
            pilot,
            lambda: console.query_one("#end-chat", Button).disabled,
            what="End Chat to be disabled",
        )
        assert expected.reason in pane.end_reason_text
        assert "setting is off" in pane.end_reason_text


async def test_admin_turns_r9_on_and_the_pane_says_a_survey_will_be_sent(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await agents.set_agent(ctx, AGENT, is_admin=True)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        pane = console.query_one(ConversationPane)
        outlook = pane.end_outlook_text
        assert 'the customer sees "Session ended by dana at 09:00 UTC"' in outlook.replace(
            "“", '"'
        ).replace("”", '"')
        assert "no CSAT survey: the CSAT-on-agent-end setting is off" in outlook
        assert "its 1 unit stays held until you close the tab (tab-based)" in outlook

        page = await _open(pilot)
        switch = page.query_one("#setting-csat_on_agent_end", Switch)
        switch.focus()
        await pilot.press("enter")  # keyboard: enter toggles a switch
        await until(pilot, lambda: switch.value is True)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Saved 1 change" in page.status_text, what="the save")
        assert (await _settings_dict(ctx))["csat_on_agent_end"] == ("on", True)
        await pilot.press("escape")
        await until(
            pilot,
            lambda: "a CSAT survey will be sent to the customer" in pane.end_outlook_text,
            what="the outlook to follow R9",
        )


async def test_capacity_model_units_and_agent_capacity_and_the_services_messages(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await agents.set_agent(ctx, AGENT, is_admin=True)
    before = await _settings_dict(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        page = await _open(pilot)
        page.query_one("#model-standard_sms", Select).value = "status-based"
        page.query_one("#setting-capacity_model", Select).value = "status-based"
        units = page.query_one("#units-enhanced_whatsapp", Input)
        units.focus()
        await pilot.press("end", "backspace", "0")  # 1 -> 0: out of range
        bad_units = page.query_one("#units-byoc", Input)
        bad_units.value = "lots"
        capacity = page.query_one("#capacity-1", Input)  # dana is the first agent added
        capacity.value = "7"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "refused" in page.status_text, what="the save to finish")
        assert "Saved 3 changes; 2 refused" in page.status_text

        # Each refusal is the service's message, beside its field.
        assert page.error_text("units-enhanced_whatsapp") == (
            "channel.enhanced_whatsapp.units: units must be between 1 and 100, got 0"
        )
        assert page.error_text("units-byoc") == (
            "channel.byoc.units: expected a whole number of units, got 'lots'"
        )
        assert page.error_text("capacity-1") == ""

        after = await _settings_dict(ctx)
        assert after["channel.standard_sms.capacity_model"] == ("status-based", True)
        assert after["capacity_model"] == ("status-based", True)
        assert after["channel.enhanced_whatsapp.units"] == before["channel.enhanced_whatsapp.units"]
        assert after["channel.byoc.units"] == before["channel.byoc.units"]
        assert (await agents.get_agent(ctx, AGENT)).capacity == 7

        # "default" removes the channel's own value again.
        page.query_one("#model-standard_sms", Select).value = "default"
        units.value = "1"
        bad_units.value = "1"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: page.status_text == "Saved 1 change.", what="the 2nd save")
        assert (await _settings_dict(ctx))["channel.standard_sms.capacity_model"] == (
            "status-based",  # the deployment default is status-based now
            False,
        )
        assert page.error_text("units-enhanced_whatsapp") == ""


async def test_a_non_admin_sees_why_and_the_service_refuses_anyway(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    before = await _settings_dict(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        page = await _open(pilot)
        access = str(page.query_one("#settings-access").render())
        assert "Only admins can change settings: dana is not an admin" in access
        assert page.query_one("#setting-agents_can_end", Switch).disabled
        assert page.query_one("#units-standard_sms", Input).disabled
        assert page.query_one("#settings-save-button", Button).disabled

        # Even if the form were edited, the services refuse the non-admin.
        page.query_one("#setting-agents_can_end", Switch).value = False
        page.query_one("#capacity-1", Input).value = "50"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "refused" in page.status_text, what="the refusal")
        assert page.error_text("setting-agents_can_end") == (
            "only admins can change settings: dana is not an admin"
        )
        assert page.error_text("capacity-1") == (
            "only admins can change settings: dana is not an admin"
        )
    assert await _settings_dict(ctx) == before
    assert (await agents.get_agent(ctx, AGENT)).capacity == 5
    assert (await agents.get_agent(ctx, ADMIN)).is_admin


async def test_at_80x24_the_what_will_happen_line_is_short_and_the_full_one_a_tooltip(
    seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=(80, 24)) as pilot:
        console = await console_ready(pilot)
        pane = console.query_one(ConversationPane)
        await until(pilot, lambda: pane.end_outlook_text.startswith("Ending: "))
        assert pane.end_outlook_text == (
            "Ending: “Session ended by dana at 09:00 UTC” · no CSAT survey · 1 unit held until tab "
            "closed"
        )
        tooltip = str(console.query_one("#end-outlook").tooltip)
        assert "no CSAT survey: the CSAT-on-agent-end setting is off" in tooltip


async def test_the_end_line_in_the_outlook_follows_the_clock(
    seeded: Seeded, app_factory: Any, clock: FakeClock
) -> None:
    """The outlook quotes the line End Chat would send, with its time: it moves on with the
    clock's tick, not only when the database changes."""
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        pane = console.query_one(ConversationPane)
        assert "by dana at 09:00 UTC" in pane.end_outlook_text
        clock.advance(minutes=7)
        console._tick()  # the console's clock tick (CLOCK_TICK), nothing written meanwhile
        await pilot.pause()
        assert "by dana at 09:07 UTC" in pane.end_outlook_text
