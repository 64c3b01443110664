"""The Messaging Sessions list (R3, R4, R11): filters, sorting, a live count, multi-select,
End Sessions and a row action menu -- fast on 100,000 sessions.

The table renders only the rows on screen and is fed page by page (keyset pages from the
service); the count is one ``COUNT(*)``. The selection lives here, outside the table: ids
picked one by one, or "all N matching this filter", which the service expands (the screen
never holds those ids). Every "may I end this?" answer comes from the services: the preview
and the row menu show their reasons as given.

This module holds the screen's state, its stored view and layout; its parts are mixed in from
:mod:`.sessions_list_filters` (filter bar, sort, search), :mod:`.sessions_list_loading` (pages,
live refreshes, counts) and :mod:`.sessions_list_actions` (selection, End Sessions, the row
menu, the palette, the bindings).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import tzinfo
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.binding import BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from ...domain.errors import ConsoleError
from ...domain.text import one_line
from ...services.list_prefs import ListView
from ...services.listing import SORT_LABELS, Sort
from ...services.views import Page
from ..commands import literal_highlight
from ..notify_errors import notified_errors
from ..refresh_loop import RefreshLoop
from ..selection import ListSelection
from ..widgets.filter_choice import FilterChoice
from ..widgets.footer import Footer
from ..widgets.session_table import SessionTable, SessionTableHeader
from .sessions_list_actions import LIST_BINDINGS, ListActions
from .sessions_list_filters import (
    AGE_CHOICES,
    ALL,
    CHANNEL_CHOICES,
    SORT_CHOICES,
    STATUS_CHOICES,
    ListFilters,
    default_sort,
    owner_value,
    valid_choices,
)
from .sessions_list_loading import PAGE, ListLoading

if TYPE_CHECKING:
    from textual.app import App, ComposeResult
    from textual.timer import Timer
    from textual.worker import Worker

    from ...services.views import PageCursor
    from ..backend import ConsoleBackend

log = logging.getLogger(__name__)

Queries = tuple["asyncio.Future[Page]", "asyncio.Future[int]"]


async def save_view(app: App[object], backend: ConsoleBackend, view: ListView) -> None:
    """Keep the agent's view of the list (an error is told, the list goes on)."""
    prefix = "The list's filters were not kept: "
    with notified_errors(app, types=(ConsoleError, ValueError), prefix=prefix):
        await backend.save_list_view(view)


def open_sessions_list(
    app: App[object], backend: ConsoleBackend, *, owner: str | None = None, tz: tzinfo | None = None
) -> None:
    """Show the list (filtered by ``owner``): the open one if it is on top, else a new one."""
    screen = app.screen
    if isinstance(screen, SessionsListScreen):
        screen.set_owner(owner)
        return
    app.push_screen(SessionsListScreen(backend, owner=owner, tz=tz))


class SessionsListProvider(Provider):
    """Palette: "Messaging Sessions" and "Sessions owned by AGENT" for every agent."""

    async def startup(self) -> None:
        self._agents: list[str] = []
        backend = getattr(self.app, "backend", None)
        if backend is not None:
            try:
                self._agents = await backend.agent_names()
            except ConsoleError:
                self._agents = []

    def _commands(self) -> list[tuple[str, str, Callable[[], None]]]:
        backend = getattr(self.app, "backend", None)
        if backend is None:
            return []
        tz = getattr(self.app, "_tz", None)
        out: list[tuple[str, str, Callable[[], None]]] = [
            (
                "Messaging Sessions",
                "Every session: filters, multi-select, End Sessions",
                partial(open_sessions_list, self.app, backend, tz=tz),
            )
        ]
        for name in self._agents:
            out.append(
                (
                    f"Sessions owned by {one_line(name, 40)}",
                    "The Messaging Sessions list filtered by owner",
                    partial(open_sessions_list, self.app, backend, owner=name, tz=tz),
                )
            )
        return out

    async def discover(self) -> Hits:
        for text, help_text, command in self._commands()[:1]:
            yield DiscoveryHit(Content(text), command, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score, literal_highlight(matcher, text), command, text=text, help=help_text
                )


