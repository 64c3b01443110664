"""The composer's draft survives a crash (it is in the database a moment after typing stops)
and a failed send (the send clears it only in the transaction that stores the reply)."""

from __future__ import annotations

from typing import Any

from agent_console.domain.vocab import Surface
from agent_console.services import drafts, ending, listing
from agent_console.services.context import Ctx
from agent_console.tui.widgets.composer import Composer
from agent_console.tui.widgets.conversation import ConversationPane

from .conftest import AGENT, SIZE, Seeded, console_ready, quiet, until, until_async

HOSTILE = "\x1b]52;c;ZXZpbA==\x07 [@click=app.quit]x[/] [/bold] \u202eevil\u202c \x9b31m ok"


async def _draft_is(ctx: Ctx, sid: int, text: str) -> bool:
    return await drafts.load_draft(ctx, AGENT, sid) == text


async def drafts_settled(pilot: Any, screen: Any) -> None:
    """No draft waits for the debounce and no save is running: nothing more will be written
    (instead of sleeping longer than the debounce)."""
    await quiet(pilot)  # the composer's last changes handled
    await until(pilot, lambda: not screen._pending_drafts, what="no draft waiting to be saved")
    await quiet(pilot)  # the last save, if one started, committed


async def test_a_draft_survives_a_restart(seeded: Seeded, ctx: Ctx, app_factory: Any) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        composer = screen.query_one("#composer", Composer)
        composer.focus()
        await pilot.press(*"Your refund is")
        await until_async(
            pilot, lambda: _draft_is(ctx, seeded.alice, "Your refund is"), what="the save"
        )
        # The console goes away without any chance to save (as in a crash: nothing runs
        # at exit that the draft depends on).
    assert await _draft_is(ctx, seeded.alice, "Your refund is")

    again = app_factory(seeded.url)
    async with again.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        composer = screen.query_one("#composer", Composer)
        await until(pilot, lambda: composer.value == "Your refund is", what="the draft back")
        # Typing goes on at the end of the draft, and is saved in turn.
        composer.focus()
        await pilot.press(*" on its way")
        await until_async(
            pilot,
            lambda: _draft_is(ctx, seeded.alice, "Your refund is on its way"),
            what="the longer draft",
        )


async def test_each_session_loads_its_own_draft(seeded: Seeded, ctx: Ctx, app_factory: Any) -> None:
    await drafts.save_draft(ctx, AGENT, seeded.bob, "for Bob")
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        composer = screen.query_one("#composer", Composer)
        await quiet(pilot)  # Alice's draft looked for
        assert composer.value == ""  # Alice has none
        await pilot.press("ctrl+down")
        await until(pilot, lambda: composer.value == "for Bob", what="Bob's draft")
        # Loading a draft does not write it again, nor does switching away.
        assert await _draft_is(ctx, seeded.alice, "")


async def test_a_sent_reply_clears_the_draft(seeded: Seeded, ctx: Ctx, app_factory: Any) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        composer = screen.query_one("#composer", Composer)
        composer.focus()
        await pilot.press(*"Done")
        await until_async(pilot, lambda: _draft_is(ctx, seeded.alice, "Done"), what="the save")
        await pilot.press(*"!", "enter")  # sent before the debounce wrote "Done!"

        async def sent() -> bool:
            return (await listing.show_session(ctx, seeded.alice)).messages[-1].text == "Done!"

        await until_async(pilot, sent, what="the reply")
        await drafts_settled(pilot, screen)  # no stale save comes back
        assert await _draft_is(ctx, seeded.alice, "")
        assert composer.value == ""


async def test_a_failed_send_keeps_the_draft(seeded: Seeded, ctx: Ctx, app_factory: Any) -> None:
    app = app_factory(seeded.url, poll_interval=60)  # this console has not seen the end yet
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        composer = screen.query_one("#composer", Composer)
        composer.focus()
        await pilot.press(*"Let me check")
        await until_async(
            pilot, lambda: _draft_is(ctx, seeded.alice, "Let me check"), what="the save"
        )
        # Someone else (dana's other console) ends the session before this reply is sent.
        assert (
            await ending.end_session(ctx, AGENT, seeded.alice, Surface.CONVERSATION)
        ).result == "ended"
        await pilot.press("enter")
        await until(pilot, lambda: composer.value == "Let me check", what="the text back")
        await drafts_settled(pilot, screen)
        assert await _draft_is(ctx, seeded.alice, "Let me check")
        detail = await listing.show_session(ctx, seeded.alice)
        assert "Let me check" not in [m.text for m in detail.messages]
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.status == "Ended",
            what="the console to show the end",
        )
        assert composer.value == "Let me check"  # still there to copy


async def test_hostile_draft_text_is_stored_and_restored_byte_identical(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        composer = screen.query_one("#composer", Composer)
        composer.value = HOSTILE  # as if pasted
        await until_async(pilot, lambda: _draft_is(ctx, seeded.alice, HOSTILE), what="the save")
    stored = await drafts.load_draft(ctx, AGENT, seeded.alice)
    assert stored.encode() == HOSTILE.encode()
    again = app_factory(seeded.url)
    async with again.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        composer = screen.query_one("#composer", Composer)
        await until(pilot, lambda: composer.value == HOSTILE, what="the draft back")
        assert again.is_running  # no markup ran, nothing quit
        assert screen.query_one(ConversationPane).session_id == seeded.alice
