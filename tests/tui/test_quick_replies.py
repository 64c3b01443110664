"""Quick replies in the console (issue 11): f4 opens the picker, typing filters it (fuzzy,
names first), enter inserts the filled text into the composer at the cursor -- not sent --
escape leaves the draft untouched; admins edit the quick replies from Admin settings (f4)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Label, OptionList, TextArea

from agent_console.domain.vocab import Surface
from agent_console.services import agents, drafts, ending, listing, quick_replies
from agent_console.services.context import Ctx
from agent_console.tui.screens.admin_settings import AdminSettingsScreen
from agent_console.tui.screens.confirm import ConfirmScreen
from agent_console.tui.screens.quick_replies_admin import (
    QuickRepliesScreen,
    QuickReplyEditorScreen,
)
from agent_console.tui.screens.quick_reply_picker import QuickReplyPickerScreen
from agent_console.tui.widgets.composer import Composer

from .conftest import ADMIN, AGENT, SIZE, Seeded, changed, click, console_ready, until, until_async

REPLIES = [
    ("Greeting", "Hi {customer}, I'm {agent}. How can I help?"),
    ("Tracking link", "Follow your parcel at https://example.com/track"),
    ("Goodbye", "Thanks {customer}, have a nice day!"),
    ("Refund", "Your refund for {channel} is on its way, {customer}."),
]


async def add_replies(ctx: Ctx) -> None:
    for name, text in REPLIES:
        await quick_replies.add_quick_reply(ctx, name, text, admin=ADMIN)


async def open_picker(pilot: Any) -> QuickReplyPickerScreen:
    await pilot.press("f4")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, QuickReplyPickerScreen) and pilot.app.screen.loaded,
        what="the quick replies",
    )
    picker = pilot.app.screen
    assert isinstance(picker, QuickReplyPickerScreen)
    return picker


def composer_of(screen: Any) -> Composer:
    return screen.query_one("#composer", Composer)


async def test_pick_by_fuzzy_search_fills_the_composer_without_sending(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await add_replies(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        picker = await open_picker(pilot)
        assert picker.session_id == seeded.alice
        assert picker.shown_names == ["Goodbye", "Greeting", "Refund", "Tracking link"]
        assert app.focused is picker.query_one("#quick-search", Input)
        await pilot.press(*"trk")
        await until(pilot, lambda: picker.shown_for == "trk", what="the search")
        assert picker.shown_names[:1] == ["Tracking link"]
        await pilot.press("backspace", "backspace", "backspace", *"gret")
        await until(pilot, lambda: picker.shown_for == "gret", what="the new search")
        assert picker.shown_names[:1] == ["Greeting"]
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is console, what="the picker to close")
        composer = composer_of(console)
        assert composer.value == "Hi Alice, I'm dana. How can I help?"
        assert app.focused is composer
        await until_async(
            pilot,
            lambda: _draft_is(ctx, seeded.alice, "Hi Alice, I'm dana. How can I help?"),
            what="the draft saved",
        )
    detail = await listing.show_session(ctx, seeded.alice)
    assert [m.text for m in detail.messages if m.author_kind == "agent"] == []  # not sent


async def _draft_is(ctx: Ctx, sid: int, text: str) -> bool:
    return await drafts.load_draft(ctx, AGENT, sid) == text


async def test_the_reply_goes_in_at_the_cursor_and_enter_sends_it(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await add_replies(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        composer = composer_of(console)
        composer.focus()
        await pilot.press(*"Sure! ", *" Bye.")
        composer.cursor_location = (0, len("Sure! "))
        picker = await open_picker(pilot)
        await pilot.press(*"refund")
        await until(pilot, lambda: picker.shown_for == "refund", what="the search")
        assert picker.shown_names[:1] == ["Refund"]
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is console, what="the picker to close")
        filled = "Your refund for Enhanced WhatsApp is on its way, Alice."
        assert composer.value == f"Sure! {filled} Bye."
        assert composer.cursor_location == (0, len(f"Sure! {filled}"))
        await pilot.press("enter")  # the agent sends it, as any reply
        await until(pilot, lambda: composer.value == "", what="the send")
        await until_async(pilot, lambda: _sent(ctx, seeded.alice, f"Sure! {filled} Bye."))


async def _sent(ctx: Ctx, sid: int, text: str) -> bool:
    detail = await listing.show_session(ctx, sid)
    return any(m.text == text and m.author_kind == "agent" for m in detail.messages)


async def test_escape_cancels_and_leaves_the_draft_untouched(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await add_replies(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        composer = composer_of(console)
        composer.focus()
        await pilot.press(*"my draft")
        composer.cursor_location = (0, 2)
        picker = await open_picker(pilot)
        await pilot.press(*"gre", "down")
        await until(pilot, lambda: bool(picker.shown), what="matches")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, what="the picker to close")
        assert (composer.value, composer.cursor_location) == ("my draft", (0, 2))
        assert app.focused is composer


async def test_nothing_matches_and_no_quick_replies_say_so(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        picker = await open_picker(pilot)
        empty = picker.query_one("#quick-empty", Label)
        assert empty.display and "No quick replies yet" in str(empty.content)
        await pilot.press("enter")  # nothing to pick: the picker stays
        assert app.screen is picker
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console)
        await add_replies(ctx)
        picker = await open_picker(pilot)
        await pilot.press(*"zzzz")
        await until(pilot, lambda: picker.shown == [], what="no match")
        empty = picker.query_one("#quick-empty", Label)
        assert empty.display and str(empty.content) == "No quick reply matches 'zzzz'."


async def test_a_hostile_customer_name_is_inserted_as_inert_text(
    ctx: Ctx, db_url: str, app_factory: Any
) -> None:
    from .conftest import seed_console

    seeded = await seed_console(ctx, db_url)
    hostile = "[@click=app.quit]Eve[/] {agent} \x1b]52;c;ZXZpbA==\x07"
    from agent_console.services import conversations, routing

    eve = await conversations.inbound(ctx, hostile, "standard_sms", "hi")
    await agents.set_agent(ctx, AGENT, capacity=6)
    await routing.route(ctx)
    await add_replies(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        console.open_session(eve.session_id)
        await until(
            pilot,
            lambda: console.detail is not None and console.detail.session.id == eve.session_id,
        )
        picker = await open_picker(pilot)
        options = picker.query_one("#quick-options", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(
            "Hi [@click=app.quit]Eve[/] {agent} ␛]52;c;ZXZpbA==␇, I'm dana" in p for p in prompts
        )
        await pilot.press(*"greet", "enter")
        await until(pilot, lambda: app.screen is console, what="the picker to close")
        assert composer_of(console).value == (
            "Hi [@click=app.quit]Eve[/] {agent} ␛]52;c;ZXZpbA==␇, I'm dana. How can I help?"
        )
        assert app.is_running


async def test_f4_does_nothing_on_an_ended_session(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await add_replies(ctx)
    await ending.end_session(ctx, AGENT, seeded.alice, Surface.CONVERSATION)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        await until(pilot, lambda: console.detail is not None, what="a session")
        assert console.detail is not None and console.detail.session.id == seeded.alice
        assert console.check_action("quick_reply", ()) is False
        await pilot.press("f4")
        await pilot.pause()
        assert app.screen is console


async def test_a_session_ended_meanwhile_gets_nothing_inserted(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await add_replies(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        picker = await open_picker(pilot)
        result = await ending.end_session(ctx, AGENT, seeded.alice, Surface.CONVERSATION)
        assert result.result == "ended"
        changed(pilot)
        await until(
            pilot,
            lambda: console.detail is not None and console.detail.session.status == "Ended",
            what="the console to see the end",
        )
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is console, what="the picker to close")
        assert composer_of(console).value == ""
        assert any(
            f"Quick reply not inserted: S-{seeded.alice} is no longer open" in n.message
            for n in app._notifications
        )
        assert picker.shown  # there was something to pick


# --------------------------------------------------------------------------- the admin screen


async def open_admin(pilot: Any) -> QuickRepliesScreen:
    await pilot.press("f2")
    await until(pilot, lambda: isinstance(pilot.app.screen, AdminSettingsScreen), what="settings")
    await pilot.press("f4")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, QuickRepliesScreen) and pilot.app.screen.loaded,
        what="the quick replies screen",
    )
    screen = pilot.app.screen
    assert isinstance(screen, QuickRepliesScreen)
    return screen


def names_of(screen: QuickRepliesScreen) -> list[str]:
    return [r.name for r in screen.replies]


async def test_an_admin_adds_edits_and_deletes(seeded: Seeded, ctx: Ctx, app_factory: Any) -> None:
    await agents.set_agent(ctx, AGENT, is_admin=True)
    await quick_replies.add_quick_reply(ctx, "Greeting", REPLIES[0][1], admin=ADMIN)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        screen = await open_admin(pilot)
        assert names_of(screen) == ["Greeting"]

        # Add: an unknown placeholder is refused with the reason, then fixed and saved.
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, QuickReplyEditorScreen), what="editor")
        editor = app.screen
        assert isinstance(editor, QuickReplyEditorScreen)
        await pilot.press(*"Hold on", "enter")  # enter in the name goes to the text
        assert app.focused is editor.query_one(TextArea)
        await pilot.press(*"One moment {name}")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(editor.error_text), what="the refusal")
        assert editor.error_text.startswith("unknown placeholder {name} at character 12")
        assert "Not saved: unknown placeholder {name}" in str(
            editor.query_one("#qe-error", Label).content
        )
        assert app.screen is editor
        editor.query_one(TextArea).text = "One moment please, {customer}."
        await click(pilot, "#qe-save")
        await until(pilot, lambda: app.screen is screen, what="the editor to close")
        await until(pilot, lambda: names_of(screen) == ["Greeting", "Hold on"], what="listed")
        assert screen.current() is not None and screen.current().name == "Hold on"

        # Edit the highlighted one (e): rename it.
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, QuickReplyEditorScreen), what="editor")
        name = app.screen.query_one("#qe-name", Input)
        assert (name.value, app.screen.query_one(TextArea).text) == (
            "Hold on",
            "One moment please, {customer}.",
        )
        name.value = "Wait"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: names_of(screen) == ["Greeting", "Wait"], what="renamed")

        # Delete asks first: n keeps it, y deletes it.
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen)
        assert names_of(screen) == ["Greeting", "Wait"]
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await until(pilot, lambda: names_of(screen) == ["Greeting"], what="deleted")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, AdminSettingsScreen), what="back")
    assert [r.name for r in await quick_replies.list_quick_replies(ctx)] == ["Greeting"]


async def test_a_taken_name_is_refused_in_the_editor(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await agents.set_agent(ctx, AGENT, is_admin=True)
    await add_replies(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        screen = await open_admin(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, QuickReplyEditorScreen), what="editor")
        editor = app.screen
        assert isinstance(editor, QuickReplyEditorScreen)
        await pilot.press(*"greeting", "enter", *"again")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(editor.error_text), what="the refusal")
        assert editor.error_text == "a quick reply named 'Greeting' already exists"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
    assert len(await quick_replies.list_quick_replies(ctx)) == len(REPLIES)


async def test_a_non_admin_reads_the_list_and_cannot_change_it(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await add_replies(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        screen = await open_admin(pilot)
        assert not screen.is_admin
        assert names_of(screen) == ["Goodbye", "Greeting", "Refund", "Tracking link"]
        access = str(screen.query_one("#qr-access", Label).content)
        assert access == (
            f"Only admins can change quick replies: {AGENT} is not an admin. "
            "You can read them here."
        )
        for action in ("add", "edit", "delete"):
            assert screen.check_action(action, ()) is None  # shown, disabled
        await pilot.press("a", "e", "d", "enter")
        await pilot.pause()
        assert app.screen is screen
    assert len(await quick_replies.list_quick_replies(ctx)) == len(REPLIES)


# --------------------------------------------------------------------------- ranking


def _views() -> list[Any]:
    from datetime import UTC, datetime

    from agent_console.domain.quick_replies import Placeholder, parse_template
    from agent_console.services.views import QuickReplyView

    at = datetime(2026, 11, 23, tzinfo=UTC)
    return [
        QuickReplyView(
            i,
            name,
            text,
            [s.name for s in parse_template(text) if isinstance(s, Placeholder)],
            at,
            ADMIN,
        )
        for i, (name, text) in enumerate(REPLIES, 1)
    ]


def test_names_that_match_come_before_texts_that_match() -> None:
    from agent_console.tui.screens.quick_reply_picker import rank

    values = {"customer": "Alice", "agent": "dana", "channel": "Standard SMS"}
    everything = rank(_views(), values, "  ")
    assert [r.reply.name for r in everything] == [n for n, _ in REPLIES]  # as listed (by name)
    assert everything[0].filled == "Hi Alice, I'm dana. How can I help?"
    # "parcel" is only in Tracking link's text; "good" in Goodbye's name.
    assert [r.reply.name for r in rank(_views(), values, "parcel")] == ["Tracking link"]
    ranked = rank(_views(), values, "re")
    assert [r.reply.name for r in ranked][:2] == ["Refund", "Greeting"]  # names first
    assert all(r.score[0] == 0 for r in ranked[2:])  # then text-only matches
    assert ranked[0].name_offsets == (0, 1)


def test_the_search_never_reads_the_customers_name(monkeypatch: Any) -> None:
    """The fuzzy matcher tries every way a query fits a candidate: "ab" * 40 against
    "aaaaab" took 20 s. A customer chooses their name, so it is never a candidate."""
    from textual.fuzzy import FuzzySearch

    from agent_console.tui.screens import quick_reply_picker

    seen: list[str] = []
    real = FuzzySearch.match

    def spy(self: FuzzySearch, query: str, candidate: str) -> tuple[float, Any]:
        seen.append(candidate)
        return real(self, query, candidate)

    monkeypatch.setattr(FuzzySearch, "match", spy)
    hostile = "ab" * 100
    ranked = quick_reply_picker.rank(_views(), {"customer": hostile, "agent": "dana"}, "aaaaab")
    assert seen and not any("abab" in candidate for candidate in seen)
    assert all(hostile in r.filled or "{customer}" not in r.reply.text for r in ranked)
