"""Headless tests do not paint the frames nobody sees; they paint the last one.

Under ``App.run_test`` Textual renders every partial update of the screen into strips, and
the headless driver then drops them: a fifth of the TUI tests' CPU (the suite's TUI tests
took 1,115-1,168 s of worker time with the paints, 869 s without). ``skip_unseen_frames``
makes a partial update a no-op that clears the dirty regions as a paint would. A full render
still draws everything: ``App.export_screenshot``, which every snapshot takes, and the frame a
``run_test`` block leaves on screen when it ends without an error, painted once so that a
widget that cannot draw its last state still fails its test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from textual._compositor import Compositor
from textual.app import App
from textual.pilot import Pilot

_paint = Compositor.render_update
_run_test = App.run_test


def _render_update(
    self: Compositor,
    full: bool = False,
    screen_stack: list[Any] | None = None,
    simplify: bool = False,
) -> Any:
    if full:
        return _paint(self, full=full, screen_stack=screen_stack, simplify=simplify)
    self._dirty_regions.clear()
    return None


@asynccontextmanager
async def _run_test_painting_the_end(
    self: App[Any], *args: Any, **kwargs: Any
) -> AsyncIterator[Pilot[Any]]:
    async with _run_test(self, *args, **kwargs) as pilot:
        yield pilot
        paint_last_frame(self)


def paint_last_frame(app: App[Any]) -> None:
    """Draw the app's current screen in full (what a terminal would show), if it is up."""
    if app.is_running and not app._exit and app._screen_stack:
        screen = app.screen
        if screen.is_attached and screen.size:
            screen._compositor.render_update(full=True, screen_stack=app._background_screens)


@contextmanager
def skip_unseen_frames() -> Iterator[None]:
    Compositor.render_update = _render_update  # type: ignore[method-assign]
    App.run_test = _run_test_painting_the_end  # type: ignore[method-assign]
    try:
        yield
    finally:
        Compositor.render_update = _paint  # type: ignore[method-assign]
        App.run_test = _run_test  # type: ignore[method-assign]
