"""Issue 11, the console's ending defects.

- Defect 7: End Chat is not one accidental key away from an ended chat. It waits a few
  seconds (on the console's clock: these tests move the fake clock, nothing sleeps) with an
  Undo bar; nothing is written before, so no other console and no customer sees anything.
  Each chat has its own countdown; quitting, logging out and going Offline end the waiting
  chats first (as End Chat, which the agent asked for).
- Defect 8: a chat ended elsewhere while the agent had a draft says who ended it and when,
  keeps the draft, and a key copies it.
- Defect 6: quitting during a bulk End Sessions asks first; a yes leaves the rest, which the
  next start offers to resume, and Resume finishes it.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Button

from agent_console.domain.vocab import Presence, Surface
from agent_console.services import agents, bulk, drafts, ending, listing
from agent_console.services.context import Ctx
from agent_console.services.listing import SessionFilter
from agent_console.tui.screens.bulk_end import BulkEndScreen
from agent_console.tui.screens.confirm import ConfirmScreen
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.screens.logout import LogoutScreen
from agent_console.tui.widgets.composer import Composer
from agent_console.tui.widgets.conversation import ConversationPane
from agent_console.tui.widgets.session_list import SessionList

from .conftest import (
    AGENT,
    ALL_PERMISSIONS,
    SIZE,
    Seeded,
    changed,
    click,
    console_ready,
    press_to_quit,
    until,
    until_async,
)
from .list_support import Gate, World, build_world, bulk_ready, open_list


async def status_of(ctx: Ctx, session_id: int) -> str:
    return (await listing.show_session(ctx, session_id)).session.status


def pane_of(screen: ConsoleScreen) -> ConversationPane:
    return screen.query_one(ConversationPane)


def notified(app: Any, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


async def press_end_chat(pilot: Any, screen: ConsoleScreen, session_id: int) -> None:
    """ctrl+e on the open chat, and wait for its Undo bar."""
    await pilot.press("ctrl+e")
    await until(
        pilot,
        lambda: session_id in screen.pending_ends and bool(pane_of(screen).undo_note_text),
        what="the Undo bar",
    )


# ------------------------------------------------------------------------------- defect 7


async def test_end_chat_waits_with_undo_and_writes_nothing_before(
    seeded: Seeded, ctx: Ctx, clock: Any, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        pane = pane_of(screen)
        screen.query_one("#composer", Composer).focus()  # ctrl+e works while typing too
        await press_end_chat(pilot, screen, seeded.alice)
        note = pane.undo_note_text
        assert note.startswith(f"Ending S-{seeded.alice} in 5 s — ^z undoes it"), note
        assert not pane.query_one("#end-bar").display  # the Undo bar stands where End Chat was
        assert screen.check_action("end_chat", ()) is False  # a second ctrl+e does nothing
        entry = screen.query_one(SessionList).get_option(str(seeded.alice)).prompt
        assert "Active · ending" in str(entry)

        # Nothing is written: another console, the CLI and the customer see an Active chat.
        detail = await listing.show_session(ctx, seeded.alice)
        assert (detail.session.status, detail.end) == ("Active", None)
        assert not any("Session ended" in m.text for m in detail.messages)

        clock.advance(seconds=3)
        await until(pilot, lambda: " in 2 s" in pane.undo_note_text, what="the countdown")
        assert await status_of(ctx, seeded.alice) == "Active"

        clock.advance(seconds=2)

        async def ended() -> bool:
            return await status_of(ctx, seeded.alice) == "Ended"

        await until_async(pilot, ended, what="the end, once its time is up")
        detail = await listing.show_session(ctx, seeded.alice)
        assert detail.end is not None
        assert (detail.end.actor, detail.end.surface) == (AGENT, "conversation")
        assert detail.end.at == clock.now  # committed when due, not when pressed
        await until(
            pilot,
            lambda: "close the tab to free capacity" in pane.tab_note_text,
            what="the ended session on screen",
        )
        assert screen.pending_ends == [] and pane.undo_note_text == ""
        assert notified(app, f"S-{seeded.alice} ended")


async def test_undo_keeps_the_chat_going(
    seeded: Seeded, ctx: Ctx, clock: Any, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        pane = pane_of(screen)
        screen.query_one("#composer", Composer).focus()
        await press_end_chat(pilot, screen, seeded.alice)
        await pilot.press("ctrl+z")
        await until(pilot, lambda: not screen.pending_ends, what="the undo")
        assert pane.undo_note_text == "" and pane.query_one("#end-bar").display
        assert notified(app, f"S-{seeded.alice} not ended: End Chat undone")

        # The Undo button does the same.
        await press_end_chat(pilot, screen, seeded.alice)
        await click(pilot, "#undo-end")
        await until(pilot, lambda: not screen.pending_ends, what="the undo by click")

        clock.advance(seconds=30)
        await pilot.pause()
        assert screen.pending_ends == []  # nothing left to end, however long it waits
        detail = await listing.show_session(ctx, seeded.alice)
        assert (detail.session.status, detail.end) == ("Active", None)


async def test_each_chat_has_its_own_countdown(
    seeded: Seeded, ctx: Ctx, clock: Any, app_factory: Any
) -> None:
    """End Alice's chat, move on to Bob's and end it too: two countdowns; ctrl+z undoes the
    open chat's, else the last one pressed."""
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        pane = pane_of(screen)
        await press_end_chat(pilot, screen, seeded.alice)
        await pilot.press("ctrl+down")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == seeded.bob,
            what="Bob's chat",
        )
        assert pane.undo_note_text == "" and screen.check_action("end_chat", ())
        clock.advance(seconds=2)
        await press_end_chat(pilot, screen, seeded.bob)
        assert " in 5 s" in pane.undo_note_text
        assert screen.pending_ends == [seeded.alice, seeded.bob]

        await pilot.press("ctrl+up")  # back to Alice's, 3 s left
        await until(pilot, lambda: " in 3 s" in pane.undo_note_text, what="Alice's countdown")
        await pilot.press("ctrl+z")  # the open chat's
        await until(pilot, lambda: screen.pending_ends == [seeded.bob], what="Alice's undo")
        await press_end_chat(pilot, screen, seeded.alice)
        await pilot.press("ctrl+down")
        await until(pilot, lambda: " in 5 s" in pane.undo_note_text, what="Bob's countdown")
        await pilot.press("ctrl+up")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == seeded.alice,
            what="Alice's chat",
        )
        await pilot.press("ctrl+z")  # Alice's again: Bob's keeps counting
        await until(pilot, lambda: screen.pending_ends == [seeded.bob], what="the undo")

        clock.advance(seconds=5)

        async def bob_ended() -> bool:
            return await status_of(ctx, seeded.bob) == "Ended"

        await until_async(pilot, bob_ended, what="Bob's end")
        assert await status_of(ctx, seeded.alice) == "Active"

        # No countdown on the open chat: ctrl+z undoes the last one pressed.
        alice_again = await listing.show_session(ctx, seeded.alice)
        assert alice_again.session.status == "Active"
        await press_end_chat(pilot, screen, seeded.alice)
        await pilot.press("ctrl+down")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == seeded.bob,
            what="Bob's ended chat",
        )
        await pilot.press("ctrl+z")
        await until(pilot, lambda: not screen.pending_ends, what="the undo from elsewhere")
        assert notified(app, f"S-{seeded.alice} not ended: End Chat undone")


