"""Issue 11, "what needs me", alerts and typing at once: unread counts, waiting and the R7
countdown in My sessions; a notification and the bell for a new session, a reply off screen
and an end by someone else (bell switchable in config); the composer has the focus, ctrl+g
brings it back, shift+enter / ctrl+j start a new line and enter sends all of it; it counts
characters and SMS segments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent_console.config import ConfigError, load_settings
from agent_console.services import automation, conversations, listing, reading, routing
from agent_console.services.context import Ctx
from agent_console.tui.widgets.composer import Composer
from agent_console.tui.widgets.conversation import ConversationPane
from agent_console.tui.widgets.session_list import SessionList
from conftest import FakeClock

from .conftest import AGENT, SIZE, Seeded, changed, console_ready, quiet, until, until_async


def notified(app: Any, title: str) -> list[Any]:
    return [n for n in app._notifications if n.title == title]


def entry_text(screen: Any, session_id: int) -> str:
    sessions = screen.query_one(SessionList)
    return str(sessions.get_option(str(session_id)).prompt)


class Bell:
    """Counts the rings of a patched ``app.bell``."""

    def __init__(self) -> None:
        self.rings = 0

    def __call__(self) -> None:
        self.rings += 1


# --------------------------------------------------------------------------- typing at once


async def test_focus_starts_in_the_composer_and_ctrl_g_brings_it_back(
    seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        composer = screen.query_one("#composer", Composer)
        await until(pilot, lambda: app.focused is composer, what="the composer's focus")
        await pilot.press(*"hi")  # typing can start at once
        assert composer.value == "hi"
        screen.query_one(SessionList).focus()
        await pilot.pause()
        await pilot.press("ctrl+g")
        assert app.focused is composer
        screen.query_one("#transcript").focus()
        await pilot.press("ctrl+g")
        assert app.focused is composer


async def test_shift_enter_and_ctrl_j_start_lines_and_enter_sends_them_all(
    ctx: Ctx, seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        composer = screen.query_one("#composer", Composer)
        await until(pilot, lambda: app.focused is composer, what="the composer's focus")
        await pilot.press(*"Line one", "shift+enter", *"line two", "ctrl+j", *"three")
        assert composer.value == "Line one\nline two\nthree"
        await pilot.press("enter")
        want = "Line one\nline two\nthree"

        async def stored() -> bool:
            detail = await listing.show_session(ctx, seeded.alice)
            return detail.messages[-1].text == want

        await until_async(pilot, stored, what="the three lines sent as one message")
        assert composer.value == ""


async def test_the_composer_counts_characters_and_sms_segments(
    seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        pane = screen.query_one(ConversationPane)
        composer = screen.query_one("#composer", Composer)
        await until(pilot, lambda: app.focused is composer, what="the composer's focus")
        assert pane.count_text == "0 chars"
        await pilot.press(*"hello")
        assert pane.count_text == "5 chars"  # Alice writes on WhatsApp: no SMS
        screen.open_session(seeded.bob)  # Bob writes by SMS
        await until(pilot, lambda: pane.session_id == seeded.bob, what="Bob's session")
        await until(pilot, lambda: app.focused is composer, what="the composer's focus")
        composer.value = "a" * 170
        await pilot.pause()
        assert pane.count_text == "170 chars · 2 SMS (GSM-7, 153 per part)"
        composer.value = "Thanks 😀"
        await pilot.pause()
        assert pane.count_text == "8 chars · 1 SMS (UCS-2, 70 in one)"


# --------------------------------------------------------------------------- what needs me


async def test_unread_last_line_and_waiting_under_each_session(
    ctx: Ctx, seeded: Seeded, app_factory: Any, clock: FakeClock
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        # Alice's session is open: read (the marker is stored), nothing new on her entry.
        await until(
            pilot,
            lambda: screen._read_upto.get(seeded.alice, 0) > 0,
            what="Alice's session marked read",
        )
        assert "new" not in entry_text(screen, seeded.alice).splitlines()[2]
        assert "1 new" in entry_text(screen, seeded.bob)
        assert "Is anyone there?" in entry_text(screen, seeded.bob)
        assert "waiting 0s" in entry_text(screen, seeded.bob)

        clock.advance(minutes=4)
        await conversations.inbound(ctx, "Bob", "standard_sms", "[b]Hello?[/b]\nanyone")
        changed(pilot)
        await until(pilot, lambda: "2 new" in entry_text(screen, seeded.bob), what="Bob's 2 unread")
        third = entry_text(screen, seeded.bob).splitlines()[2]
        assert third == "2 new · waiting 0s · [b]Hello?[/b] ⏎ anyone"
        clock.advance(minutes=4)
        screen._tick()
        assert "waiting 4m" in entry_text(screen, seeded.bob)

        # Opening Bob's session reads it: the marker moves, his entry has nothing unread.
        screen.open_session(seeded.bob)
        await until(
            pilot,
            lambda: screen._read_upto.get(seeded.bob, 0) > 0,
            what="Bob's session marked read",
        )
        newest = (await listing.show_session(ctx, seeded.bob)).messages[-1].id

        async def marked() -> bool:
            return await reading.read_marker(ctx, AGENT, seeded.bob) == newest

        await until_async(pilot, marked, what="the read marker stored")
        assert "new" not in entry_text(screen, seeded.bob).splitlines()[2]


async def test_r7_countdown_on_a_session_the_agent_started(
    ctx: Ctx, seeded: Seeded, app_factory: Any, clock: FakeClock
) -> None:
    started = await conversations.outbound(ctx, AGENT, "Olga", "standard_sms", "Your parcel")
    clock.advance(hours=20, minutes=48)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        pane = screen.query_one(ConversationPane)
        screen.open_session(started.session_id)
        await until(pilot, lambda: pane.session_id == started.session_id, what="Olga's session")
        assert pane.countdown_text == "ends by itself in 3 h 12 m unless the customer answers"
        assert "ends in 3h 12m" in entry_text(screen, started.session_id)
        # A customer-initiated session has no countdown.
        screen.open_session(seeded.bob)
        await until(pilot, lambda: pane.session_id == seeded.bob, what="Bob's session")
        assert pane.countdown_text == ""


# --------------------------------------------------------------------------- alerts


async def test_a_reply_on_a_session_not_on_screen_alerts_and_rings(
    ctx: Ctx, seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    bell = Bell()
    async with app.run_test(size=SIZE) as pilot:
        app.bell = bell  # type: ignore[method-assign]
        screen = await console_ready(pilot)
        await until(pilot, lambda: screen._glances is not None, what="the first look")
        # On screen (Alice's): no alert.
        await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", "still there?")
        changed(pilot)
        await until(
            pilot,
            lambda: "still there?" in screen.query_one("#transcript").plain_text,
            what="Alice's line on screen",
        )
        assert notified(app, "Alice wrote") == [] and bell.rings == 0
        # Off screen (Bob's): a notification and the bell.
        await conversations.inbound(ctx, "Bob", "standard_sms", "[@click=app.quit]hurry[/]")
        changed(pilot)
        await until(pilot, lambda: bool(notified(app, "Bob wrote")), what="Bob's alert")
        [note] = notified(app, "Bob wrote")
        assert note.message == f"S-{seeded.bob}: [@click=app.quit]hurry[/]"
        assert not note.markup
        assert bell.rings == 1


async def test_a_new_session_and_an_end_by_someone_else_alert(
    ctx: Ctx, seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    bell = Bell()
    async with app.run_test(size=SIZE) as pilot:
        app.bell = bell  # type: ignore[method-assign]
        screen = await console_ready(pilot)
        await until(pilot, lambda: screen._glances is not None, what="the first look")
        new = await conversations.inbound(ctx, "Chen", "standard_sms", "Hi there")
        assert [a.agent for a in await routing.route(ctx)] == [AGENT]
        changed(pilot)
        await until(pilot, lambda: bool(notified(app, "New session")), what="the new session")
        assert notified(app, "New session")[0].message == (
            f"Chen (S-{new.session_id} · Standard SMS): Hi there"
        )
        assert bell.rings == 1
        # A trigger (not dana) ends Bob's session.
        await automation.fire_trigger(ctx, "escalated", seeded.bob)
        changed(pilot)
        await until(pilot, lambda: bool(notified(app, "Session ended")), what="the end alert")
        assert notified(app, "Session ended")[0].message.startswith(f"S-{seeded.bob} with Bob")
        assert bell.rings == 2


async def test_the_agents_own_end_raises_no_alert(seeded: Seeded, app_factory: Any) -> None:
    app = app_factory(seeded.url, end_undo_seconds=0)  # the end itself, not its Undo time
    bell = Bell()
    async with app.run_test(size=SIZE) as pilot:
        app.bell = bell  # type: ignore[method-assign]
        screen = await console_ready(pilot)
        await until(pilot, lambda: screen.detail is not None, what="Alice's session")
        await pilot.press("ctrl+e")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.status == "Ended",
            what="Alice's session ended",
        )
        await until(pilot, lambda: not screen._refreshes.wanted, what="the refresh")
        await quiet(pilot)
        assert notified(app, "Session ended") == [] and bell.rings == 0


async def test_bell_off_keeps_the_notification_and_silences_the_bell(
    ctx: Ctx, seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url, bell=False)
    bell = Bell()
    async with app.run_test(size=SIZE) as pilot:
        app.bell = bell  # type: ignore[method-assign]
        screen = await console_ready(pilot)
        await until(pilot, lambda: screen._glances is not None, what="the first look")
        await conversations.inbound(ctx, "Bob", "standard_sms", "hello?")
        changed(pilot)
        await until(pilot, lambda: bool(notified(app, "Bob wrote")), what="Bob's alert")
        assert bell.rings == 0


def test_bell_in_the_config_file(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('theme = "agent-dark"\n', encoding="utf-8")
    assert load_settings(file, env={}).bell is True  # rings unless told not to
    file.write_text("bell = false\n", encoding="utf-8")
    assert load_settings(file, env={}).bell is False
    file.write_text('bell = "no"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match='key "bell": value "no" must be true or false'):
        load_settings(file, env={})


async def test_a_refresh_leaves_the_highlight_where_the_agent_moved_it(
    ctx: Ctx, seeded: Seeded, app_factory: Any
) -> None:
    """Walking My sessions with the arrows while a customer writes: the refresh that shows
    the new count must not put the highlight back on the open session (enter would open the
    wrong one)."""
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        sessions = screen.query_one(SessionList)
        await until(pilot, lambda: app.focused is screen.query_one("#composer", Composer))
        sessions.focus()
        await pilot.press("down")
        assert sessions.highlighted == 1  # Bob's, while Alice's stays open
        await conversations.inbound(ctx, "Bob", "standard_sms", "hello again")
        changed(pilot)
        await until(
            pilot,
            lambda: "hello again" in str(sessions.get_option_at_index(1).prompt),
            what="Bob's new line in My sessions",
        )
        assert sessions.highlighted == 1
        await pilot.press("enter")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == seeded.bob,
            what="Bob's session to open",
        )
