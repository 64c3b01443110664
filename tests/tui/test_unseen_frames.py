"""The tests' headless apps skip the frames nobody sees (``tests/shared/unseen_frames.py``)
but still paint the last one, so a widget that cannot draw still fails its test."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static


class Brittle(Static):
    # A fixed size: a widget sized by its content renders it to lay itself out.
    DEFAULT_CSS = "Brittle { width: 10; height: 1; }"
    broken = False

    def render(self) -> str:
        if self.broken:
            raise RuntimeError("cannot draw")
        return "fine"


class BrittleApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Brittle()


async def test_a_partial_update_paints_nothing() -> None:
    app = BrittleApp()
    async with app.run_test(size=(20, 3)) as pilot:
        widget = app.query_one(Brittle)
        widget.broken = True
        widget.refresh()
        await pilot.pause()  # the partial update, skipped: painted, it would fail the app
        assert app.is_running and app._exception is None
        widget.broken = False
        widget.refresh()
        await pilot.pause()


async def test_the_last_frame_is_painted_and_a_widget_that_cannot_draw_fails() -> None:
    app = BrittleApp()
    with pytest.raises(RuntimeError, match="cannot draw"):
        async with app.run_test(size=(20, 3)) as pilot:
            widget = app.query_one(Brittle)
            widget.broken = True
            widget.refresh()
            await pilot.pause()