async def test_the_countdown_runs_on_while_another_screen_is_open(
    seeded: Seeded, ctx: Ctx, clock: Any, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await press_end_chat(pilot, screen, seeded.alice)
        await pilot.press("f3")  # the Messaging Sessions list
        await until(pilot, lambda: app.screen is not screen, what="the list")
        clock.advance(seconds=5)

        async def ended() -> bool:
            return await status_of(ctx, seeded.alice) == "Ended"

        await until_async(pilot, ended, what="the end while the list is open")


async def test_quitting_during_the_undo_time_ends_the_chat_and_says_so(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    """An agent who pressed End Chat expects the chat ended: quitting ends it at once."""
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await press_end_chat(pilot, screen, seeded.alice)
        await press_to_quit(pilot, "ctrl+q")
        await until(pilot, lambda: bool(app.farewell), what="the console to quit")
    assert app.farewell == [
        f"End Chat pressed before quitting: S-{seeded.alice} ended; close the tab to free "
        "capacity (1 unit held)"
    ]
    detail = await listing.show_session(ctx, seeded.alice)
    assert detail.end is not None
    assert (detail.end.actor, detail.end.surface) == (AGENT, "conversation")
    assert await status_of(ctx, seeded.bob) == "Active"


async def test_logging_out_during_the_undo_time_ends_the_chat_by_end_chat(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await press_end_chat(pilot, screen, seeded.alice)
        await pilot.press("ctrl+o", "l")
        await until(pilot, lambda: isinstance(app.screen, LogoutScreen), what="the warning")
        await pilot.press("y")

        async def logged_out() -> bool:
            return not (await agents.get_agent(ctx, AGENT)).logged_in

        await until_async(pilot, logged_out, what="the logout")
        assert screen.pending_ends == []
    alice = await listing.show_session(ctx, seeded.alice)
    bob = await listing.show_session(ctx, seeded.bob)
    assert alice.end is not None and alice.end.surface == "conversation"  # End Chat, as pressed
    assert bob.end is not None and bob.end.surface == "logout"


async def test_going_offline_during_the_undo_time_ends_the_chat_first(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    """Tab-based chats go back to the queue when their agent goes Offline (R5): one whose End
    Chat was pressed ends instead, as the agent asked."""
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await press_end_chat(pilot, screen, seeded.alice)
        screen.action_set_presence(Presence.OFFLINE.value)
        await until(pilot, lambda: app.screen is not screen, what="the Offline preview")
        await pilot.press("y")

        async def offline() -> bool:
            return (await agents.get_agent(ctx, AGENT)).presence == "Offline"

        await until_async(pilot, offline, what="Offline")
    alice = await listing.show_session(ctx, seeded.alice)
    assert alice.end is not None and alice.end.surface == "conversation"
    bob = await listing.show_session(ctx, seeded.bob)
    assert (bob.session.status, bob.session.owner) == ("Waiting", None)


# ------------------------------------------------------------------------------- defect 8


async def test_a_chat_ended_elsewhere_keeps_the_draft_says_who_and_copies_it(
    seeded: Seeded, ctx: Ctx, clock: Any, app_factory: Any
) -> None:
    await agents.add_agent(ctx, "erin", capacity=1, permissions=ALL_PERMISSIONS)
    draft = "Your parcel is at the depot, and the tracking link is"
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        pane = pane_of(screen)
        composer = screen.query_one("#composer", Composer)
        composer.focus()
        await pilot.press(*draft)

        async def saved() -> bool:
            return await drafts.load_draft(ctx, AGENT, seeded.alice) == draft

        await until_async(pilot, saved, what="the draft saved")
        clock.advance(minutes=102)  # 10:42
        result = await ending.end_session(ctx, "erin", seeded.alice, Surface.LIST)
        assert result.result == "ended"
        changed(pilot)

        await until(pilot, lambda: bool(pane.draft_note_text), what="the draft note")
        assert pane.draft_note_text == (
            "Ended by erin at 10:42 UTC — your draft is kept: ^y copies it."
        )
        assert composer.disabled and composer.value == draft  # there, and readable
        assert not pane.query_one("#end-summary").display  # "Ended by" is not said twice

        assert screen.check_action("copy_draft", ())
        await pilot.press("ctrl+y")
        await until(pilot, lambda: app.clipboard == draft, what="the draft copied")
        assert notified(app, f"Draft of S-{seeded.alice} copied ({len(draft)} characters)")
    assert await drafts.load_draft(ctx, AGENT, seeded.alice) == draft  # kept in the database


async def test_copy_draft_is_only_offered_for_a_stranded_draft(
    seeded: Seeded, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        screen.query_one("#composer", Composer).focus()
        await pilot.press(*"half a reply")
        assert not screen.check_action("copy_draft", ())
        await pilot.press("ctrl+y")
        assert app.clipboard == ""
        assert pane_of(screen).draft_note_text == ""


# ------------------------------------------------------------------------------- defect 6


@pytest.fixture
async def world(ctx: Ctx, seeded: Seeded) -> World:
    return await build_world(ctx, seeded)


async def start_bulk_end(pilot: Any) -> BulkEndScreen:
    """Select every session in the list, End Sessions, confirm; wait for one chunk done."""
    await open_list(pilot)
    await pilot.press("A", "e")
    screen = await bulk_ready(pilot)
    await pilot.press("y")
    await until(pilot, lambda: screen.running and screen.done == 1, what="the first chunk")
    return screen


def labels(screen: Any) -> list[str]:
    return [str(button.label) for button in screen.query(Button).results(Button)]


def quit_question(app: Any) -> ConfirmScreen | None:
    screen = app.screen
    return screen if isinstance(screen, ConfirmScreen) else None


async def test_quitting_during_a_bulk_end_asks_and_no_keeps_it_running(
    ctx: Ctx, world: World, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        running = await start_bulk_end(pilot)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: quit_question(app) is not None, what="the question")
        question = quit_question(app)
        assert question is not None
        assert question.title_text == "A bulk end is running: 1 of 5 done"
        assert "Quit and leave the rest? It can be resumed at the next start" in " ".join(
            str(line) for line in question.fact_lines
        )
        await until(pilot, lambda: len(labels(question)) == 2, what="the question's buttons")
        assert labels(question) == ["Quit (y)", "Keep running (n)"]
        await pilot.press("n")
        await until(pilot, lambda: app.screen is running, what="the question to close")
        assert app.is_running
        gate.open()
        await until(pilot, lambda: running.phase == "results", within=30, what="the bulk end")
        assert running.report is not None and running.report.pending == 0
    assert await listing.count_sessions(ctx, SessionFilter(statuses=("Ended",))) == 5
    assert await bulk.unfinished_bulks(ctx, AGENT) == []


async def test_quitting_during_a_bulk_end_leaves_the_rest_and_the_next_start_resumes_it(
    ctx: Ctx, world: World, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        running = await start_bulk_end(pilot)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: quit_question(app) is not None, what="the question")
        await press_to_quit(pilot, "y")
        await until(pilot, lambda: running._stop, what="the stop asked for")
        gate.open()  # the chunk in progress finishes; the run stops before the next
        await until(pilot, lambda: bool(app.farewell), within=30, what="the console to quit")
    assert app.farewell == [
        "End Sessions stopped: 1 of 5 done, 4 left as they were; the console offers to "
        "resume it at the next start."
    ]
    [left] = await bulk.unfinished_bulks(ctx, AGENT)
    assert (left.status, left.ended + left.skipped, left.pending) == ("interrupted", 1, 4)
    assert await listing.count_sessions(ctx, SessionFilter(statuses=("Ended",))) == 2  # +eve

    # The next start offers it: Resume finishes it, with progress and the results.
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: quit_question(app) is not None, what="the Resume offer")
        offer = quit_question(app)
        assert offer is not None
        assert offer.title_text == "An End Sessions you started was left unfinished"
        facts = " ".join(str(line) for line in offer.fact_lines)
        assert (
            "You started ending 5 sessions on 23 Nov 2026 at 09:00 UTC. Done: 1 (1 ended, "
            "0 skipped); not reached yet, and as they were: 4."
        ) in facts
        await until(pilot, lambda: len(labels(offer)) == 2, what="the offer's buttons")
        assert labels(offer) == ["Resume (y)", "Later (n)"]
        await pilot.press("y")
        await until(
            pilot,
            lambda: isinstance(app.screen, BulkEndScreen) and app.screen.phase == "results",
            within=30,
            what="the resumed bulk end",
        )
        resumed = app.screen
        assert isinstance(resumed, BulkEndScreen) and resumed.report is not None
        assert (resumed.report.ended, resumed.report.skipped, resumed.report.pending) == (4, 1, 0)
        assert "Done: 4 ended, 1 skipped" in str(resumed.query_one("#bulk-title").render())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), what="the console")
    assert await bulk.unfinished_bulks(ctx, AGENT) == []
    assert await listing.count_sessions(ctx, SessionFilter(statuses=("Ended",))) == 5
    report = await bulk.bulk_report(ctx, left.bulk_id)
    assert (report.status, report.ended, report.skipped) == ("completed", 4, 1)


async def test_later_leaves_an_unfinished_bulk_end_for_the_next_start(
    ctx: Ctx, world: World, app_factory: Any
) -> None:
    bulk_id = await bulk.start_bulk(ctx, AGENT, ids=[world.cara, world.dov])
    await bulk.run_bulk(ctx, bulk_id, chunk=1, stop=lambda: True)
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: quit_question(app) is not None, what="the Resume offer")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), what="the console")
        assert notified(app, "Left for later")
    [left] = await bulk.unfinished_bulks(ctx, AGENT)
    assert (left.bulk_id, left.pending) == (bulk_id, 2)
    assert await status_of(ctx, world.cara) == "Waiting"
