"""The tour's acts: what a step does -- press keys, type, run an action, wait for a screen
(by its class) or a condition, change the caption, scroll what it names into view, or move
through the agent's sessions until one fits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea

from ...services.views import SessionDetail
from ...tui.screens.console import ConsoleScreen

if TYPE_CHECKING:
    from .player import TourPlayer

#: Seconds a wait gives the console before the step is abandoned (not scaled by ``pace``).
WITHIN = 15.0

#: Screen classes an act waits for or looks at.
Screens = tuple[type[Screen[Any]], ...]


class StepFailed(Exception):
    """An act could not be done (a screen never opened, a condition never held)."""


class Act:
    """One thing the tour does; subclasses implement :meth:`play`."""

    async def play(self, player: TourPlayer) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Pause(Act):
    """Let the audience read (scaled by the player's ``pace``)."""

    seconds: float

    async def play(self, player: TourPlayer) -> None:
        await player.sleep(self.seconds)


@dataclass(frozen=True, init=False)
class Press(Act):
    """Press keys, as the agent would (bindings, footer and keymap all apply)."""

    keys: tuple[str, ...]
    gap: float

    def __init__(self, *keys: str, gap: float = 0.6) -> None:
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "gap", gap)

    async def play(self, player: TourPlayer) -> None:
        for key in self.keys:
            player.press(key)
            await player.settle()
            await player.sleep(self.gap)


@dataclass(frozen=True)
class Type(Act):
    """Type ``text`` into the widget ``into`` (an Input or a TextArea), a character at a time."""

    text: str
    into: str = "#composer"
    per_char: float = 0.035

    async def play(self, player: TourPlayer) -> None:
        widget = await player.wait_for_widget(self.into)
        widget.focus()
        for ch in self.text:
            if isinstance(widget, Input):
                widget.insert_text_at_cursor(ch)
            elif isinstance(widget, TextArea):
                widget.insert(ch)
            else:
                raise StepFailed(f"{self.into} is not a text field")
            await player.sleep(self.per_char)
        await player.settle()


@dataclass(frozen=True)
class Run(Act):
    """Run an action string, e.g. ``"screen.sessions_list"`` (for steps without a key)."""

    action: str

    async def play(self, player: TourPlayer) -> None:
        await player.app.run_action(self.action)
        await player.settle()


@dataclass(frozen=True, init=False)
class WaitScreen(Act):
    """Wait until one of ``screens`` is the screen on top. ``optional``: a screen that opens
    only when there is something to show (the Offline preview) may not open at all."""

    screens: Screens
    within: float
    optional: bool

    def __init__(
        self, *screens: type[Screen[Any]], within: float = WITHIN, optional: bool = False
    ) -> None:
        object.__setattr__(self, "screens", screens)
        object.__setattr__(self, "within", within)
        object.__setattr__(self, "optional", optional)

    async def play(self, player: TourPlayer) -> None:
        shown = await player.wait(
            lambda: isinstance(player.app.screen, self.screens), self.within, raise_=False
        )
        if not shown and not self.optional:
            names = " / ".join(screen.__name__ for screen in self.screens)
            raise StepFailed(f"{names} did not open")


@dataclass(frozen=True)
class WaitConsole(Act):
    """Wait until the console is the screen on top again (a modal closed)."""

    within: float = WITHIN

    async def play(self, player: TourPlayer) -> None:
        await player.wait(lambda: isinstance(player.app.screen, ConsoleScreen), self.within)


@dataclass(frozen=True)
class WaitUntil(Act):
    """Wait until ``check(player)`` holds; ``what`` names it if it never does."""

    check: Callable[[TourPlayer], bool]
    what: str
    within: float = WITHIN

    async def play(self, player: TourPlayer) -> None:
        if not await player.wait(lambda: self.check(player), self.within, raise_=False):
            raise StepFailed(self.what)


