"""``screen_work``: a screen's worker that answers after the screen closed stops quietly, while a
worker whose screen is still up fails loudly as with ``@work``."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Label
from textual.worker import WorkerFailed

from agent_console.tui.screen_work import quiet_when_gone, screen_work

from .conftest import quiet


class Slow(Screen[None]):
    def __init__(self, gate: asyncio.Event) -> None:
        super().__init__()
        self.gate = gate
        self.finished = False

    def compose(self) -> ComposeResult:
        yield Label("waiting", id="status")

    @screen_work(group="slow")
    async def answer(self) -> None:
        await self.gate.wait()  # the database answering, late
        self.query_one("#status", Label).update("answered")
        self.finished = True


class Host(App[None]):
    pass


async def _late_answer(screen: Screen[None]) -> str:
    screen.query_one("#status", Label).update("answered")
    return "answered"


async def test_an_answer_for_a_screen_no_longer_in_the_dom_is_dropped() -> None:
    # The race itself (an answer between the app starting to exit and the worker being
    # cancelled) cannot be timed from a test; this is the same state: a screen off the DOM.
    gone = Slow(asyncio.Event())
    assert not gone.is_attached
    assert await quiet_when_gone(_late_answer)(gone) is None


async def test_an_answer_while_the_app_shuts_down_is_dropped() -> None:
    # run_test's teardown (like the app's) stops the app running, then removes the screens:
    # a worker answering in between finds widgets going while its screen is still attached.
    app = Host()
    async with app.run_test() as pilot:
        screen = Slow(asyncio.Event())
        await app.push_screen(screen)
        await pilot.pause()
        await screen.query_one("#status").remove()
        app._running = False  # what App._shutdown does first
        try:
            assert screen.is_attached
            assert await quiet_when_gone(_late_answer)(screen) is None
        finally:
            app._running = True


async def test_an_answer_while_a_popped_screen_is_being_removed_is_dropped() -> None:
    # Popping a screen takes it off the stack, then removes its children, then the screen:
    # an answer in between finds its widgets gone while the screen is still attached.
    app = Host()
    async with app.run_test() as pilot:
        screen = Slow(asyncio.Event())
        await app.push_screen(screen)
        await pilot.pause()
        await screen.query_one("#status").remove()
        app._screen_stack.remove(screen)  # the state of pop_screen before the removal
        try:
            assert screen.is_attached and app.is_running
            assert await quiet_when_gone(_late_answer)(screen) is None
        finally:
            app._screen_stack.append(screen)


async def test_an_answer_for_a_screen_still_up_raises_as_before() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = Slow(asyncio.Event())
        await app.push_screen(screen)
        await pilot.pause()
        assert await quiet_when_gone(_late_answer)(screen) == "answered"
        await screen.query_one("#status").remove()
        with pytest.raises(NoMatches):
            await quiet_when_gone(_late_answer)(screen)


async def test_a_late_answer_after_the_screen_closed_is_dropped() -> None:
    gate = asyncio.Event()
    app = Host()
    async with app.run_test() as pilot:
        screen = Slow(gate)
        await app.push_screen(screen)
        screen.answer()
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        gate.set()
        await quiet(pilot)  # the worker has had its answer
        assert not screen.finished
        assert app.is_running
    assert app.return_code in (None, 0)


async def test_an_error_while_the_screen_is_up_still_fails() -> None:
    gate = asyncio.Event()
    app = Host()
    with pytest.raises(WorkerFailed):
        async with app.run_test() as pilot:
            screen = Slow(gate)
            await app.push_screen(screen)
            await screen.query_one("#status").remove()  # a real bug: the label is missing
            screen.answer()
            gate.set()
            await quiet(pilot)  # the worker has failed (the app fails when this block ends)
