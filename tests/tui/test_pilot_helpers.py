"""The suite's pilot helpers (``tests/tui/conftest.py``) do what they say on a loaded machine.

Each test here builds the moment a busy machine makes: a layout still due when a click is
aimed, messages still queued behind the app's exit when a key quits it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Label

from .conftest import click, press_to_quit


class Shifting(App[None]):
    """A button under a label that appears: the button moves down a row when it does."""

    def __init__(self) -> None:
        super().__init__()
        self.pressed = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("refused", id="error")
            yield Button("Save", id="save")

    def on_mount(self) -> None:
        self.query_one("#error").display = False

    def on_button_pressed(self) -> None:
        self.pressed += 1


async def test_a_click_aimed_while_a_layout_is_due_lands_on_its_target() -> None:
    app = Shifting()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        app.query_one("#error").display = True  # the button moves down at the next layout
        await click(pilot, "#save")
        await pilot.pause()
        assert app.pressed == 1


class Busy(Message):
    """Work the app still has queued when it handles its exit."""


class QuitsBusy(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [("ctrl+q", "quit_busy", "Quit")]

    def __init__(self) -> None:
        super().__init__()
        self.handled = 0
        self.asked_after_exit = asyncio.Event()  # a callback posted once the exit was asked

    def compose(self) -> ComposeResult:
        yield Label("busy")

    def action_quit_busy(self) -> None:
        self.exit()
        # Two messages behind the exit: the app takes them (and anything posted while it
        # handles them) before the end marker its exit puts behind them.
        self.post_message(Busy())
        self.post_message(Busy())

    def call_later(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        queued = super().call_later(callback, *args, **kwargs)
        if self._exit:  # the pilot's, waiting for the screen after the key
            self.asked_after_exit.set()
        return queued

    async def on_busy(self) -> None:
        # The first one is still being handled when the pilot's callback is posted: it lands
        # behind the end marker, as on a machine too busy to drain the queue first.
        await self.asked_after_exit.wait()
        self.handled += 1


async def test_a_quitting_key_returns_when_the_app_ends_with_work_queued() -> None:
    """``pilot.press`` here waits 30 s and raises ``WaitForScreenTimeout``: its callback lands
    behind the app's end marker and is never run."""
    app = QuitsBusy()
    async with app.run_test(size=(40, 10)) as pilot:
        await asyncio.wait_for(press_to_quit(pilot, "ctrl+q"), timeout=10)
    assert app.handled == 2 and app.return_code == 0
