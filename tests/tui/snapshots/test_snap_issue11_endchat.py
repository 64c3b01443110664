"""Snapshots of issue 11's ending states in the console: End Chat's Undo bar (defect 7), a chat
ended elsewhere with a draft in the composer (defect 8), the question ctrl+q asks while a bulk
End Sessions runs, and the Resume offer of an unfinished one at start (defect 6).

Each at 120x40 and 80x24. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button

from agent_console.domain.vocab import Surface
from agent_console.services import bulk, drafts, ending
from agent_console.services.runtime import open_ctx
from agent_console.tui.screens.confirm import ConfirmScreen
from agent_console.tui.widgets.composer import Composer
from agent_console.tui.widgets.conversation import ConversationPane
from conftest import FakeClock

from ..conftest import AGENT, until, until_async
from ..list_support import Gate
from .conftest import (
    DB_URL,
    SIZE,
    SMALL,
    ConsoleSnapshot,
    console_screen,
    seed_busy_shift,
    seed_list_world,
)
from .test_snap_list import open_bulk_preview

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])
ALICE = 1
DRAFT = "Here is your tracking link: I will paste it in a"


def question_shown(app: App[Any]) -> bool:
    """A question is up, with its two buttons mounted."""
    return isinstance(app.screen, ConfirmScreen) and len(app.screen.query(Button)) == 2


@BOTH_SIZES
def test_end_chat_undo_bar(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    """End Chat pressed: "Ending S-1 in 5 s — ^z undoes it" where the button was, "ending" on
    the session's entry; nothing is written yet."""

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = console_screen(pilot)
        await pilot.press("ctrl+e")
        await until(
            pilot,
            lambda: bool(screen.query_one(ConversationPane).undo_note_text),
            within=30,
            what="the Undo bar",
        )

    assert console_snapshot(seed_busy_shift, size=size, run_before=run_before)


@BOTH_SIZES
def test_chat_ended_elsewhere_keeps_the_draft(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    """sam ends Alice's chat from the list while dana writes to her: who, when, and the key
    that copies the kept draft."""

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = console_screen(pilot)
        pane = screen.query_one(ConversationPane)
        screen.query_one("#composer", Composer).focus()
        await pilot.press(*DRAFT)
        clock = pilot.app.clock
        assert isinstance(clock, FakeClock)
        ctx = await open_ctx(DB_URL, clock=clock)
        try:

            async def saved() -> bool:
                return await drafts.load_draft(ctx, AGENT, ALICE) == DRAFT

            await until_async(pilot, saved, within=30, what="the draft saved")
            await ending.end_session(ctx, "sam", ALICE, Surface.LIST)
        finally:
            await ctx.db.dispose()
        await pilot.press("f5")  # snapshots do not poll: refresh by hand
        await until(pilot, lambda: bool(pane.draft_note_text), within=30, what="the note")

    assert console_snapshot(seed_busy_shift, size=size, run_before=run_before)


@BOTH_SIZES
def test_quitting_during_a_bulk_end_asks(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ctrl+q while End Sessions runs (one chunk of one row done, the rest held back)."""
    Gate(monkeypatch)

    async def run_before(pilot: Pilot[Any]) -> None:
        running = await open_bulk_preview(pilot)
        await pilot.press("y")
        await until(
            pilot, lambda: running.running and running.done == 1, within=30, what="one chunk"
        )
        await pilot.press("ctrl+q")
        await until(pilot, lambda: question_shown(pilot.app), within=30, what="the question")

    assert console_snapshot(seed_list_world, size=size, run_before=run_before)


async def seed_unfinished_bulk(ctx: Any, clock: FakeClock) -> None:
    """The list world, and an End Sessions of Cara's and Dov's Waiting sessions that dana
    stopped after its first row."""
    await seed_list_world(ctx, clock)
    bulk_id = await bulk.start_bulk(ctx, AGENT, ids=[6, 7])
    done: list[int] = []
    await bulk.run_bulk(
        ctx, bulk_id, chunk=1, progress=lambda d, t: done.append(d), stop=lambda: bool(done)
    )
    clock.advance(minutes=20)


@BOTH_SIZES
def test_unfinished_bulk_end_offered_at_start(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    assert console_snapshot(seed_unfinished_bulk, size=size, ready=question_shown)
