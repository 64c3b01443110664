"""Snapshots of delivery state on screen (issue 10): sent, sending, retrying and not delivered
lines, the list's mark and the notifications, the note of an unconnected channel, the CSAT
answer.

The main ones at 120x40 and 80x24. Events are put in their states through the services (a
connected Standard SMS, ``outbox.claim`` / ``outbox.complete`` as the delivery worker), with
the fake clock: a retry is due half a second to a second after a failure, so on whole-minute
clocks its time is always HH:MM:00. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.domain.vocab import Surface
from agent_console.services import channels, conversations, ending, outbox, routing, settings
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from conftest import FakeClock

from ..conftest import ADMIN, AGENT, until
from .conftest import (
    DB_URL,
    SIZE,
    SMALL,
    ConsoleSnapshot,
    console_screen,
    notified,
    seed_empty,
)

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])
HOOK = "http://127.0.0.1:9/hook"
# Session ids in the seeds below.
BOB, ALICE = 1, 2


async def deliver(ctx: Ctx, *, ok: bool, status: int | None = None, error: str = "") -> None:
    """One pass of a delivery worker: every due event gets the same answer."""
    claimed = await outbox.claim(ctx, "w1", lease=timedelta(seconds=30))
    await outbox.complete(
        ctx,
        "w1",
        [outbox.Attempt(d.outbox_id, ok=ok, status=status, error=error or None) for d in claimed],
    )


async def seed_retrying(ctx: Ctx, clock: FakeClock) -> None:
    """Standard SMS connected. 1 Bob (Standard SMS): a reply sent at 09:01, one failing with
    HTTP 500 since 09:03 (retried). 2 Alice (Enhanced WhatsApp, not connected): a reply."""
    await seed_empty(ctx, clock)
    await channels.connect(ctx, "standard_sms", HOOK, admin=ADMIN)
    await conversations.inbound(
        ctx, "Bob", "standard_sms", "Hi, I was charged twice for my March bill."
    )
    await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", "Hello, where is my order?")
    await routing.route(ctx)
    clock.advance(minutes=1)
    await conversations.send(
        ctx, AGENT, BOB, "Hi Bob, sorry about that. Let me look at your account."
    )
    await deliver(ctx, ok=True)
    clock.advance(minutes=2)
    await conversations.send(
        ctx, AGENT, BOB, "I can see both payments: I've refunded the second one (3-5 days)."
    )
    await deliver(ctx, ok=False, status=500)
    clock.advance(minutes=1)
    await conversations.send(ctx, AGENT, ALICE, "Hi Alice, it left our depot this morning.")
    clock.advance(minutes=1)


async def seed_delivery_states(ctx: Ctx, clock: FakeClock) -> None:
    """The retrying seed, a day later: the refund reply gave up (not delivered), Bob wrote
    again, dana's apology times out (retried) and her next line waits behind it (sending)."""
    await seed_retrying(ctx, clock)
    clock.advance(hours=25)
    await deliver(ctx, ok=False, status=500)
    await conversations.inbound(ctx, "Bob", "standard_sms", "Hello? Did you see my message?")
    clock.advance(minutes=1)
    await conversations.send(
        ctx, AGENT, BOB, "Sorry Bob, our SMS link was down: the second payment is refunded."
    )
    await deliver(ctx, ok=False, error="timed out after 10 s")
    await conversations.send(ctx, AGENT, BOB, "Anything else I can help with?")
    clock.advance(minutes=1)


async def seed_csat_answered(ctx: Ctx, clock: FakeClock) -> None:
    """CSAT on end (R9) on; 1 Cara came in through the Standard SMS channel, dana answered and
    ended the chat, the end line and the survey were delivered and Cara answered 4."""
    await seed_empty(ctx, clock)
    await settings.set_setting(ctx, "csat_on_agent_end", "on", admin=ADMIN)
    await channels.connect(ctx, "standard_sms", HOOK, admin=ADMIN)
    cara = await channels.receive(
        ctx, "standard_sms", "m-1", "+15550001", "Cara", "Can I change my delivery address?"
    )
    await routing.route(ctx)
    clock.advance(minutes=1)
    await conversations.send(ctx, AGENT, cara.session_id, "Done: it goes to your new address.")
    await deliver(ctx, ok=True)
    clock.advance(minutes=1)
    await ending.end_session(ctx, AGENT, cara.session_id, Surface.CONVERSATION)
    await deliver(ctx, ok=True)
    clock.advance(minutes=2)
    await channels.answer_csat(ctx, "standard_sms", "+15550001", cara.session_id, 4)
    clock.advance(minutes=1)


async def open_alice(pilot: Pilot[Any]) -> None:
    screen = console_screen(pilot)
    await pilot.press("ctrl+down")
    await until(
        pilot,
        lambda: screen.detail is not None and screen.detail.session.id == ALICE,
        what="Alice's session to open",
    )


@BOTH_SIZES
def test_transcript_delivery_states(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    """Bob's lines: sent, not delivered (HTTP 500), retrying (timed out), sending; his entry
    on the left is marked, and what had failed before the console opened is told once."""
    assert console_snapshot(seed_delivery_states, size=size)


@BOTH_SIZES
def test_unconnected_channel_note(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    """Alice's Enhanced WhatsApp is not connected: the transcript says so once, on its top
    border; her lines carry no marks. Bob's entry says a delivery is being retried."""
    assert console_snapshot(seed_retrying, size=size, run_before=open_alice)


def test_failure_notification(console_snapshot: ConsoleSnapshot, snapshot_clock: FakeClock) -> None:
    """While the console is open on Alice's session, Bob's retried reply gives up: a
    notification says so at once and his entry is marked not delivered."""

    async def give_up(pilot: Pilot[Any]) -> None:
        await open_alice(pilot)
        ctx = await open_ctx(DB_URL, clock=snapshot_clock)
        try:
            snapshot_clock.advance(hours=25)
            await deliver(ctx, ok=False, status=500)
        finally:
            await ctx.db.dispose()
        await pilot.press("f5")  # snapshots do not poll: refresh by hand
        await until(
            pilot,
            lambda: notified(pilot.app, "Reply in S-1 to Bob not delivered: HTTP 500"),
            what="the failure notification",
        )

    assert console_snapshot(seed_retrying, run_before=give_up)


def test_csat_answer_in_the_header(console_snapshot: ConsoleSnapshot) -> None:
    """The customer's CSAT answer: in the header, the end summary and an internal line."""
    assert console_snapshot(seed_csat_answered)
