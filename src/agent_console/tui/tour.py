"""The guided tour (``agent-console demo --tour``): a short agent workflow that plays itself.

A tour is data: a list of :class:`Step` s, each a caption and the *acts* that show it -- press
keys, type, run an action, wait for a screen (by class name or ``#id``) or for a condition.
:class:`TourPlayer` plays them against the running console, with the caption in a bar docked at
the bottom of whatever screen is showing, just above its footer (so it covers neither the
presence bar on top nor the keys below), and escape stops it (the console stays, the demo goes
on).

A caption that speaks of the session on screen is a function of the player (see
:class:`Say`): it reads what the console shows -- the open session's capacity model and units,
the Offline preview's effects -- rather than assume the deployment's model, so it never says
"tab-based" of a status-based chat.

Steps name the console actions they need (``needs=("presence_menu",)``). A step whose action
this build lacks plays its ``instead`` step if it has one (an older way to do the same), or is
skipped with its caption and "…"; a step whose screen never opens is abandoned the same way
(screens it opened are closed) and the tour goes on. So the tour never crashes on a build that
lacks a screen; :attr:`TourPlayer.played` and :attr:`TourPlayer.skipped` say what happened.

To extend the tour, add a :class:`Step` to :func:`default_tour` (or pass your own list).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import events
from textual.content import Content
from textual.keys import key_to_character
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea

from ..domain.capacity import consumes
from ..domain.text import one_line, plural
from ..domain.vocab import CapacityModel, SessionStatus, session_label
from ..services.presence import REQUEUED, summarize_effects

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

    from .screens.console import ConsoleScreen

CONSOLE_ID = "console-screen"
SKIP_ACTION = "skip_tour"
#: Seconds a wait gives the console before the step is abandoned (not scaled by ``pace``).
WITHIN = 15.0
POLL = 0.05

REPLY = "Thanks for waiting! I'm on it and will sort this out for you now."

# The Messaging Sessions list (f3 on the console): the screen, and its bulk End Sessions modal.
LIST_ACTION = "sessions_list"
LIST_SCREENS = ("SessionsListScreen", "#sessions-list-screen")
BULK_SCREENS = ("BulkEndScreen", "#bulk-end-screen")
OFFLINE_SCREENS = ("OfflinePreviewScreen", "#offline-preview")


class StepFailed(Exception):
    """An act could not be done (a screen never opened, a condition never held)."""


# ---------------------------------------------------------------------------- acts


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
    """Wait until one of ``names`` (a screen class name or ``#id``) is the screen on top."""

    names: tuple[str, ...]
    within: float
    optional: bool

    def __init__(self, *names: str, within: float = WITHIN, optional: bool = False) -> None:
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "within", within)
        object.__setattr__(self, "optional", optional)

    async def play(self, player: TourPlayer) -> None:
        shown = await player.wait(
            lambda: screen_is(player.app.screen, self.names), self.within, raise_=False
        )
        if not shown and not self.optional:
            raise StepFailed(f"{' / '.join(self.names)} did not open")