@dataclass(frozen=True, init=False)
class IfScreen(Act):
    """Play ``acts`` only if one of ``screens`` is the screen on top (e.g. a preview that only
    opens when there is something to preview)."""

    screens: Screens
    acts: tuple[Act, ...]

    def __init__(self, screens: type[Screen[Any]] | Screens, *acts: Act) -> None:
        object.__setattr__(self, "screens", screens if isinstance(screens, tuple) else (screens,))
        object.__setattr__(self, "acts", acts)

    async def play(self, player: TourPlayer) -> None:
        if isinstance(player.app.screen, self.screens):
            for act in self.acts:
                await act.play(player)


@dataclass(frozen=True)
class Say(Act):
    """Change the step's caption to what ``caption(player)`` says of the screen now (e.g. the
    Offline preview, once it shows what will happen)."""

    caption: Callable[[TourPlayer], str]

    async def play(self, player: TourPlayer) -> None:
        player.say(self.caption(player))
        await player.settle()


@dataclass(frozen=True)
class Reveal(Act):
    """Scroll what the caption names (``player.memo["named"]``: widget ids on the screen on
    top) into view, so the audience sees the sessions it reads about.

    It waits for the layout the audience will see: a screen just pushed may not be laid out
    yet, and the caption bar, moved onto that screen, takes rows from the list. A scroll made
    before either settles can leave the named row out of view, so it scrolls again until the
    row stays inside its scrolling parent (or ``within`` runs out: the tour goes on)."""

    within: float = WITHIN

    async def play(self, player: TourPlayer) -> None:
        named = player.memo.get("named", ())
        if named:
            steady: list[bool] = []

            def revealed() -> bool:
                """In view at two looks in a row: a layout still pending has had its turn."""
                steady[:] = [*steady[-1:], self._in_view(player, f"#{named[0]}")]
                return steady == [True, True]

            await player.wait(revealed, self.within, raise_=False)
        await player.settle()

    @staticmethod
    def _in_view(player: TourPlayer, selector: str) -> bool:
        """Whether the widget is inside its parent's region; if not, scroll it there."""
        screen = player.app.screen
        if not player.caption_placed(screen):
            return False
        found = screen.query(selector)
        widget = found.first() if found else None
        view = widget.parent if widget is not None else None
        if widget is None or not widget.region or not isinstance(view, Widget):
            return False
        if view.region.contains_region(widget.region):
            return True
        widget.scroll_visible(animate=False, top=True, immediate=True)
        return False


@dataclass(frozen=True)
class Seek(Act):
    """Move through the agent's sessions (ctrl+down) until ``want`` holds for the open one;
    after a full round, settle for ``good_enough``. The session found is remembered as
    ``player.memo["session"]``."""

    want: Callable[[SessionDetail], bool]
    good_enough: Callable[[SessionDetail], bool]
    what: str
    within: float = WITHIN

    async def play(self, player: TourPlayer) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.within
        tried: set[int] = set()
        while loop.time() < deadline:
            console = player.console()
            detail = console.detail if console is not None else None
            if console is not None and detail is not None:
                rows = {row.id for row in console.rows}
                if self.want(detail) or (tried >= rows and self.good_enough(detail)):
                    player.memo["session"] = detail.session.id
                    return
                tried.add(detail.session.id)
                if len(rows) > 1:
                    before = detail.session.id
                    player.press("ctrl+down")
                    await player.wait(_moved_from(player, before), 3.0, raise_=False)
                    await player.sleep(0.5)
                    continue
            await player.sleep_real(0.2)  # no session yet: the demo routes some soon
        raise StepFailed(self.what)


def _moved_from(player: TourPlayer, before: int) -> Callable[[], bool]:
    return lambda: _open_id(player) not in (None, before)


def _open_id(player: TourPlayer) -> int | None:
    console = player.console()
    detail = console.detail if console is not None else None
    return detail.session.id if detail is not None else None


# ---------------------------------------------------------------------------- steps