class SessionsListScreen(ListFilters, ListLoading, ListActions, Screen[None]):
    """Every session the agent may see, with filters, multi-select and End Sessions."""

    CSS_PATH = "sessions_list.tcss"
    HELP_TITLE = "Messaging Sessions"
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {SessionsListProvider}
    HELP = (
        "Messaging Sessions: every session, filtered by status, channel, owner and age, "
        "sorted by any column. Space selects a row, shift+up/down a range, a the rows on "
        "screen, A every session matching the filters. End Sessions previews what will end "
        "and what will be skipped and why, then ends them with a progress bar. Enter opens a "
        "row's menu (End Session exists for standard channels only, and asks before it ends "
        "the session). / searches by a word of the customer's name or of a line (with the "
        "filters), c clears the filters and the search, ctrl+end (G) jumps to the last page and "
        "ctrl+home (g) back to the first. The list opens with the filters you left it with."
    )
    AUTO_FOCUS = "#session-table"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012 (Textual's type)
    BINDINGS: ClassVar[list[BindingType]] = LIST_BINDINGS

    def __init__(
        self,
        backend: ConsoleBackend,
        *,
        owner: str | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__(id="sessions-list-screen")
        self.backend = backend
        self._tz = tz
        self._choices = {
            "status": ALL,
            "channel": ALL,
            "owner": owner_value(owner) if owner else ALL,
            "age": ALL,
        }
        self._owner_given = owner
        self._save_wanted = False
        self._agents: list[str] = [owner] if owner else []
        self._search = ""
        self._search_timer: Timer | None = None
        self.flt = self._build_filter()
        self.sort = default_sort("created")
        self.selection = ListSelection()
        self.total: int | None = None
        self.next_cursor: PageCursor | None = None
        #: Where the rows before the loaded ones end (after a jump to the last page).
        self.prev_cursor: PageCursor | None = None
        self._generation = 0
        #: The query (filter and sort) whose rows are on screen, counted like ``reload`` calls.
        self.shown_generation = 0
        self._loaded = False
        #: Live refreshes: one at a time; asked for meanwhile, one more after it.
        self._live = RefreshLoop(self._live_refresh)
        #: Sessions not loaded that changes touched, to check against the filter.
        self._unseen: set[int] = set()
        self._more: Worker[None] | None = None
        self._less: Worker[None] | None = None
        # The agent's stored view, then page one and the count, start now, while the screen
        # is still being built.
        self._prefetch: asyncio.Future[Queries] | None = None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            self._prefetch = asyncio.ensure_future(self._first_queries())

    async def _first_queries(self) -> Queries:
        """The list as the agent left it: their stored view, then its page one and count."""
        try:
            self._use_view(await self.backend.list_view())
        except ConsoleError as exc:
            log.warning("the list's stored filters could not be read: %s", exc)
        return self._start_queries()

    def _use_view(self, view: ListView) -> None:
        """Take a stored view's choices (the owner a "Sessions owned by" opening names wins)."""
        choices = valid_choices(view)
        if self._owner_given:
            choices["owner"] = owner_value(self._owner_given)
        elif choices["owner"].startswith("agent:"):
            self._agents = sorted({*self._agents, choices["owner"].removeprefix("agent:")})
        self._choices = choices
        self.sort = (
            Sort(view.sort, view.descending)
            if view.sort in SORT_LABELS
            else default_sort("created")
        )
        self._search = view.search.strip()
        self.flt = self._build_filter()

    def _view(self) -> ListView:
        c = self._choices
        return ListView(
            status=c["status"],
            channel=c["channel"],
            owner=c["owner"],
            age=c["age"],
            sort=self.sort.key,
            descending=self.sort.descending,
            search=self._search,
        )

    def _show_view(self) -> None:
        """The filter bar, the sort and the search box show the current choices."""
        owner = self.query_one("#filter-owner", FilterChoice)
        owner.set_choices(self._owner_choices())
        for name, value in self._choices.items():
            self.query_one(f"#filter-{name}", FilterChoice).value = value
        self.query_one("#filter-sort", FilterChoice).value = self.sort.key
        self.query_one(SessionTableHeader).show_sort(self.sort.key, self.sort.descending)
        search = self.query_one("#list-search", Input)
        if search.value.strip() != self._search:
            search.value = self._search

    def _save_view(self) -> None:
        """Keep the current view for the agent -- once the rows it asked for are on screen
        (the write must not delay them), or when the list closes before that."""
        self._save_wanted = True

    def _save_if_wanted(self) -> None:
        if not self._save_wanted:
            return
        self._save_wanted = False
        # The app's worker, not the screen's: closing the list must not cancel the write.
        self.app.run_worker(
            save_view(self.app, self.backend, self._view()), group="list-save", exclusive=True
        )

    def _start_queries(self) -> Queries:
        """Page one and the count of the current filter and sort, running side by side."""
        flt, sort = self.flt, self.sort
        return (
            asyncio.ensure_future(self.backend.list_page(flt, sort, limit=PAGE)),
            asyncio.ensure_future(self.backend.count_sessions(flt)),
        )

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(Content("Messaging Sessions"), id="list-title")
        with Horizontal(id="list-filters"):
            c = self._choices
            for name, title, choices in (
                ("status", "Status", STATUS_CHOICES),
                ("channel", "Channel", CHANNEL_CHOICES),
                ("owner", "Owner", self._owner_choices()),
                ("age", "Age", AGE_CHOICES),
            ):
                yield FilterChoice(title, choices, c[name], default=ALL, id=f"filter-{name}")
            yield FilterChoice("Sort", SORT_CHOICES, self.sort.key, id="filter-sort")
        with Horizontal(id="list-actions"):
            yield Button("End Sessions", id="end-sessions", variant="error", compact=True)
            yield Button("Select screen", id="select-screen", compact=True)
            yield Button("Select all matching", id="select-matching", compact=True)
            yield Button("Clear", id="clear-selection", compact=True)
            yield Input(
                placeholder="/ search",
                id="list-search",
                compact=True,
                max_length=200,
                select_on_focus=False,
            )
        yield SessionTableHeader(id="session-table-header", gutter=2)
        yield SessionTable(self.selection, now=self.backend.now, id="session-table")
        yield Footer()

    def _owner_choices(self) -> list[tuple[str, str]]:
        me = self.backend.agent
        return [
            ("Anyone", ALL),
            (f"Me ({one_line(me, 16)})", "me"),
            ("Unassigned", "none"),
            *[(one_line(name, 24), owner_value(name)) for name in self._agents],
        ]

    def on_mount(self) -> None:
        self.query_one(SessionTableHeader).show_sort(self.sort.key, self.sort.descending)
        self.reload()

    @property
    def loaded(self) -> bool:
        """Whether the first page is on screen."""
        return self._loaded

    @property
    def table(self) -> SessionTable:
        return self.query_one(SessionTable)
