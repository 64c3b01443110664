"""Snapshots of issue 11's defects 5 and 11: the tour's caption at the bottom (the presence bar
in view) and the Offline step showing the session it names; at 80x24 the header with its
status, the footer with f3 and f1, emoji inside the border, and a toast off the composer.

Each at 120x40 and 80x24. See ``conftest.py`` for what keeps them still. The tour's caption
is placed by a :class:`TourPlayer` that is not started (a playing tour is a worker that never
settles): the same bar, the same caption functions, no timing.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.demo.tour import (
    OFFLINE_CAPTION,
    Reveal,
    TourCaption,
    TourPlayer,
    default_tour,
    offline_caption,
)
from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, presence, routing, settings
from agent_console.services.context import Ctx
from agent_console.tui.screens.offline_preview import OfflinePreviewScreen
from agent_console.tui.widgets.composer import Composer
from conftest import FakeClock

from ..conftest import ADMIN, AGENT, ALL_PERMISSIONS, until
from .conftest import SIZE, SMALL, ConsoleSnapshot, console_screen, notified, seed_busy_shift

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])
EMOJI = "family 👩‍👩‍👧 flag 🇯🇵 thumbs 👍🏽 heart ❤️ key 1️⃣ pride 🏳️‍🌈 ok ✔️ "


def idle_player(pilot: Pilot[Any]) -> TourPlayer:
    """A tour player that shows captions on this app without playing (no worker)."""
    player = TourPlayer(default_tour(), pace=0.0)
    player._app = pilot.app
    return player


async def seed_emoji_shift(ctx: Ctx, clock: FakeClock) -> None:
    """dana with a long-named customer on Enhanced Web Chat v2 who writes emoji sequences."""
    await agents.add_agent(ctx, AGENT, capacity=5, permissions=ALL_PERMISSIONS)
    await presence.set_presence(ctx, AGENT, Presence.ONLINE)
    await conversations.inbound(
        ctx, "Maximiliana Featherstonehaugh 👍🏽", "enhanced_web_chat_v2", EMOJI * 3
    )
    clock.advance(minutes=1)
    await conversations.inbound(ctx, "Kai 🇯🇵👩‍👩‍👧", "standard_sms", EMOJI)
    await routing.route(ctx)
    clock.advance(minutes=1)


async def seed_offline_mix(ctx: Ctx, clock: FakeClock) -> None:
    """dana with four status-based sessions (1-4) and, last, one tab-based (5)."""
    await agents.add_agent(ctx, AGENT, capacity=6, permissions=ALL_PERMISSIONS)
    await agents.add_agent(ctx, ADMIN, capacity=1, is_admin=True)
    await presence.set_presence(ctx, AGENT, Presence.ONLINE)
    await settings.set_setting(ctx, "capacity_model", "status-based", admin=ADMIN)
    for name in ("Ann", "Ben", "Cal", "Dee"):
        await conversations.inbound(ctx, name, "standard_sms", f"Hi, I am {name}")
        clock.advance(minutes=1)
    await routing.route(ctx)
    await settings.set_setting(ctx, "capacity_model", "tab-based", admin=ADMIN)
    await conversations.inbound(ctx, "Eve", "standard_sms", "Hello?")
    await routing.route(ctx)
    clock.advance(minutes=1)


@BOTH_SIZES
def test_the_tour_caption_leaves_the_presence_bar_in_view(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        player = idle_player(pilot)
        player.show(player.steps[0].text(player), 1)
        await until(pilot, lambda: bool(pilot.app.screen.query(TourCaption)), what="caption")

    assert console_snapshot(seed_busy_shift, size=size, run_before=run_before)


@BOTH_SIZES
def test_the_tours_offline_step_shows_the_session_it_names(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        player = idle_player(pilot)
        player.show(OFFLINE_CAPTION, 6)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: pilot.app.screen.id == "presence-menu", what="the menu")
        await pilot.press("f")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, OfflinePreviewScreen),
            what="the Offline preview",
        )
        player.say(offline_caption(player))
        await Reveal().play(player)
        await until(pilot, lambda: bool(pilot.app.screen.query(TourCaption)), what="caption")

    assert console_snapshot(seed_offline_mix, size=size, run_before=run_before)


@BOTH_SIZES
def test_a_narrow_console_keeps_status_keys_and_border(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    """The header keeps the status (the channel is cut), the footer f3 and f1, and emoji
    sequences stay inside the transcript's border."""
    assert console_snapshot(seed_emoji_shift, size=size)


@BOTH_SIZES
def test_a_toast_keeps_off_the_composer(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        composer = console_screen(pilot).query_one("#composer", Composer)
        composer.focus()
        await pilot.press(*"Your parcel is on its way")
        # As a refused send says it (a NUL in the reply would not draw in an SVG).
        pilot.app.notify(
            "cannot store this message: it contains a NUL character (U+0000) at position 6",
            severity="error",
            markup=False,
        )
        await until(
            pilot, lambda: notified(pilot.app, "cannot store this message"), what="the error"
        )

    assert console_snapshot(seed_busy_shift, size=size, run_before=run_before)
