"""Snapshots of issue 11's Transfer: the picker (offered agents with their free capacity, Back
to the queue, the others with the reason), the picker after another console moved the session
first, the console after a transfer (its notification, the session gone from My sessions), and
a transcript with the transfer line.

Each at 120x40 and 80x24 (the refusal and the after-state at 120x40). See ``conftest.py`` for
what keeps them still.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, presence, transfer
from agent_console.services.context import Ctx
from agent_console.tui.screens.transfer_picker import TransferPickerScreen
from conftest import FakeClock

from ..conftest import ADMIN, AGENT, ALL_PERMISSIONS, until
from .conftest import SIZE, SMALL, ConsoleSnapshot, console_screen, notified, seed_busy_shift

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])
ALICE = 1
#: The session erin hands to dana in :func:`seed_transferred_in`.
FARAH = 6


async def seed_colleagues(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift (sam went Offline) plus erin (Online, 1/4 used), max (Online, full: 1/1),
    bea (Busy) and lena (Online, no permissions for any channel)."""
    await seed_busy_shift(ctx, clock)
    for name, capacity, perms in (
        ("erin", 4, ALL_PERMISSIONS),
        ("max", 1, ALL_PERMISSIONS),
        ("bea", 3, ALL_PERMISSIONS),
        ("lena", 5, ()),
    ):
        await agents.add_agent(ctx, name, capacity=capacity, permissions=perms)
    for name in ("erin", "max", "lena"):
        await presence.set_presence(ctx, name, Presence.ONLINE)
    await presence.set_presence(ctx, "bea", Presence.BUSY)
    await conversations.outbound(ctx, "erin", "Farah", "enhanced_whatsapp", "Hello Farah!")
    await conversations.outbound(ctx, "max", "Gino", "standard_sms", "Hi Gino")


async def seed_transferred_in(ctx: Ctx, clock: FakeClock) -> None:
    """The colleagues' shift; then Farah writes, and erin hands her session (6) to dana."""
    await seed_colleagues(ctx, clock)
    clock.advance(minutes=1)
    await conversations.inbound(
        ctx, "Farah", "enhanced_whatsapp", "Yes please, my parcel is still not here."
    )
    clock.advance(minutes=1)
    await conversations.send(ctx, "erin", FARAH, "I'll pass you to Dana, who handles deliveries.")
    await transfer.transfer(ctx, "erin", FARAH, AGENT)
    clock.advance(minutes=1)


async def open_picker(pilot: Pilot[Any]) -> TransferPickerScreen:
    await pilot.press("f6")
    app = pilot.app
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, TransferPickerScreen)
            and app.screen.options is not None
            and not app.screen.query_one(OptionList).disabled
        ),
        within=30,
        what="the transfer picker",
    )
    screen = app.screen
    assert isinstance(screen, TransferPickerScreen)
    return screen


@BOTH_SIZES
def test_transfer_picker(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        picker = await open_picker(pilot)
        assert next(text for text, enabled in picker.option_texts if enabled).startswith("erin")

    assert console_snapshot(seed_colleagues, size=size, run_before=run_before)


def test_transfer_refused_when_another_console_was_first(
    console_snapshot: ConsoleSnapshot, snapshot_clock: FakeClock
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        picker = await open_picker(pilot)
        backend = console_screen_backend(pilot)
        await transfer.transfer(backend.ctx, ADMIN, ALICE, "erin")  # another console
        await pilot.press("enter")
        await until(
            pilot,
            lambda: picker.error is not None and picker.options is not None
            and not picker.options.allowed,
            within=30,
            what="the refusal",
        )  # fmt: skip

    assert console_snapshot(seed_colleagues, run_before=run_before)


def console_screen_backend(pilot: Pilot[Any]) -> Any:
    return pilot.app.backend  # type: ignore[attr-defined]


def test_console_after_a_transfer(console_snapshot: ConsoleSnapshot) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        console = console_screen(pilot)
        await open_picker(pilot)
        await pilot.press("enter")  # erin, the most free capacity
        await until(
            pilot,
            lambda: pilot.app.screen is console
            and notified(pilot.app, "S-1 transferred to erin")
            and ALICE not in [row.id for row in console.rows]
            and console.detail is not None,
            within=30,
            what="the transfer and the next session",
        )  # fmt: skip

    assert console_snapshot(seed_colleagues, run_before=run_before)


@BOTH_SIZES
def test_transcript_with_the_transfer_line(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        console = console_screen(pilot)
        console.open_session(FARAH)
        await until(
            pilot,
            lambda: console.detail is not None and console.detail.session.id == FARAH,
            within=30,
            what="Farah's session",
        )

    assert console_snapshot(seed_transferred_in, size=size, run_before=run_before)
