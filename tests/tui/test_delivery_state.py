"""Delivery state on screen (issue 10): each line sent to a channel says what became of it.

Events are put in each state through the services, without HTTP: a channel is connected, a
reply (or an end line) makes an outbox event, and ``outbox.claim`` / ``outbox.complete`` play
the delivery worker -- ok (sent), HTTP 500 (retrying), or HTTP 500 once the clock is past the
24 h give-up window (failed). The test tells the console of each change (``changed``) as its
poll would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent_console.domain.vocab import Surface
from agent_console.services import channels, conversations, deliveries, ending, outbox, routing
from agent_console.services import settings as settings_service
from agent_console.services.context import Ctx
from agent_console.tui.widgets.conversation import ConversationPane
from agent_console.tui.widgets.session_list import SessionList
from agent_console.tui.widgets.transcript import Transcript
from conftest import FakeClock

from .conftest import ADMIN, AGENT, SIZE, Seeded, changed, console_ready, until

HOOK = "http://127.0.0.1:9/hook"
LEASE = timedelta(seconds=30)


async def connect_sms(ctx: Ctx) -> None:
    await channels.connect(ctx, "standard_sms", HOOK, admin=ADMIN)


async def deliver(ctx: Ctx, *, ok: bool, status: int | None = None) -> list[int]:
    """One pass of a delivery worker: every due event gets the same answer."""
    claimed = await outbox.claim(ctx, "w1", lease=LEASE)
    attempts = [outbox.Attempt(d.outbox_id, ok=ok, status=status) for d in claimed]
    await outbox.complete(ctx, "w1", attempts)
    return [d.outbox_id for d in claimed]


def transcript_of(screen: Any) -> str:
    return str(screen.query_one(Transcript).plain_text)


def list_entry(screen: Any, session_id: int) -> str:
    options = screen.query_one(SessionList)
    return str(options.get_option(str(session_id)).prompt)


def notifications(app: Any, text: str) -> list[Any]:
    return [n for n in app._notifications if text in n.message]


async def refreshed(pilot: Any, screen: Any, ctx: Ctx, alice_says: str) -> None:
    """A change elsewhere (Alice writes in her open session) and the refresh that shows it:
    what a refresh would notify is on screen by then (no sleep needed to see nothing more)."""
    await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", alice_says)
    changed(pilot)
    await until(pilot, lambda: alice_says in transcript_of(screen), what=f"{alice_says!r} to show")


async def open_session(pilot: Any, screen: Any, session_id: int) -> None:
    screen.open_session(session_id)
    await until(
        pilot,
        lambda: screen.detail is not None and screen.detail.session.id == session_id,
        what=f"S-{session_id} to open",
    )


async def test_each_agent_line_says_whether_it_reached_the_channel(
    seeded: Seeded, ctx: Ctx, clock: FakeClock, app_factory: Any
) -> None:
    await connect_sms(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await open_session(pilot, screen, seeded.bob)

        await conversations.send(ctx, AGENT, seeded.bob, "First reply")
        changed(pilot)
        await until(
            pilot,
            lambda: "First reply  sending…" in transcript_of(screen),
            what="the new reply to say it is being sent",
        )
        assert await deliver(ctx, ok=True)
        changed(pilot)
        await until(
            pilot,
            lambda: "First reply  ✓ sent" in transcript_of(screen),
            what="the reply to say it was sent",
        )

        clock.advance(minutes=2)  # 09:02
        await conversations.send(ctx, AGENT, seeded.bob, "Second reply")
        assert await deliver(ctx, ok=False, status=500)
        changed(pilot)
        await until(
            pilot,
            lambda: (
                "Second reply\n       ⟳ retrying at 09:02:00 (HTTP 500)" in transcript_of(screen)
            ),
            what="the failed reply to say when it is tried again and why",
        )

        clock.advance(hours=25)
        assert await deliver(ctx, ok=False, status=500)
        changed(pilot)
        await until(
            pilot,
            lambda: "Second reply\n       ✗ not delivered: HTTP 500" in transcript_of(screen),
            what="the reply given up on to say it was not delivered",
        )
        lines = transcript_of(screen).splitlines()
        assert "09:00  dana  First reply  ✓ sent" in lines  # the others keep their own state
        assert "09:00  Bob  Is anyone there?" in lines  # a customer's line has no mark

        # The R12 end line goes out too, and says so.
        await ending.end_session(ctx, AGENT, seeded.bob, Surface.CONVERSATION)
        changed(pilot)
        await until(
            pilot,
            lambda: (
                "Session ended by dana" in transcript_of(screen)
                and transcript_of(screen).rstrip().endswith("sending…")
            ),
            what="the end line to say it is being sent",
        )
        # Connected: no "not connected" note.
        assert screen.query_one(ConversationPane).channel_note_text == ""


async def test_a_session_on_an_unconnected_channel_says_so_once(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await connect_sms(ctx)  # Bob's Standard SMS is connected, Alice's WhatsApp is not
    await conversations.send(ctx, AGENT, seeded.alice, "Hi Alice")
    await conversations.send(ctx, AGENT, seeded.alice, "It ships today")
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await open_session(pilot, screen, seeded.alice)
        pane = screen.query_one(ConversationPane)
        await until(pilot, lambda: "It ships today" in transcript_of(screen))
        full = "Enhanced WhatsApp is not connected: nothing here reaches the customer"
        # The short form until the layout gives the transcript its width, then this one.
        await until(pilot, lambda: pane.channel_note_text == full, what="the note in full")
        text = transcript_of(screen)
        for mark in ("sent", "sending", "retrying", "not delivered", "not connected"):
            assert mark not in text, mark  # said once, above the lines, not on each of them

        await open_session(pilot, screen, seeded.bob)
        await until(pilot, lambda: pane.channel_note_text == "", what="the note to go")

        # A line written while WhatsApp was connected waits for it once it is disconnected.
        await channels.connect(ctx, "enhanced_whatsapp", HOOK, admin=ADMIN)
        await conversations.send(ctx, AGENT, seeded.alice, "Queued line")
        await channels.disconnect(ctx, "enhanced_whatsapp", admin=ADMIN)
        await open_session(pilot, screen, seeded.alice)
        await until(
            pilot,
            lambda: (
                "Queued line\n       … not sent yet: the channel is not connected"
                in transcript_of(screen)
            ),
            what="the queued line to say it waits for the channel",
        )
        assert pane.channel_note_text.startswith("Enhanced WhatsApp is not connected")
        assert "It ships today\n" in transcript_of(screen)  # still no mark on the others

    # At 80 columns the note leaves out the channel's name (the header has it).
    app = app_factory(seeded.url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await console_ready(pilot)
        await open_session(pilot, screen, seeded.alice)
        pane = screen.query_one(ConversationPane)
        await until(
            pilot,
            lambda: pane.channel_note_text == "Not connected: nothing reaches the customer",
            what="the compact note",
        )


async def test_a_failing_delivery_is_told_once_per_state_and_marked_in_the_list(
    seeded: Seeded, ctx: Ctx, clock: FakeClock, app_factory: Any
) -> None:
    await connect_sms(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        # Alice's session is open: Bob's problem is seen without opening it.
        assert screen.detail is not None and screen.detail.session.id == seeded.alice
        assert "not delivered" not in list_entry(screen, seeded.bob)

        await conversations.send(ctx, AGENT, seeded.bob, "Your refund is on its way")
        assert await deliver(ctx, ok=False, status=500)
        changed(pilot)
        retrying = f"Reply in S-{seeded.bob} to Bob not delivered: HTTP 500 — retrying at 09:00:00"
        await until(
            pilot, lambda: bool(notifications(app, retrying)), what="the retrying notification"
        )
        await until(
            pilot,
            lambda: "⟳ retrying" in list_entry(screen, seeded.bob),
            what="Bob's entry to say a delivery is retried",
        )
        assert "retrying" not in list_entry(screen, seeded.alice)

        # Later refreshes (other changes in the database) do not say it again.
        await refreshed(pilot, screen, ctx, "Any news?")
        await refreshed(pilot, screen, ctx, "Still there?")
        assert len(notifications(app, retrying)) == 1

        clock.advance(hours=25)
        assert await deliver(ctx, ok=False, status=500)
        changed(pilot)
        failed = f"Reply in S-{seeded.bob} to Bob not delivered: HTTP 500"
        await until(
            pilot,
            lambda: any(n.severity == "error" for n in notifications(app, failed)),
            what="the failure notification",
        )
        await until(
            pilot,
            lambda: "✗ not delivered" in list_entry(screen, seeded.bob),
            what="Bob's entry to be marked not delivered",
        )
        await refreshed(pilot, screen, ctx, "Hello?")
        await refreshed(pilot, screen, ctx, "Anyone?")
        told = [n for n in notifications(app, failed) if n.severity == "error"]
        assert len(told) == 1
        assert told[0].message == failed  # no "retrying at": it was given up on


async def test_what_failed_before_the_console_opened_is_told_once(
    seeded: Seeded, ctx: Ctx, clock: FakeClock, app_factory: Any
) -> None:
    await connect_sms(ctx)
    await conversations.send(ctx, AGENT, seeded.bob, "Hello Bob")
    await deliver(ctx, ok=False, status=503)
    clock.advance(hours=25)
    await deliver(ctx, ok=False, status=503)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        summary = f"1 session has lines that did not reach the customer: S-{seeded.bob}"
        await until(pilot, lambda: bool(notifications(app, summary)), what="the summary")
        assert "✗ not delivered" in list_entry(screen, seeded.bob)
        await refreshed(pilot, screen, ctx, "Any news?")
        await refreshed(pilot, screen, ctx, "Still there?")
        assert len(notifications(app, "did not reach")) == 1
        assert not notifications(app, "Reply in")


async def test_the_customers_csat_answer_shows_in_the_header(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await connect_sms(ctx)
    await settings_service.set_setting(ctx, "csat_on_agent_end", "on", admin=ADMIN)
    cara = await channels.receive(ctx, "standard_sms", "m-1", "+15550001", "Cara", "Hi there")
    await routing.route(ctx)
    await ending.end_session(ctx, AGENT, cara.session_id, Surface.CONVERSATION)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await open_session(pilot, screen, cara.session_id)
        pane = screen.query_one(ConversationPane)
        header = pane.query_one("#conversation-header")
        assert "CSAT" not in str(header.content)
        assert "a CSAT survey was requested (sending…)" in pane.end_summary_text

        await channels.answer_csat(ctx, "standard_sms", "+15550001", cara.session_id, 4)
        changed(pilot)
        await until(
            pilot, lambda: "CSAT 4/5" in str(header.content), what="the score in the header"
        )
        assert "The customer rated this conversation 4/5 (internal)" in transcript_of(screen)
        assert "a CSAT survey was sent and the customer rated it 4/5" in pane.end_summary_text


async def test_delivery_problems_count_per_session_and_keep_the_newest(
    seeded: Seeded, ctx: Ctx, clock: FakeClock
) -> None:
    await connect_sms(ctx)
    assert await deliveries.delivery_problems(ctx, [seeded.alice, seeded.bob]) == {}
    await conversations.send(ctx, AGENT, seeded.bob, "one")
    await deliver(ctx, ok=True)
    await conversations.send(ctx, AGENT, seeded.bob, "two")
    await deliver(ctx, ok=False, status=500)
    problems = await deliveries.delivery_problems(ctx, [seeded.alice, seeded.bob])
    assert set(problems) == {seeded.bob}
    bob = problems[seeded.bob]
    assert (bob.failed, bob.retrying, bob.worst) == (0, 1, "retrying")
    assert bob.newest_retrying is not None and bob.newest_retrying.error == "HTTP 500"

    clock.advance(hours=25)
    await deliver(ctx, ok=False, status=500)  # "two" gives up
    await conversations.send(ctx, AGENT, seeded.bob, "three")
    await deliver(ctx, ok=False, status=502)  # "three" is retried
    bob = (await deliveries.delivery_problems(ctx, [seeded.bob]))[seeded.bob]
    assert (bob.failed, bob.retrying, bob.worst) == (1, 1, "failed")
    assert bob.newest_failed is not None and bob.newest_failed.error == "HTTP 500"
    assert bob.newest_retrying is not None and bob.newest_retrying.error == "HTTP 502"
    assert await deliveries.delivery_problems(ctx, [seeded.alice]) == {}
    assert await deliveries.delivery_problems(ctx, []) == {}
