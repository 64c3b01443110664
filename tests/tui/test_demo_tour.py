"""The living demo in the console (the world ticks by itself) and the guided tour."""

from __future__ import annotations

from typing import Any

import pytest

from agent_console.demo.driver import DemoDriver
from agent_console.demo.tour import (
    REPLY,
    Pause,
    Run,
    Step,
    TourCaption,
    TourPlayer,
    WaitScreen,
    default_tour,
)
from agent_console.demo.world import ANSWERS, CLOSINGS, FOLLOW_UPS, Pace
from agent_console.services import agents, check, listing
from agent_console.services.context import Ctx
from agent_console.tui import app as app_module
from agent_console.tui.screens.bulk_end import BulkEndScreen
from agent_console.tui.widgets.transcript import Transcript

from .conftest import AGENT, SIZE, Seeded, console_ready, quiet, until

WORLD_LINES = {t.split("{")[0] for t in (*FOLLOW_UPS, *CLOSINGS, *ANSWERS)}


def _world_lines_in(text: str) -> int:
    """How many lines of the transcript a demo customer wrote."""
    return sum(
        1 for row in text.splitlines() if any(f"  {line}" in row for line in WORLD_LINES if line)
    )


# ---------------------------------------------------------------------------- the driver


async def test_the_demo_world_writes_into_the_open_conversation_without_a_key_press(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    chatty = Pace(
        goes_quiet=0.0,
        customer_writes=1.0,
        new_customer=0.0,
        follow_up=0.0,
        follow_up_at_start=False,
    )
    driver = DemoDriver(seed=3, interval=0.2, pace=chatty)
    # The world writes as another process would: the console sees it through its live poll.
    app = app_factory(seeded.url, demo=driver, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        assert screen.detail is not None and screen.detail.session.id == seeded.alice
        transcript = screen.query_one(Transcript)
        # The world ticks at once and then every 0.2 s: count Alice's lines on screen now
        # and wait for one more, with no key pressed.
        shown = _world_lines_in(transcript.plain_text)
        await until(
            pilot,
            lambda: _world_lines_in(transcript.plain_text) > shown,
            within=30.0,
            what="a customer line from the demo world in Alice's open conversation",
        )
        assert any(f"S-{seeded.alice}" in line for line in driver.lines)
        assert driver.ticks >= 1
    detail = await listing.show_session(ctx, seeded.alice)
    assert detail.messages[-1].author_kind == "customer"
    assert await check.check(ctx) == []


async def test_without_a_driver_nothing_moves(seeded: Seeded, ctx: Ctx, app_factory: Any) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await quiet(pilot)
        assert app.demo is None
    assert (await listing.show_session(ctx, seeded.alice)).messages_total == 1


# ---------------------------------------------------------------------------- the tour


async def test_the_tour_plays_its_steps_and_leaves_the_database_as_shown(
    seeded: Seeded, ctx: Ctx, clock: Any, app_factory: Any
) -> None:
    tour = TourPlayer(pace=0.0)
    app = app_factory(seeded.url, tour=tour)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        await until(
            pilot, lambda: bool(tour.captions) and app.screen.query(TourCaption), what="caption"
        )

        def finished() -> bool:
            # The fake clock moves only by hand: while End Chat waits out its Undo time,
            # each look lets a second pass.
            if console.pending_ends:
                clock.advance(seconds=1)
            return tour.finished

        await until(pilot, finished, within=90.0, what="the tour to finish")
        await until(pilot, lambda: not app.screen.query(TourCaption), what="the caption bar to go")
        # ... and so does its escape key: no longer active, escape is the screen's again
        assert not tour.playing
        active = app.screen.active_bindings.values()
        assert all(b.binding.action != "skip_tour" for b in active), active

    names = [step.name for step in default_tour()]
    skipped = {name for name, _ in tour.skipped}
    assert set(tour.played) | skipped == set(names)
    assert not skipped, tour.skipped  # every screen the tour shows is in the console
    for name in ("welcome", "reply", "end-chat", "close-tab", "offline", "logout", "outro"):
        assert name in tour.played

    # Reply, End Chat (R1, R12) and close the tab (R2), on the session the tour chose.
    replied = tour.memo["session"]
    detail = await listing.show_session(ctx, replied)
    assert any(m.author == AGENT and m.text == REPLY for m in detail.messages)
    assert detail.session.status == "Ended" and not detail.session.tab_open
    assert detail.end is not None and (detail.end.actor, detail.end.surface) == (
        AGENT,
        "conversation",
    )
    other = seeded.bob if replied == seeded.alice else seeded.alice
    shown = await listing.show_session(ctx, other)
    if "list-bulk-end" in tour.played:
        # Bulk end from the list (R3, R11): the first rows are dana's two sessions; the one
        # already ended is skipped, the other ends from the list.
        assert shown.end is not None and (shown.end.actor, shown.end.surface) == (AGENT, "list")
    else:
        # Offline (R5): dana's other, tab-based session went back to the queue.
        assert (shown.session.status, shown.session.owner) == ("Waiting", None)
    # Log out (R6).
    dana = await agents.get_agent(ctx, AGENT)
    assert (dana.presence, dana.logged_in, dana.used) == ("Offline", False, 0)
    assert await check.check(ctx) == []


async def test_escape_stops_the_tour_and_leaves_the_console(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    tour = TourPlayer(pace=1.0, exit_at_end=True)  # slow enough to be stopped in step one
    app = app_factory(seeded.url, tour=tour)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await until(pilot, lambda: bool(app.screen.query(TourCaption)), what="the caption")
        await pilot.press("escape")
        await until(pilot, lambda: tour.stopped, what="the tour to stop")
        await until(pilot, lambda: not app.screen.query(TourCaption), what="the caption bar to go")
        await quiet(pilot)
        assert app.is_running  # stopped, not finished: the console stays
        assert tour.played == ["welcome"] or tour.played == []
    dana = await agents.get_agent(ctx, AGENT)
    assert dana.presence == "Online"
    assert (await listing.show_session(ctx, seeded.alice)).session.status == "Active"


async def test_a_screen_that_never_opens_is_skipped_with_a_caption(
    seeded: Seeded, app_factory: Any
) -> None:
    steps = [
        Step(
            "never-opens",
            "Waiting for a screen that never opens",
            (Run("screen.refresh"), WaitScreen(BulkEndScreen, within=0.5)),
        ),
        Step("after", "The tour goes on", (Pause(0.1),)),
    ]
    tour = TourPlayer(steps, pace=0.0)
    app = app_factory(seeded.url, tour=tour)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await until(pilot, lambda: tour.finished, within=30.0, what="the tour to finish")
        assert app.screen.id == "console-screen"
    assert tour.played == ["after"]
    assert tour.skipped == [("never-opens", "BulkEndScreen did not open")]
    assert any(c.startswith("Waiting for a screen that never opens … (") for c in tour.captions)


async def test_the_tour_can_quit_the_app_when_it_has_played(
    seeded: Seeded, app_factory: Any
) -> None:
    tour = TourPlayer([Step("only", "Hello", (Pause(0.1),))], pace=0.0, exit_at_end=True)
    app = app_factory(seeded.url, tour=tour)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: tour.finished, within=30.0, what="the tour to finish")
        await until(pilot, lambda: not app.is_running, within=10.0, what="the app to exit")
    assert tour.played == ["only"]


def test_run_console_hands_the_app_the_world_and_the_tour_it_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CLI builds the living demo and the tour (cli/console.py); the console runs them."""
    built: list[Any] = []
    monkeypatch.setattr(app_module.AgentConsoleApp, "run", lambda self: built.append(self))
    driver, tour = DemoDriver(7), TourPlayer(exit_at_end=True)
    app_module.run_console("sqlite+aiosqlite:///x.db", "dana", demo=driver, tour=tour)
    app_module.run_console("sqlite+aiosqlite:///x.db", "dana")
    living, plain = built
    assert living.demo is driver and living.tour is tour
    assert plain.demo is None and plain.tour is None


async def test_a_caption_placed_just_before_the_tour_ends_goes_with_it(
    seeded: Seeded, app_factory: Any
) -> None:
    """The bar is in the screen from ``mount()`` on but mounted only once its Mount event has
    run: the end of the tour must take a bar placed in between too (it once stayed up)."""
    tour = TourPlayer(steps=[], pace=0.0)
    app = app_factory(seeded.url, tour=tour)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await until(pilot, lambda: tour.finished, what="the empty tour to finish")
        tour.show("The last caption", 1)  # placed, not yet mounted ...
        tour._cleanup()  # ... when the tour ends
        await quiet(pilot)
        assert not app.screen.query(TourCaption)
