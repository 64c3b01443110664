"""The guided tour (``agent-console demo --tour``): a short agent workflow that plays itself.

A tour is data: a list of :class:`~agent_console.demo.tour.steps.Step` s, each a caption and
the *acts* that show it (:mod:`~agent_console.demo.tour.acts`). :class:`TourPlayer` plays them
against the running console, with the caption in a bar docked at the bottom of whatever screen
is showing, just above its footer (so it covers neither the presence bar on top nor the keys
below), and escape stops it (the console stays, the demo goes on).

A step whose screen never opens or whose condition never holds is abandoned with its caption
and "…" (screens it opened are closed) and the tour goes on; :attr:`TourPlayer.played` and
:attr:`TourPlayer.skipped` say what happened. The console knows the player only as a
:class:`~agent_console.tui.extras.Tour`.

To extend the tour, add a step to :func:`~agent_console.demo.tour.steps.default_tour` (or pass
your own list).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import events
from textual.content import Content
from textual.keys import key_to_character
from textual.screen import Screen
from textual.widgets import Static

from ...domain.text import one_line
from ...tui.screens.console import ConsoleScreen
from .acts import WITHIN, StepFailed
from .steps import Step, default_tour

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

POLL = 0.05


class TourCaption(Static):
    """The caption bar, docked at the bottom of whatever screen is showing, above what is
    docked there already (the footer): it covers neither the presence bar on top, which the
    captions speak of, nor the keys they name. A docked bar takes its rows from the screen's
    layout, so it covers nothing else either."""

    DEFAULT_CSS = """
    TourCaption {
        dock: bottom;
        width: 100%;
        height: auto;
        max-height: 5;
        padding: 0 1;
        background: $accent;
        color: $text;
    }
    """

    def lift_above(self, screen: Screen[Any]) -> None:
        """Sit above the screen's other bottom-docked widgets (a margin of their height)."""
        below = [
            w for w in screen.children if w is not self and w.display and w.styles.dock == "bottom"
        ]
        self.styles.margin = (0, 0, max((_height(w) for w in below), default=0), 0)


def _height(widget: Any) -> int:
    """A docked widget's rows: as laid out, or as styled before its first layout."""
    if widget.outer_size.height:
        return int(widget.outer_size.height)
    height = widget.styles.height
    return int(height.value) if height is not None and height.is_cells else 1