@dataclass(frozen=True)
class WaitConsole(Act):
    """Wait until the console is the screen on top again (a modal closed)."""

    within: float = WITHIN

    async def play(self, player: TourPlayer) -> None:
        await player.wait(lambda: player.app.screen.id == CONSOLE_ID, self.within)


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
    """Play ``acts`` only if one of ``names`` is the screen on top (e.g. a preview that only
    opens when there is something to preview)."""

    names: tuple[str, ...]
    acts: tuple[Act, ...]

    def __init__(self, names: str | tuple[str, ...], *acts: Act) -> None:
        object.__setattr__(self, "names", (names,) if isinstance(names, str) else names)
        object.__setattr__(self, "acts", acts)

    async def play(self, player: TourPlayer) -> None:
        if screen_is(player.app.screen, self.names):
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
    top) into view, so the audience sees the sessions it reads about."""

    async def play(self, player: TourPlayer) -> None:
        screen = player.app.screen
        for widget_id in player.memo.get("named", ())[:1]:
            for widget in screen.query(f"#{widget_id}"):
                widget.scroll_visible(animate=False, top=True, immediate=True)
        await player.settle()


@dataclass(frozen=True)
class Seek(Act):
    """Move through the agent's sessions (ctrl+down) until ``want`` holds for the open one;
    after a full round, settle for ``good_enough``. The session found is remembered as
    ``player.memo["session"]``."""

    want: Callable[[Any], bool]
    good_enough: Callable[[Any], bool]
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


#: A caption: fixed text, or what the player's console shows when the step starts.
Caption = str | Callable[["TourPlayer"], str]


@dataclass(frozen=True)
class Step:
    """A caption and what shows it. ``needs``: console actions the step uses; when one is
    missing, ``instead`` is played, or the step is skipped with its caption. ``shows``: the
    widgets (selectors) the caption speaks of, which the caption bar must not cover."""

    name: str
    caption: Caption
    acts: tuple[Act, ...] = ()
    needs: tuple[str, ...] = ()
    instead: Step | None = None
    hold: float = 2.5  # seconds to read the caption before the acts start
    after: float = 1.5  # seconds to look at the result
    shows: tuple[str, ...] = ()

    def text(self, player: TourPlayer) -> str:
        return self.caption if isinstance(self.caption, str) else self.caption(player)


def screen_is(screen: Screen[Any], names: Sequence[str]) -> bool:
    """Whether ``screen`` is one of ``names``: a class name (its own or a base's) or ``#id``."""
    classes = {cls.__name__ for cls in type(screen).__mro__}
    return any(
        (name[1:] == screen.id) if name.startswith("#") else (name in classes) for name in names
    )


def _detail(player: TourPlayer) -> Any:
    console = player.console()
    return console.detail if console is not None else None


def _action(detail: Any, name: str) -> Any:
    return next((a for a in detail.actions if a.name == name), None)


def _endable(detail: Any) -> bool:
    end = _action(detail, "End Chat")
    return detail.session.status == "Active" and end is not None and end.allowed


def _customer_waits(detail: Any) -> bool:
    """An Active chat the agent may end, whose customer wrote last: the one to answer."""
    last = detail.messages[-1] if detail.messages else None
    return _endable(detail) and last is not None and last.author_kind == "customer"


def _memo_session(player: TourPlayer) -> Any:
    detail = _detail(player)
    if detail is None or detail.session.id != player.memo.get("session"):
        return None
    return detail


def _replied(player: TourPlayer) -> bool:
    detail = _memo_session(player)
    return detail is not None and any(
        m.author_kind == "agent" and m.text == REPLY for m in detail.messages[-5:]
    )


def _ended(player: TourPlayer) -> bool:
    detail = _memo_session(player)
    return detail is not None and detail.session.status == "Ended"


def _model_words(row: Any) -> tuple[str, str]:
    """The session's capacity model and its units held, as the console shows them."""
    units = plural(row.units_held, "unit")
    return row.capacity_model, units


def end_chat_caption(player: TourPlayer) -> str:
    """End Chat's caption, for the session the tour opened: what ending does to *its* units
    under *its* capacity model (the domain's rule), never the deployment's default."""
    said = (
        "End Chat (ctrl+e) ends it after 5 s, in which ctrl+z undoes it; then the customer "
        "sees a system line (R1)."
    )
    detail = _memo_session(player)
    if detail is None:
        return said
    row = detail.session
    model, units = _model_words(row)
    label = session_label(row.id)
    if not row.units_held:
        return f"{said} {label} is {model} and holds no units now."
    one = row.units_held == 1
    if consumes(CapacityModel(model), SessionStatus.ENDED, tab_open=True, owned=True):
        stay = "stays" if one else "stay"
        return f"{said} {label} is {model}: its {units} {stay} held until its tab is closed (R2)."
    free = "is" if one else "are"
    return f"{said} {label} is {model}: its {units} {free} freed the moment it ends (R2)."


def close_tab_caption(player: TourPlayer) -> str:
    """Close tab's caption: whether the ended session still holds units (the view says)."""
    detail = _memo_session(player)
    if detail is None:
        return "Close the tab (ctrl+t): the ended session leaves your sessions."
    row = detail.session
    model, units = _model_words(row)
    label = session_label(row.id)
    if row.units_held:
        them = "it" if row.units_held == 1 else "them"
        return (
            f"Close the tab (ctrl+t): {label} ({model}) still holds {units}; closing gives "
            f"{them} back (R2)."
        )
    return (
        f"Close the tab (ctrl+t): {label} is {model}, so its units came back when it ended; "
        "closing takes it off your sessions."
    )


OFFLINE_CAPTION = (
    "Go Offline from the presence menu (ctrl+o): first, what will happen to each session (R5)."
)


def offline_caption(player: TourPlayer) -> str:
    """The Offline step's caption once the preview shows: the preview's own effects (the
    service's dry run), naming the first session that goes back to the queue (and revealing
    it, see :class:`Reveal`), or saying that none does."""
    screen = player.app.screen
    effects = list(getattr(screen, "effects", ()))
    player.memo["named"] = []
    if not effects:
        return f"{OFFLINE_CAPTION} You have no ongoing session: nothing moves."
    moved = [e for e in effects if e.effect == REQUEUED]
    if not moved:
        return f"{OFFLINE_CAPTION} Nothing goes back to the queue: {summarize_effects(effects)}."
    first = moved[0]
    player.memo["named"] = [f"offline-effect-{first.session_id}"]
    who = session_label(first.session_id)
    if len(moved) > 1:
        who += f" (and {plural(len(moved) - 1, 'other')})"
    stay = len(effects) - len(moved)
    rest = f"; {plural(stay, 'other')} stay{'s' if stay == 1 else ''} with you" if stay else ""
    return f"{OFFLINE_CAPTION} {who}: {REQUEUED}{rest}."


def _tab_closed(player: TourPlayer) -> bool:
    console = player.console()
    return console is not None and all(row.id != player.memo.get("session") for row in console.rows)


def _presence_is(value: str) -> Callable[[TourPlayer], bool]:
    def check(player: TourPlayer) -> bool:
        console = player.console()
        agent = console.agent_view if console is not None else None
        return agent is not None and agent.presence == value

    return check


def _screen_loaded(player: TourPlayer) -> bool:
    """The screen on top has shown its first data (screens that load say so in ``loaded``)."""
    return bool(getattr(player.app.screen, "loaded", True))


def _bulk_phase(phase: str, *, ready: bool = False) -> Callable[[TourPlayer], bool]:
    """The bulk End Sessions modal is in ``phase`` (``ready``: its preview has loaded)."""

    def check(player: TourPlayer) -> bool:
        screen = player.app.screen
        if not screen_is(screen, BULK_SCREENS) or getattr(screen, "phase", None) != phase:
            return False
        return not ready or getattr(screen, "summary", None) is not None

    return check


def _logged_out(player: TourPlayer) -> bool:
    console = player.console()
    agent = console.agent_view if console is not None else None
    return agent is not None and not agent.logged_in


def default_tour() -> list[Step]:
    """Reply, End Chat, close the tab, bulk end from the list, go Offline, log out."""
    return [
        Step(
            "welcome",
            "This is dana's console: her sessions on the left, the open conversation on the "
            "right, presence and capacity on top. The customers are live.",
            (Pause(2.0),),
            hold=3.0,
            shows=("#status-bar", "#sessions", "#conversation"),
        ),
        Step(
            "reply",
            "Open a chat whose customer is waiting (ctrl+down) and reply: type, enter sends.",
            (
                Seek(_customer_waits, _endable, "no Active chat to reply to"),
                Pause(1.0),
                Type(REPLY),
                Pause(0.8),
                Press("enter"),
                WaitUntil(_replied, "the reply did not show in the transcript"),
            ),
            shows=("#composer", "#transcript"),
        ),
        Step(
            "end-chat",
            end_chat_caption,
            (
                Press("ctrl+e"),
                WaitUntil(_ended, "the chat did not end"),
            ),
            needs=("end_chat",),
            shows=("#end-bar", "#transcript", "#status-bar"),
        ),
        Step(
            "close-tab",
            close_tab_caption,
            (
                Press("ctrl+t"),
                WaitUntil(_tab_closed, "the tab did not close"),
            ),
            needs=("close_tab",),
            shows=("#tab-bar", "#status-bar", "#sessions"),
        ),
        Step(
            "list-bulk-end",
            "The Messaging Sessions list (f3): select sessions (space), End Sessions (e) "
            "previews what will end or be skipped and why, then ends them together (R3, R11).",
            (
                Press("f3"),
                WaitScreen(*LIST_SCREENS),
                WaitUntil(_screen_loaded, "the list did not load"),
                Pause(1.5),
                Press("space", "down", "space"),
                Pause(1.0),
                Press("e"),
                WaitScreen(*BULK_SCREENS),
                WaitUntil(_bulk_phase("preview", ready=True), "the bulk preview did not load"),
                Pause(3.5),
                Press("y"),
                WaitUntil(_bulk_phase("results"), "the bulk end did not finish"),
                Pause(3.0),
                Press("n"),  # Close (escape is the tour's own key while it plays)
                WaitScreen(*LIST_SCREENS),
                Pause(1.0),
                Run("screen.close"),
                WaitConsole(),
            ),
            needs=(LIST_ACTION,),
        ),
        Step(
            "offline",
            OFFLINE_CAPTION,
            (
                Press("ctrl+o"),
                WaitScreen("PresenceMenu", "#presence-menu"),
                Pause(1.5),
                Press("f"),
                WaitScreen(*OFFLINE_SCREENS, within=5.0, optional=True),
                # What the preview shows, in the caption, and the session it names on screen.
                IfScreen(OFFLINE_SCREENS, Say(offline_caption), Reveal()),
                Pause(3.5),
                IfScreen(OFFLINE_SCREENS, Press("y")),
                WaitConsole(),
                WaitUntil(_presence_is("Offline"), "presence did not change to Offline"),
            ),
            needs=("presence_menu",),
            shows=("#status-bar", "#offline-effects"),
        ),
        Step(
            "logout",
            "Log out of Omni: a warning lists every ongoing session that will end (R6).",
            (
                Press("ctrl+o"),
                WaitScreen("PresenceMenu", "#presence-menu"),
                Pause(1.5),
                Press("l"),
                WaitScreen("LogoutScreen", "#logout-warning"),
                Pause(4.0),
                Press("y"),
                WaitConsole(),
                WaitUntil(_logged_out, "the agent is still logged in"),
            ),
            needs=("presence_menu", "log_out"),
        ),
        Step(
            "outro",
            "That was the tour. Run agent-console demo to try it all yourself.",
            (Pause(3.0),),
            hold=1.0,
        ),
    ]


# ---------------------------------------------------------------------------- the player


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
        # Priority, so escape stops the tour even while a modal (whose escape cancels) is up;
        # removed again when the tour ends. Textual has no public way to add a priority
        # binding at run time, hence the app's BindingsMap.
        app._bindings.bind("escape", SKIP_ACTION, "Stop the tour", priority=True)
        app.refresh_bindings()
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
        app = self.app
        keys = app._bindings.key_to_bindings
        mine = [b for b in keys.get("escape", []) if b.action == SKIP_ACTION]
        for binding in mine:
            keys["escape"].remove(binding)
        if "escape" in keys and not keys["escape"]:
            del keys["escape"]
        app.refresh_bindings()
        if self._bar is not None and self._bar.is_mounted:
            self._bar.remove()
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
            if not self.stopped:
                self._cleanup()
        if self.exit_at_end:
            self.app.exit()

    async def _play_step(self, step: Step, index: int) -> None:
        console = self.console()
        missing = [n for n in step.needs if not hasattr(console, f"action_{n}")]
        if missing:
            if step.instead is not None:
                await self._play_step(step.instead, index)
                return
            self.skipped.append((step.name, f"not in this build: {', '.join(missing)}"))
            self.show(f"{self._text(step)} …", index)
            await self.sleep(step.hold)
            return
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
            if screen.id == CONSOLE_ID:
                return screen  # type: ignore[return-value]
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
        if self._bar is not None and self._bar.is_mounted:
            self._bar.remove()
        self._bar = TourCaption(self._caption, id="tour-caption", markup=False)
        self._bar_screen = screen
        self._bar_caption = self._caption
        self._bar.lift_above(screen)
        screen.mount(self._bar)

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
