"""The Textual app: wiring only -- themes, keymap, the database opened in a worker, the poll.

``make_app`` builds an app from injected values (database URL, agent, clock, poll interval,
theme folders) so tests never touch the user's files; ``run_console`` is what the CLI calls,
with the user's settings.

Quitting (ctrl+q, the palette) asks first while an End Sessions runs, and a yes stops it
between two chunks (the rest is offered at the next start); an End Chat still in its Undo
time is ended before the console closes, and the terminal is told so once it has. Closing
waits for the workers Textual has cancelled, then closes the database: nothing the console
started outlives it (see ``ConsoleBackend.close``).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from ..config import Settings, save_theme
from ..domain.errors import ConsoleError, NotFound, StoreError
from ..domain.feed import NO_NEWS, NOTHING, RESYNC, FeedNews, Interest
from ..domain.text import escape_log
from .keymap import check_keymap, normalise_keymap
from .messages import ConsoleLoaded, DatabaseChanged, FirstReadShown, ShowsFeed
from .options import Clock, ConsoleOptions
from .screens.error import ErrorScreen
from .screens.loading import LoadingScreen
from .styles_cache_fix import install as install_styles_cache_fix
from .stylesheet import Stylesheet
from .themes import (
    DEFAULT_THEME,
    app_variable_defaults,
    fit_no_color_filter,
    load_themes,
    shipped_themes_dir,
    user_themes_dir,
)

if TYPE_CHECKING:
    from ..services.first_screen import FirstScreen
    from .backend import ConsoleBackend
    from .extras import Companion, Tour
    from .opening_backend import OpeningBackend
    from .screens.bulk_end import BulkEndScreen
    from .screens.console import ConsoleScreen

FALLBACK_THEME = "textual-dark"
BACKEND_MODULE = "agent_console.tui.backend"
#: Seconds after the app mounts by which the garbage collector is on again, however the start
#: goes (a database that answers slowly, a refresh that keeps failing).
START_GC_PAUSE_LIMIT = 10.0


class AgentConsoleApp(App[None]):
    """The console for one agent on one database."""

    TITLE = "agent-console"
    # The console screen's styles with the app's: parsed once at start, not again (all of
    # them) when the screen is first shown. Screen styles are not scoped either way.
    CSS_PATH = ["app.tcss", "screens/console.tcss"]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "f1,question_mark",
            "help",
            "Help",
            id="help",
            tooltip="Every key and what each screen does (? when not typing)",
        ),
        # Only while a tour plays (check_action); priority, so it stops the tour even under a
        # modal whose own escape cancels. A system binding: not in the keys catalogue.
        Binding("escape", "skip_tour", "Stop the tour", priority=True, system=True),
    ]
    # Every screen gets -narrow/-wide and -short/-tall, so its .tcss can fit 80x24. (Textual
    # types these as instance variables, hence no ClassVar.)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012
    #: Freeze what start-up made once the sessions show (``_freeze_start_up``). The test
    #: suite turns it off: in a worker that has run hundreds of apps, the full collection
    #: before the freeze costs ~170 ms per app and keeps nothing useful.
    freeze_start_up: ClassVar[bool] = True

    def __init__(self, url: str, agent: str | None, options: ConsoleOptions | None = None) -> None:
        options = options or ConsoleOptions()
        install_styles_cache_fix()  # Textual's render caches freed with their widgets
        super().__init__()
        self.options = options
        #: Whether alerts ring the terminal bell (config ``bell``).
        self.bell_on = options.bell
        #: A line shown once the console is up (the demo's web chat address).
        self.notice = options.notice
        self.url = url
        self.agent_name = agent
        self.clock = options.clock
        self.poll_interval = options.poll_interval
        self.backend: ConsoleBackend | None = None
        self._theme_name = options.theme
        self._theme_dirs = list(options.theme_dirs)
        # end_chat and end-chat name the same binding; the CLI has checked the keymap already
        # (console_keymap), before the console started.
        self._user_keymap = normalise_keymap(options.keymap)
        self._busy_timeout_ms = options.busy_timeout_ms
        self._tz = options.timezone
        self._on_theme_change = options.on_theme_change
        self._saved_theme: str | None = None
        self._poll_timer: Timer | None = None
        self._poll_worker: Worker[None] | None = None
        self.demo = options.demo
        self.tour = options.tour
        #: Seconds End Chat waits, with Undo, before the chat is ended (0: at once).
        self.end_undo_seconds = options.end_undo_seconds
        self._console: ConsoleScreen | None = None
        #: The stand-in backend while the database opens behind the first read's screen.
        self._opening: OpeningBackend | None = None
        self._quitting = False
        self._frozen = False
        #: What the console said as it quit (also printed on the terminal once it has closed).
        self.farewell: list[str] = []
        #: What choosing the theme has to say once the app can notify (on mount): titles
        #: and messages.
        self._theme_notes: list[tuple[str, str]] = []
        # Before any source is read: a dialog's first opening parses only its own CSS.
        self.stylesheet = Stylesheet.replacing(self.stylesheet)
        self._choose_theme()

    # ------------------------------------------------------------------ theme and keys

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The console's own colours, derived from the current theme unless it sets them."""
        return app_variable_defaults(self.current_theme.to_color_system().generate())

    def _choose_theme(self) -> None:
        """Register the theme files and choose the theme before the stylesheet is first
        parsed: Textual applies it with its first styles (setting it once the app runs parses
        every style again, ~10-20 ms of the start). Theme files are a few small local files,
        read before the first frame so the console never flashes in another theme."""
        themes, problems = load_themes(self._theme_dirs)
        for theme in themes:
            self.register_theme(theme)
        self._theme_notes = [("Theme skipped", problem.message) for problem in problems]
        wanted = self._theme_name
        if wanted not in self.available_themes:
            fallback = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else FALLBACK_THEME
            note = f"unknown theme {escape_log(wanted)!r}; using {fallback}"
            self._theme_notes.append(("", note))
            wanted = fallback
        # Set as Textual's own __init__ sets its default theme (it parses the styles later,
        # once, with these variables): without the watcher, which would parse them again.
        self.set_reactive(App.theme, wanted)
        theme = self.current_theme
        self.stylesheet.set_variables(self.get_css_variables())
        self.set_class(theme.dark, "-dark-mode", update=False)
        self.set_class(not theme.dark, "-light-mode", update=False)
        self.set_class(True, f"-theme-{theme.name}", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)  # as the watcher does (pinned Textual)
        self._saved_theme = wanted

    def _install_themes(self) -> None:
        for title, note in self._theme_notes:
            self.notify(note, title=title, severity="warning", markup=False)
        fit_no_color_filter(self)
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        fit_no_color_filter(self)
        # The signal also reports the theme set at start-up: only a change is saved.
        if self._on_theme_change is not None and theme.name != self._saved_theme:
            self._saved_theme = theme.name
            self._save_theme(theme.name)

    @work(thread=True, exclusive=True, group="save-theme")
    def _save_theme(self, name: str) -> None:
        assert self._on_theme_change is not None
        try:
            self._on_theme_change(name)
        except Exception as exc:  # a read-only config must not break the console
            self.call_from_thread(
                self.notify,
                escape_log(f"theme not saved: {exc}"),
                severity="warning",
                markup=False,
            )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Every key and what each screen does", self.action_help)
        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            yield from commands()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # ------------------------------------------------------------------ start and stop

    def on_mount(self) -> None:
        # The collector paused for the start (cli/console.py) is back on once the sessions
        # show or an error screen does; at the latest after this, whatever the start is doing.
        self.set_timer(START_GC_PAUSE_LIMIT, gc.enable)
        self._install_themes()
        if self._user_keymap:
            self.set_keymap(self._user_keymap)
        if not self.agent_name:
            self.push_screen(
                ErrorScreen(
                    "Who is using the console?",
                    "no agent given",
                    'Start it with --as NAME, or set agent = "NAME" in config.toml.',
                )
            )
            return
        if self.options.first_screen is not None:
            self._show_first_screen()
        else:
            self.push_screen(LoadingScreen(self.agent_name))
            self._open()
        if self.notice:
            self.notify(self.notice, title="Demo", timeout=30, markup=False)

    def _show_first_screen(self) -> None:
        """The CLI's first read found the agent and its tabs: the console screen at once, on
        a stand-in backend (``OpeningBackend``); the database opens behind it once those
        sessions are drawn (``on_first_read_shown``)."""
        from .opening_backend import OpeningBackend
        from .screens.console import ConsoleScreen
        from .snapshot import Snapshot

        first = self.options.first_screen
        assert first is not None
        opening = OpeningBackend(
            first.agent.name,
            first.agent.id,
            clock=self.clock,
            zone=first.policy.zone,
            away_reasons=first.policy.away_reasons,
        )
        self._opening = opening
        self._console = ConsoleScreen(
            cast("ConsoleBackend", opening),  # it stands for one (see opening_backend.py)
            tz=self._tz,
            undo_seconds=self.end_undo_seconds,
            first=Snapshot(first.agent, first.sessions, None, needs=first.needs, complete=False),
        )
        self.push_screen(self._console)

    def on_first_read_shown(self, message: FirstReadShown) -> None:
        if self._opening is not None and self.backend is None:
            self._open_behind(self._opening)

    @work(exclusive=True, group="open")
    async def _open_behind(self, opening: OpeningBackend) -> None:
        backend = await self._open_backend()
        if backend is None:
            opening.failed(StoreError("the console could not open the database"))
            return
        self.backend = backend
        opening.opened(backend)
        self._poll_timer = self.set_interval(self.poll_interval, self._poll_tick)
        self._start_demo(backend)

    async def _open_backend(self) -> ConsoleBackend | None:
        """The database opened for the agent, or None once an error screen says why not."""
        # The services (SQLAlchemy, Alembic) take a good half second to import: load them on a
        # thread after the first frame, so the screen is up and animating meanwhile.
        backend_module = await asyncio.to_thread(importlib.import_module, BACKEND_MODULE)
        assert self.agent_name is not None
        try:
            backend: ConsoleBackend = await backend_module.ConsoleBackend.open(
                self.url,
                self.agent_name,
                clock=self.clock,
                busy_timeout_ms=self._busy_timeout_ms,
            )
        except StoreError as exc:
            await self._fail("Cannot open the database", str(exc))
            return None
        except NotFound as exc:
            await self._fail(
                "Unknown agent", str(exc), "Add the agent first: agent-console agents add NAME"
            )
            return None
        except ConsoleError as exc:
            await self._fail("The console cannot start", str(exc))
            return None
        except Exception as exc:  # e.g. a URL SQLAlchemy cannot parse: a screen, not a traceback
            await self._fail("The console cannot start", f"{type(exc).__name__}: {exc}")
            return None
        return backend

    @work(exclusive=True, group="open")
    async def _open(self) -> None:
        backend = await self._open_backend()
        if backend is None:
            return
        from .screens.console import ConsoleScreen

        self.backend = backend
        # The first snapshot's queries run while the console screen composes and mounts.
        first = self.run_worker(
            backend.snapshot(None, neighbour=0), group="first-snapshot", exit_on_error=False
        )
        self._console = ConsoleScreen(
            backend, tz=self._tz, undo_seconds=self.end_undo_seconds, first=first
        )
        await self.switch_screen(self._console)
        self._poll_timer = self.set_interval(self.poll_interval, self._poll_tick)
        self._start_demo(backend)

    def on_console_loaded(self, message: ConsoleLoaded) -> None:
        self.call_after_refresh(self._freeze_start_up)

    def _freeze_start_up(self) -> None:
        """What start-up made (modules, styles, the database's metadata) lives as long as the
        console: out of the collector's way, once the sessions are drawn. Otherwise each full
        collection walks all of it: 50-60 ms on the UI thread, every third search or so of the
        list on 100,000 sessions (``bench/tui_bench.py --only find``). Undone at unmount, so an
        app that ends inside a longer process (a test) leaves nothing frozen."""
        if self._frozen or not self.freeze_start_up:
            gc.enable()
            return
        self._frozen = True
        gc.collect()
        gc.freeze()
        gc.enable()  # the CLI pauses the collector while the console starts (cli/console.py)

    async def _fail(self, title: str, message: str, hint: str = "") -> None:
        gc.enable()  # paused for the start (cli/console.py), which ends here
        self.notify(escape_log(message), title=title, severity="error", markup=False)
        await self.switch_screen(ErrorScreen(title, message, hint))

    # ------------------------------------------------------------------ quitting

    async def action_quit(self) -> None:
        """ctrl+q: a running End Sessions asks first; End Chats in their Undo time end first."""
        if self._quitting:
            return
        self._quitting = True
        bulk = self._running_bulk()
        if bulk is None:
            self._leave(None)
            return
        from .screens.confirm import ConfirmScreen

        question = ConfirmScreen(
            f"A bulk end is running: {bulk.done:,} of {bulk.total:,} done",
            [
                Content(
                    "Quit and leave the rest? It can be resumed at the next start; until then "
                    "the sessions not reached yet stay as they are."
                ),
            ],
            confirm="Quit",
            cancel="Keep running",
        )
        self.push_screen(question, lambda yes: self._quit_answered(bulk, bool(yes)))

    def _quit_answered(self, bulk: BulkEndScreen, yes: bool) -> None:
        if yes:
            self._leave(bulk)
        else:
            self._quitting = False

    def _running_bulk(self) -> BulkEndScreen | None:
        from .screens.bulk_end import BulkEndScreen

        for screen in self.screen_stack:
            if isinstance(screen, BulkEndScreen) and screen.running:
                return screen
        return None

    @work(exclusive=True, group="quit")
    async def _leave(self, bulk: BulkEndScreen | None) -> None:
        """Stop a running End Sessions between two chunks, end the End Chats still in their
        Undo time, then exit; what was done is printed on the terminal afterwards."""
        said: list[str] = []
        if bulk is not None:
            report = await bulk.stop()
            if report is not None and report.pending:
                said.append(
                    f"End Sessions stopped: {report.ended + report.skipped:,} of "
                    f"{report.total:,} done, {report.pending:,} left as they were; "
                    "the console offers to resume it at the next start."
                )
        if self._console is not None:
            ended = await self._console.end_pending_now()
            said += [f"End Chat pressed before quitting: {line}" for line in ended]
        self.farewell = said
        self.exit(message="\n".join(said) if said else None)

    async def on_unmount(self) -> None:
        if self._frozen:
            self._frozen = False
            gc.unfreeze()
        if self._poll_timer is not None:
            self._poll_timer.stop()
        if self.demo is not None:
            self.demo.stop()
        # Textual has cancelled every worker without waiting for them; the database is closed
        # only once they have ended (a cancelled opening finishes and closes what it opened, a
        # database call in flight ends as a whole: see backend.py).
        await self._workers_ended()
        # Any other way out (the tour's end, an error): End Chats in their Undo time still end.
        if self._console is not None and self._console.pending_ends and self.backend is not None:
            ended = [
                f"End Chat pressed before the console closed: {line}"
                for line in await self._console.end_pending_now()
            ]
            self.farewell += ended
            # Printed on the terminal after the screen is restored, as exit(message=) would be
            # (Textual prints this list after Unmount; exit() itself is too late here).
            self._exit_renderables.extend(ended)
        if self.backend is not None:
            backend, self.backend = self.backend, None
            await backend.close()

    async def _workers_ended(self) -> None:
        running = [worker for worker in self.workers if not worker.is_finished]
        for worker in running:
            # Textual has cancelled the workers it knew of; one started since is cancelled
            # here. Never twice: a second cancel can land in an await the worker shares with
            # the app's own teardown (a screen switch's removal) and cancel that too.
            if not worker.is_cancelled:
                worker.cancel()
        await asyncio.gather(
            *(worker.wait() for worker in running if worker.state is not WorkerState.PENDING),
            return_exceptions=True,
        )

    # ------------------------------------------------------------------ live refresh

    def _poll_tick(self) -> None:
        # A poll still waiting on the database makes this tick a no-op rather than a pile-up.
        if self.backend is None or (
            self._poll_worker is not None and not self._poll_worker.is_finished
        ):
            return
        if self.backend.news_without_reading(self._feed_interest()) is not None:
            return  # the pulses heard say nothing shown changed: no worker, no database
        self._poll_worker = self._poll()

    @work(group="poll")
    async def _poll(self) -> None:
        await self.poll_changes()

    def _feed_interest(self) -> Interest:
        """What the screens on the stack show, for the change feed."""
        interest = NOTHING
        for screen in self.screen_stack:
            if isinstance(screen, ShowsFeed):
                interest = interest | screen.feed_interest
        return interest

    async def poll_changes(self) -> FeedNews:
        """Ask the change feed for what concerns the screens on the stack and tell them
        (each refreshes what the news concerns). A database that cannot be read tells them
        to resync: their refresh says what is wrong, and the next poll that can resyncs."""
        if self.backend is None:
            return NO_NEWS
        try:
            news = await self.backend.poll_changes(self._feed_interest())
        except ConsoleError:
            news = RESYNC
        if news:
            for screen in self.screen_stack:
                screen.post_message(DatabaseChanged(news))
        return news

    # ------------------------------------------------------------------ demo and tour

    def _start_demo(self, backend: ConsoleBackend) -> None:
        """The living demo's world and the guided tour, when asked for (``agent-console demo``)."""
        if self.demo is not None:
            self.demo.start(self, backend)
        if self.tour is not None:
            self.tour.start(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "skip_tour":  # otherwise escape goes on to the screen's own binding
            return self.tour is not None and self.tour.playing
        return True

    def action_skip_tour(self) -> None:
        """Escape while the tour plays."""
        if self.tour is not None:
            self.tour.stop()


def console_keymap(keymap: Mapping[str, str]) -> dict[str, str]:
    """``keymap`` checked against the console's bindings: the keymap to apply (ids and keys
    normalised), or ``config.KeymapEntryError`` for the first entry the console cannot use
    (an unknown id, a key Textual cannot read, a key taken on the same screen)."""
    return check_keymap(keymap, AgentConsoleApp)


def make_app(url: str, agent: str | None, **changes: Any) -> AgentConsoleApp:
    """An app with everything injected: ``changes`` are :class:`ConsoleOptions` fields.
    ``theme_dirs`` defaults to the shipped themes only, so a test never reads the user's
    theme folder."""
    options = replace(ConsoleOptions(theme_dirs=(shipped_themes_dir(),)), **changes)
    return AgentConsoleApp(url, agent, options)


def run_console(
    url: str,
    agent: str | None,
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    demo: Companion | None = None,
    tour: Tour | None = None,
    notice: str | None = None,
    first_screen: FirstScreen | None = None,
) -> None:
    """Run the console until the agent quits (the CLI's entry point).

    The user's ``settings`` give the theme, keymap, refresh interval, busy timeout and bell;
    the user's theme folder is added to the shipped one and a theme change is saved back.
    ``demo`` runs beside the console (the living demo's world) and ``tour`` plays over it;
    the CLI builds both (see ``extras.py``), the console only starts and stops them.
    """
    settings = settings or Settings()
    options = ConsoleOptions(
        clock=clock,
        poll_interval=settings.refresh_interval_ms / 1000,
        theme=settings.theme or DEFAULT_THEME,
        theme_dirs=(shipped_themes_dir(), user_themes_dir()),
        keymap=settings.keymap,
        busy_timeout_ms=settings.busy_timeout_ms,
        on_theme_change=save_theme,
        demo=demo,
        tour=tour,
        notice=notice,
        bell=settings.bell,
        first_screen=first_screen,
    )
    AgentConsoleApp(url, agent, options).run()