@dataclass
class TourPlayer:
    """Plays ``steps`` once the console is up. ``pace`` scales every pause (0 in tests);
    ``exit_at_end`` quits the app when the tour has played (not when it was stopped)."""

    steps: list[Step] = field(default_factory=default_tour)
    pace: float = 1.0
    exit_at_end: bool = False
    played: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)
    finished: bool = False
    stopped: bool = False

    def __post_init__(self) -> None:
        self._app: App[Any] | None = None
        self._worker: Worker[None] | None = None
        self._bar: TourCaption | None = None
        self._bar_screen: Screen[Any] | None = None
        self._caption = Content("")
        self._bar_caption: Content | None = None
        self._index = 0
        self._over = False  # the play ended: played through, failed or cancelled

    @property
    def playing(self) -> bool:
        return self._app is not None and not (self._over or self.stopped)

    @property
    def app(self) -> App[Any]:
        assert self._app is not None, "the tour has not started"
        return self._app

    # ------------------------------------------------------------------ start and stop

    def start(self, app: App[Any]) -> None:
        """Play the tour in a worker (the console calls this once it is open)."""
        if self._app is not None:
            return
        self._app = app
        app.refresh_bindings()  # the app's escape binding works while the tour plays
        self._worker = app.run_worker(self._play(), name="tour", group="tour", exit_on_error=False)

    def stop(self) -> None:
        """Stop the tour where it is; the console stays open."""
        if self.finished or self._app is None:
            return
        self.stopped = True
        if self._worker is not None:
            self._worker.cancel()
        self._cleanup()
        self._app.notify("Tour stopped. The demo goes on: the console is yours.", markup=False)

    def _cleanup(self) -> None:
        self.app.refresh_bindings()  # escape is the screen's again
        self._take_bar_down()
        self._bar = None
        self._bar_screen = None

    async def _play(self) -> None:
        try:
            await self.wait(lambda: self.console() is not None, 60.0)
            console = self.console()
            await self.wait(lambda: console is not None and console.loaded, 60.0)
            for index, step in enumerate(self.steps, 1):
                await self._play_step(step, index)
            self.finished = True
        finally:
            self._over = True
            if not self.stopped:
                self._cleanup()
        if self.exit_at_end:
            self.app.exit()

    async def _play_step(self, step: Step, index: int) -> None:
        caption = self._text(step)
        self.show(caption, index)
        await self.sleep(step.hold)
        depth = len(self.app.screen_stack)
        try:
            for act in step.acts:
                await act.play(self)
        except Exception as exc:  # StepFailed, or a screen that changed under the tour
            why = str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
            self.skipped.append((step.name, why))
            self.show(f"{caption} … ({why})", index)
            await self._back_to(depth)
            await self.sleep(step.hold)
            return
        self.played.append(step.name)
        await self.sleep(step.after)

    async def _back_to(self, depth: int) -> None:
        """Close the screens an abandoned step opened, so the next step starts on the console."""
        while len(self.app.screen_stack) > max(depth, 1):
            # Dismissed (not just popped), so a worker waiting on the screen gets None: cancel.
            await self.app.screen.dismiss(None)
            await self.settle()

    # ------------------------------------------------------------------ helpers for acts

    def console(self) -> ConsoleScreen | None:
        for screen in self.app.screen_stack:
            if isinstance(screen, ConsoleScreen):
                return screen
        return None

    @property
    def step(self) -> Step | None:
        """The step playing (or last played)."""
        return self.steps[self._index - 1] if 0 < self._index <= len(self.steps) else None

    @property
    def bar(self) -> TourCaption | None:
        return self._bar

    def _text(self, step: Step) -> str:
        """The step's caption; a caption that cannot read the console says its name."""
        try:
            return step.text(self)
        except Exception as exc:  # a console that changed under the tour
            return f"{step.name} ({type(exc).__name__})"

    def say(self, caption: str) -> None:
        """Change the caption of the step playing."""
        self.show(caption, self._index)

    def show(self, caption: str, index: int) -> None:
        self._index = index
        self.captions.append(caption)
        self._caption = Content.assemble(
            (f"Tour {index}/{len(self.steps)}", "bold"),
            "  ",
            one_line(caption, 400),
            ("   esc stops the tour", "italic"),
        )
        self._place_bar()

    def _place_bar(self) -> None:
        """Keep the caption bar on the screen on top (modals come and go)."""
        screen = self.app.screen
        if self._bar is not None and self._bar_screen is screen:
            if self._bar_caption is not self._caption:
                self._bar_caption = self._caption
                self._bar.update(self._caption)
            return
        self._take_bar_down()
        self._bar = TourCaption(self._caption, id="tour-caption", markup=False)
        self._bar_screen = screen
        self._bar_caption = self._caption
        self._bar.lift_above(screen)
        screen.mount(self._bar)

    def caption_placed(self, screen: Screen[Any]) -> bool:
        """The caption bar is on ``screen`` and laid out there (or no caption is shown)."""
        if self._bar is None:
            return True
        return self._bar_screen is screen and bool(self._bar.region)

    def _take_bar_down(self) -> None:
        """Remove the caption bar from its screen. It is in the DOM from ``mount()`` on but
        ``is_mounted`` only once its Mount has run: a bar placed just before the tour ends
        (or moves to another screen) must go too, or it stays up for good."""
        if self._bar is not None and self._bar.parent is not None:
            self._bar.remove()

    def press(self, key: str) -> None:
        """Send a key press through the app, as the terminal would."""
        self.app.post_message(events.Key(key, key_to_character(key)))

    async def settle(self) -> None:
        await asyncio.sleep(POLL)

    async def sleep(self, seconds: float) -> None:
        """A pause for the audience (scaled by ``pace``); the caption follows modals meanwhile."""
        await self.sleep_real(seconds * self.pace)

    async def sleep_real(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while True:
            self._place_bar_if_shown()
            left = end - loop.time()
            if left <= 0:
                break
            await asyncio.sleep(min(POLL, left))

    def _place_bar_if_shown(self) -> None:
        if self._bar is not None:
            self._place_bar()

    async def wait(self, check: Callable[[], bool], within: float, *, raise_: bool = True) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not check():
            if loop.time() > deadline:
                if raise_:
                    raise StepFailed("the console did not get there in time")
                return False
            await self.sleep_real(POLL)
        self._place_bar_if_shown()
        return True

    async def wait_for_widget(self, selector: str) -> Any:
        found: list[Any] = []

        def visible() -> bool:
            matches = self.app.screen.query(selector)
            if matches and not matches.first().disabled:
                found[:] = [matches.first()]
                return True
            return False

        if not await self.wait(visible, WITHIN, raise_=False):
            raise StepFailed(f"{selector} is not there")
        return found[0]
