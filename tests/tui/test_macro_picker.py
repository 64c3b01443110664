"""The macro picker (R10): the service's macros, run on the open session, each step's result on
screen -- including "end step skipped: ..." when R8 forbids the agent's end."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList

from agent_console.domain.vocab import Presence
from agent_console.services import automation, listing, presence, settings
from agent_console.services.context import Ctx
from agent_console.tui.screens.confirm import ConfirmScreen
from agent_console.tui.screens.macro_picker import MacroPickerScreen

from .conftest import ADMIN, AGENT, SIZE, Seeded, click, console_ready, until

ESCALATE = "Escalate to Tier 2"


async def _picker(pilot: Any) -> MacroPickerScreen:
    await pilot.press("ctrl+r")
    await until(pilot, lambda: isinstance(pilot.app.screen, MacroPickerScreen), what="picker")
    picker = pilot.app.screen
    assert isinstance(picker, MacroPickerScreen)
    options = picker.query_one("#macro-options", OptionList)
    await until(pilot, lambda: options.option_count > 0, what="the macros to load")
    return picker


async def _confirm(pilot: Any) -> None:
    """A chosen macro asks first (issue 11); y runs it."""
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the question")
    await pilot.press("y")


async def test_the_picker_lists_the_services_macros(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    macros = await automation.list_macros(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        picker = await _picker(pilot)
        assert picker.session_id == seeded.alice
        options = picker.query_one("#macro-options", OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(shown) == len(macros)
        for (name, description), text in zip(macros, shown, strict=True):
            assert name in text and description in text
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the picker to close")
    detail = await listing.show_session(ctx, seeded.alice)
    assert detail.session.status == "Active" and detail.escalated_to is None


async def test_r10_escalate_to_tier_2_runs_every_step(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        picker = await _picker(pilot)
        options = picker.query_one("#macro-options", OptionList)
        index = options.get_option_index(ESCALATE)
        options.highlighted = index
        await pilot.press("enter")
        await _confirm(pilot)
        await until(pilot, lambda: picker.result is not None, what="the macro to run")
        texts = picker.result_texts
        assert texts[0] == "✓ note: internal note added"
        assert texts[1] == "✓ transfer: case transferred to Tier 2"
        assert texts[2].startswith("✓ end: ended")
        assert any("trigger skipped" in t and "already ended" in t for t in texts[3:])
        await pilot.press("enter")  # Close
        await until(pilot, lambda: app.screen is screen, what="the picker to close")

    detail = await listing.show_session(ctx, seeded.alice)
    assert detail.session.status == "Ended"
    assert detail.escalated_to == "Tier 2"
    assert detail.end is not None
    assert (detail.end.actor_kind, detail.end.actor, detail.end.surface) == (
        "macro",
        ESCALATE,
        "macro",
    )
    notes = [m.text for m in detail.messages if m.author_kind == "system"]
    assert f"Note by {AGENT}: Escalated to Tier 2" in notes
    assert f"Case transferred to Tier 2 by {AGENT}" in notes


async def test_r8_off_the_end_step_is_skipped_with_the_reason_and_the_trigger_still_ends(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await settings.set_setting(ctx, "agents_can_end", "off", admin=ADMIN)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        picker = await _picker(pilot)
        options = picker.query_one("#macro-options", OptionList)
        # Mouse: click the Escalate entry (each entry is two lines).
        row = options.get_option_index(ESCALATE) * 2
        await click(pilot, "#macro-options", offset=(4, row))
        await _confirm(pilot)
        await until(pilot, lambda: picker.result is not None, what="the macro to run")
        texts = picker.result_texts
        assert "✗ end step skipped: agents may not end sessions: setting is off" in texts
        # R8 does not stop automatic endings: the "when escalated" trigger ends it (R10).
        assert any(t.startswith(f"⚡ trigger ended S-{seeded.alice}") for t in texts)
        await click(pilot, "#macro-done")
        await until(pilot, lambda: not isinstance(app.screen, MacroPickerScreen))

    detail = await listing.show_session(ctx, seeded.alice)
    assert detail.end is not None
    assert (detail.end.actor_kind, detail.end.surface) == ("trigger", "trigger")
    assert detail.escalated_to == "Tier 2"


async def test_a_refused_macro_shows_the_services_reason_and_changes_nothing(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url, poll_interval=60)  # this console does not see the change
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        picker = await _picker(pilot)
        # Meanwhile dana's other console goes Offline: the session goes back to Waiting (R5).
        await presence.set_presence(ctx, AGENT, Presence.OFFLINE)
        await pilot.press("enter")
        await _confirm(pilot)
        await until(pilot, lambda: picker.error is not None, what="the refusal")
        expected = f"not the owner: S-{seeded.alice} is owned by nobody"
        assert picker.error == expected
        assert picker.result_texts == [expected]
    detail = await listing.show_session(ctx, seeded.alice)
    assert detail.session.status == "Waiting" and detail.escalated_to is None
    assert not any(m.text.startswith("Note by") for m in detail.messages)
