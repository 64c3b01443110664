"""Snapshots of issue 11's "what needs me": My sessions with unread counts, the customer's
last line, how long they have waited and the R7 countdown of a session dana started; that
session open, with its countdown on the transcript's border and a reply in the composer
counting its characters and SMS segments.

Each at 120x40 and 80x24. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.services import conversations
from agent_console.services.context import Ctx
from agent_console.tui.widgets.composer import Composer
from agent_console.tui.widgets.conversation import ConversationPane
from conftest import FakeClock

from ..conftest import AGENT, until
from .conftest import SIZE, SMALL, ConsoleSnapshot, console_screen, seed_busy_shift

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])
#: The session dana started (R7 runs for it): the sixth of the seed.
GUS = 6


async def seed_needs(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift, Bob writing a second line (2 unread), and 6 Gus: a standard SMS dana
    started at midnight, not answered (R7 ends it 24 h later)."""
    await seed_busy_shift(ctx, clock)
    shift = clock.now
    clock.now = shift.replace(hour=0, minute=0)  # sent at midnight, before the shift
    await conversations.outbound(
        ctx, AGENT, "Gus", "standard_sms", "Hello Gus, your replacement card is ready."
    )
    clock.now = shift
    await conversations.inbound(ctx, "Bob", "standard_sms", "Hello?? I need help with my bill")
    clock.advance(minutes=4)


@BOTH_SIZES
def test_my_sessions_say_what_needs_me(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    assert console_snapshot(seed_needs, size=size)


@BOTH_SIZES
def test_a_session_dana_started_shows_its_r7_countdown(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = console_screen(pilot)
        pane = screen.query_one(ConversationPane)
        screen.open_session(GUS)
        await until(pilot, lambda: pane.session_id == GUS, what="Gus's session")
        composer = screen.query_one("#composer", Composer)
        await until(pilot, lambda: pilot.app.focused is composer, what="the composer's focus")
        await pilot.press(*"It is at the counter ", "shift+enter", *"Bring an ID ")
        composer.insert("😀")  # one emoji: the whole reply goes out as UCS-2
        await until(pilot, lambda: "SMS" in pane.count_text, what="the SMS count")

    assert console_snapshot(seed_needs, size=size, run_before=run_before)
