"""The console screen against a real database: lists, replies, End Chat (R1, R2, R8), presence."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button

from agent_console.domain.vocab import Presence
from agent_console.services import agents, listing, settings
from agent_console.services.context import Ctx
from agent_console.services.views import ActionId
from agent_console.tui.screens.offline_preview import OfflinePreviewScreen
from agent_console.tui.screens.presence_menu import PresenceMenu
from agent_console.tui.widgets.composer import Composer
from agent_console.tui.widgets.conversation import ConversationPane
from agent_console.tui.widgets.conversation_text import find_action
from agent_console.tui.widgets.session_list import SessionList
from agent_console.tui.widgets.status_bar import StatusBar
from agent_console.tui.widgets.transcript import Transcript

from .conftest import ADMIN, AGENT, SIZE, Seeded, console_ready, quiet, until, until_async


def _text(widget: Any) -> str:
    return str(widget.content)


async def test_console_shows_the_agents_sessions_presence_and_capacity(
    seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        assert [row.id for row in screen.rows] == [seeded.alice, seeded.bob]
        options = screen.query_one(SessionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(f"S-{seeded.alice}" in p and "Alice" in p for p in prompts)
        assert any(f"S-{seeded.bob}" in p and "Bob" in p for p in prompts)
        bar = screen.query_one(StatusBar)
        assert AGENT in _text(bar.query_one("#agent-name"))
        assert "Online" in _text(bar.query_one("#presence"))
        assert "Capacity 2/5 units" in _text(bar.query_one("#capacity"))
        # The first session is open, with its transcript and HH:MM times (UTC, fake clock).
        transcript = screen.query_one(Transcript).plain_text
        assert "09:00  Alice  Hello, my order?" in transcript


async def test_selecting_a_session_opens_it(seeded: Seeded, app_factory: Any) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        # The console starts with the focus in the open session's composer (issue 11): wait
        # for it to land there before moving it, or it lands after and takes the keys.
        await until(
            pilot,
            lambda: app.focused is screen.query_one("#composer", Composer),
            what="the composer's first focus",
        )
        screen.query_one(SessionList).focus()
        await pilot.press("down", "enter")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == seeded.bob,
            what="Bob's session to open",
        )
        assert "Is anyone there?" in screen.query_one(Transcript).plain_text
        assert app.focused is screen.query_one("#composer", Composer)
        await pilot.press(*"half a reply")
        await pilot.press("ctrl+up")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == seeded.alice,
            what="ctrl+up to open Alice's session",
        )
        composer = screen.query_one("#composer", Composer)
        assert composer.value == ""
        await pilot.press("ctrl+down")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == seeded.bob,
            what="ctrl+down to open Bob's session again",
        )
        assert composer.value == "half a reply"  # the unsent draft stayed with its session


async def test_a_reply_typed_in_the_composer_is_stored(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        screen.query_one("#composer", Composer).focus()
        await pilot.press(*"On its way")
        await pilot.press("enter")

        async def stored() -> bool:
            detail = await listing.show_session(ctx, seeded.alice)
            return detail.messages[-1].text == "On its way"

        await until_async(pilot, stored, what="the reply to be stored")
        detail = await listing.show_session(ctx, seeded.alice)
        assert (detail.messages[-1].author_kind, detail.messages[-1].author) == ("agent", AGENT)
        await until(
            pilot,
            lambda: "dana  On its way" in screen.query_one(Transcript).plain_text,
            what="the reply in the transcript",
        )
        assert screen.query_one("#composer", Composer).value == ""


async def test_r1_end_chat_ends_the_session_and_r2_tab_frees_capacity_when_closed(
    seeded: Seeded, ctx: Ctx, clock: Any, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        assert screen.query_one("#end-chat", Button).disabled is False
        screen.query_one("#composer", Composer).focus()  # ctrl+e works while typing too
        await pilot.press("ctrl+e")
        # End Chat's Undo time (issue 11, defect 7): the end is committed once it has passed.
        await until(pilot, lambda: screen.pending_ends == [seeded.alice], what="the Undo time")
        clock.advance(seconds=5)

        async def ended() -> bool:
            return (await listing.show_session(ctx, seeded.alice)).session.status == "Ended"

        await until_async(pilot, ended, what="the session to end")
        detail = await listing.show_session(ctx, seeded.alice)
        assert detail.end is not None
        assert (detail.end.actor, detail.end.surface) == (AGENT, "conversation")
        assert detail.session.tab_open and detail.session.units_held == 1
        assert (await agents.get_agent(ctx, AGENT)).used == 2  # tab-based: still held

        pane = screen.query_one(ConversationPane)
        await until(
            pilot,
            lambda: "close the tab to free capacity" in pane.tab_note_text,
            what="the R2 note",
        )
        assert "^t" in pane.tab_note_text  # the key that closes the tab
        assert "Session ended by dana" in screen.query_one(Transcript).plain_text

        await pilot.press("ctrl+t")

        async def closed() -> bool:
            return not (await listing.show_session(ctx, seeded.alice)).session.tab_open

        await until_async(pilot, closed, what="the tab to close")
        assert (await agents.get_agent(ctx, AGENT)).used == 1
        await until(
            pilot,
            lambda: [row.id for row in screen.rows] == [seeded.bob],
            what="the closed tab to leave the list",
        )
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == seeded.bob,
            what="the next session to open",
        )


async def test_r8_end_chat_disabled_with_the_reason_and_the_key_does_nothing(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await settings.set_setting(ctx, "agents_can_end", "off", admin=ADMIN)
    expected = find_action(
        await listing.show_session(ctx, seeded.alice, as_agent=AGENT), ActionId.END_CHAT
    )
    assert expected is not None and not expected.allowed

    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        assert screen.query_one("#end-chat", Button).disabled is True
        pane = screen.query_one(ConversationPane)
        assert expected.reason in pane.end_reason_text
        assert screen.check_action("end_chat", ()) is None  # shown, but disabled

        screen.query_one("#composer", Composer).focus()
        await pilot.press("ctrl+e")
        await quiet(pilot)
        detail = await listing.show_session(ctx, seeded.alice)
        assert detail.session.status == "Active"
        assert detail.end is None
        assert app.screen is screen


async def test_r5_going_offline_asks_first_and_cancel_changes_nothing(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await pilot.press("ctrl+o")  # the presence menu; Busy asks nothing
        await until(pilot, lambda: isinstance(app.screen, PresenceMenu), what="the menu")
        await pilot.press("b")

        async def presence_is(value: str) -> bool:
            return (await agents.get_agent(ctx, AGENT)).presence == value

        await until_async(pilot, lambda: presence_is("Busy"), what="Busy")
        await until(
            pilot, lambda: screen.agent_view is not None and screen.agent_view.presence == "Busy"
        )

        await pilot.press("ctrl+o", "f")  # Offline: effects first
        await until(pilot, lambda: isinstance(app.screen, OfflinePreviewScreen), what="the preview")
        question = app.screen
        assert isinstance(question, OfflinePreviewScreen)
        shown = " ".join(question.effect_texts)
        assert f"S-{seeded.alice}" in shown and "back to Waiting" in shown
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen, what="the preview to close")
        await quiet(pilot)
        assert await presence_is("Busy")

        await pilot.press("ctrl+o", "f")
        await until(pilot, lambda: isinstance(app.screen, OfflinePreviewScreen), what="the preview")
        await pilot.press("y")
        await until_async(pilot, lambda: presence_is(Presence.OFFLINE.value), what="Offline")
        # Tab-based capacity: each Active session went back to Waiting (R5).
        for sid in (seeded.alice, seeded.bob):
            assert (await listing.show_session(ctx, sid)).session.status == "Waiting"
        await until(pilot, lambda: screen.rows == [], what="the list to empty")
