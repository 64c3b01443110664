"""The Messaging Sessions list (R3, R4, R11): filters, sorting, a live count, multi-select,
End Sessions and a row action menu -- fast on 100,000 sessions.

The table renders only the rows on screen and is fed page by page (keyset pages from the
service); the count is one ``COUNT(*)``. The selection lives here, outside the table: ids
picked one by one, or "all N matching this filter", which the service expands (the screen
never holds those ids). Every "may I end this?" answer comes from the services: the preview
and the row menu show their reasons as given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta, tzinfo
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from ...domain.channels import CHANNELS
from ...domain.errors import ConsoleError
from ...domain.text import escape_log, one_line
from ...domain.vocab import LIVE_STATUSES, SessionStatus, session_label
from ...services.list_prefs import ListView
from ...services.listing import SORT_LABELS, SessionFilter, Sort, SortKey, cursor_after
from ...services.transfer import outcome_text
from ...services.views import Page
from ..commands import literal_highlight
from ..messages import DatabaseChanged
from ..screen_work import screen_work
from ..selection import ListSelection
from ..widgets.filter_choice import FilterChoice
from ..widgets.footer import Footer
from ..widgets.session_table import SessionTable, SessionTableHeader
from .bulk_end import BulkEndScreen
from .row_menu import TRANSFER, RowMenuScreen
from .transfer_picker import TransferPickerScreen

if TYPE_CHECKING:
    from textual.app import App, ComposeResult
    from textual.timer import Timer
    from textual.worker import Worker

    from ...services.views import BulkReport, PageCursor, TransferResult
    from ..backend import ConsoleBackend

log = logging.getLogger(__name__)

PAGE = 200
Queries = tuple["asyncio.Future[Page]", "asyncio.Future[int]"]
#: Seconds of quiet typing in the search box before the list follows it (enter: at once).
SEARCH_DELAY = 0.3
#: Live refreshes reload from the top while the view is within this many rows of it; further
#: down they reload the rows around the view only.
FULL_REFRESH_WITHIN = 1000
MARGIN = 100

ALL = "all"
STATUS_CHOICES: list[tuple[str, str]] = [
    ("All statuses", ALL),
    ("Open", "open"),
    *[(s.value, s.value) for s in SessionStatus],
]
CHANNEL_CHOICES: list[tuple[str, str]] = [
    ("All channels", ALL),
    ("Standard", "standard"),
    ("Enhanced", "enhanced"),
    *[(c.name, c.id) for c in CHANNELS],
]
AGE_CHOICES: list[tuple[str, str]] = [
    ("Any age", ALL),
    ("< 1 hour", "max:1h"),
    ("< 24 hours", "max:24h"),
    ("> 1 hour", "min:1h"),
    ("> 24 hours", "min:24h"),
    ("> 7 days", "min:7d"),
]
AGES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
SORT_CHOICES: list[tuple[str, str]] = [(label, key) for key, label in SORT_LABELS.items()]
#: The direction each sort starts in: newest first for times, A to Z for the rest.
NEWEST_FIRST = {"created", "last_message"}


def default_sort(key: str) -> Sort:
    sort_key: SortKey = key if key in SORT_LABELS else "created"
    return Sort(sort_key, descending=sort_key in NEWEST_FIRST)


def owner_value(name: str) -> str:
    return f"agent:{name}"


def build_filter(
    status: str, channel: str, owner: str, age: str, me: str, search: str = ""
) -> SessionFilter:
    """The service filter for the choices of the filter bar (and the search box)."""
    statuses: tuple[str, ...] = ()
    if status == "open":
        statuses = tuple(s.value for s in SessionStatus if s in LIVE_STATUSES)
    elif status != ALL:
        statuses = (status,)
    channels: tuple[str, ...] = ()
    if channel in ("standard", "enhanced"):
        channels = tuple(c.id for c in CHANNELS if c.is_standard == (channel == "standard"))
    elif channel != ALL:
        channels = (channel,)
    flt = SessionFilter(statuses=statuses, channels=channels, search=search.strip())
    if owner == "me":
        flt = replace(flt, owner=me)
    elif owner == "none":
        flt = replace(flt, unassigned=True)
    elif owner.startswith("agent:"):
        flt = replace(flt, owner=owner.removeprefix("agent:"))
    if age != ALL:
        bound, _, span = age.partition(":")
        if bound == "max":
            flt = replace(flt, max_age=AGES[span])
        else:
            flt = replace(flt, min_age=AGES[span])
    return flt


def selection_text(selection: ListSelection, total: int | None) -> str:
    if selection.all_matching and total is not None and selection.count(total) == 0:
        return "0 selected"  # not "all 0 matching selected" (after a bulk end, say)
    if selection.all_matching:
        text = f"all {selection.count(total):,} matching selected"
        if selection.unpicked:
            text += f" ({len(selection.unpicked):,} unpicked)"
        return text
    return f"{len(selection.picked):,} selected"


def valid_choices(view: ListView) -> dict[str, str]:
    """The filter bar's values of a stored view, each one the bar still offers (else "all")."""
    offered = {
        "status": {v for _, v in STATUS_CHOICES},
        "channel": {v for _, v in CHANNEL_CHOICES},
        "age": {v for _, v in AGE_CHOICES},
    }
    choices = {
        name: value if value in offered[name] else ALL
        for name, value in (("status", view.status), ("channel", view.channel), ("age", view.age))
    }
    owner = view.owner
    ok = owner in (ALL, "me", "none") or (owner.startswith("agent:") and len(owner) > 6)
    choices["owner"] = owner if ok else ALL
    return choices


async def save_view(app: App[object], backend: ConsoleBackend, view: ListView) -> None:
    try:
        await backend.save_list_view(view)
    except (ConsoleError, ValueError) as exc:
        app.notify(
            escape_log(f"The list's filters were not kept: {exc}"), severity="error", markup=False
        )


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


class SessionsListScreen(Screen[None]):
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
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "e",
            "end_sessions",
            "End Sessions",
            id="list-end-sessions",
            tooltip="Preview, then end every selected session",
        ),
        Binding(
            "enter,m",
            "row_menu",
            "Menu",
            id="list-row-menu",
            tooltip="The row's actions (End Session on standard channels)",
        ),
        Binding(
            "a",
            "select_screen",
            "Select screen",
            id="list-select-screen",
            tooltip="Select every row on screen",
        ),
        Binding(
            "A,ctrl+a",
            "select_matching",
            "Select all",
            id="list-select-matching",
            tooltip="Select every session matching the filters (not only the loaded rows)",
        ),
        Binding(
            "x",
            "clear_selection",
            "Clear",
            id="list-clear-selection",
            tooltip="Unselect everything",
        ),
        Binding(
            "r",
            "reverse_sort",
            "Reverse",
            id="list-reverse-sort",
            show=False,
            tooltip="Reverse the sort order",
        ),
        Binding(
            "f",
            "focus_filters",
            "Filters",
            id="list-filters",
            show=False,
            tooltip="Go to the filter bar (tab moves between filters)",
        ),
        Binding(
            "f5",
            "refresh",
            "Refresh",
            id="list-refresh",
            show=False,
            tooltip="Reload from the database",
        ),
        Binding(
            "slash",
            "focus_search",
            "Search",
            id="list-search",
            show=False,
            tooltip="Search by customer name or message text (enter or escape: back to the rows)",
        ),
        Binding(
            "c",
            "clear_filters",
            "Clear filters",
            id="list-clear-filters",
            show=False,
            tooltip="Clear every filter and the search",
        ),
        Binding(
            "ctrl+end,G",
            "last_page",
            "Last page",
            id="list-last-page",
            show=False,
            tooltip="Jump to the last page (without paging through)",
        ),
        Binding(
            "ctrl+home,g",
            "first_page",
            "First page",
            id="list-first-page",
            show=False,
            tooltip="Back to the first page",
        ),
        Binding("escape", "close", "Back", id="list-close", tooltip="Back to the console"),
    ]

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
        self._live_wanted = False
        self._live: Worker[None] | None = None
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
            Sort(view.sort, view.descending)  # type: ignore[arg-type]
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

    # ------------------------------------------------------------------ loading

    def _build_filter(self) -> SessionFilter:
        c = self._choices
        me = self.backend.agent
        return build_filter(c["status"], c["channel"], c["owner"], c["age"], me, self._search)

    def reload(self) -> None:
        """Load page one for the current filter and sort (a new query: the view goes to the
        top); a live refresh keeps the view instead (see :meth:`request_live_refresh`)."""
        self._generation += 1
        if self._more is not None:
            self._more.cancel()
        self._reload(self._generation)

    @screen_work(exclusive=True, group="list-page")
    async def _reload(self, generation: int) -> None:
        """Rows first (they are what the agent waits for), then the count."""
        first, self._prefetch = self._prefetch, None
        if generation == 1:
            queries = await (first if first is not None else self._first_queries())
            self._show_view()
        else:
            if first is not None:
                first.cancel()
            queries = self._start_queries()
        page_query, count_query = queries
        try:
            page = await page_query
            if generation != self._generation:
                return
            table = self.table
            table.reset("No sessions match these filters.")
            self.next_cursor = page.next_cursor
            self.prev_cursor = None
            table.show(page.rows, page.next_cursor is not None)
            if not self._loaded:
                self._load_agents()  # for the owner choices; after the rows, not before
            self._loaded = True
            self.shown_generation = generation
            self._show_counts()
            total = await count_query
        except ConsoleError as exc:
            self._show_error(str(exc))
            return
        finally:
            for query in queries:
                if not query.done():
                    query.cancel()
        if generation == self._generation:
            self.total = total
            self._show_counts()
            self._save_if_wanted()

    @screen_work(group="list-agents")
    async def _load_agents(self) -> None:
        try:
            names = await self.backend.agent_names()
        except ConsoleError:
            return
        self._agents = sorted(set(names) | set(self._agents))
        self.query_one("#filter-owner", FilterChoice).set_choices(self._owner_choices())

    def on_session_table_near_end(self, message: SessionTable.NearEnd) -> None:
        message.stop()
        if self.next_cursor is not None and (self._more is None or self._more.is_finished):
            self._more = self._load_more(self._generation, self.next_cursor)

    @screen_work(group="list-more")
    async def _load_more(self, generation: int, cursor: PageCursor) -> None:
        try:
            page = await self.backend.list_page(self.flt, self.sort, cursor, PAGE)
        except ConsoleError as exc:
            self._show_error(str(exc))
            return
        if generation != self._generation or cursor != self.next_cursor:
            return
        self.next_cursor = page.next_cursor
        self.table.append(page.rows, page.next_cursor is not None)

    # Live: another console, the CLI or routing changed something.

    def on_database_changed(self, message: DatabaseChanged) -> None:
        self.request_live_refresh()

    def on_screen_resume(self) -> None:
        if self._loaded:
            self.request_live_refresh()

    def request_live_refresh(self) -> None:
        self._live_wanted = True
        if self._live is None or self._live.is_finished:
            self._live = self._live_refresh()

    @screen_work(group="list-live")
    async def _live_refresh(self) -> None:
        """Reload the rows in view (and above, near the top) and the count; the selection,
        the cursor's session and the scroll position stay."""
        while self._live_wanted:
            self._live_wanted = False
            if not self._loaded:
                return
            generation = self._generation
            table = self.table
            if table.has_less:
                await self._refresh_tail(generation)
                continue
            view_top = table.top_row
            start = 0 if view_top < FULL_REFRESH_WITHIN else view_top - MARGIN
            start = min(start, len(table.rows))
            cursor = cursor_after(self.sort, table.rows[start - 1]) if start else None
            wanted = (view_top - start) + table.scrollable_content_region.height + MARGIN
            limit = max(PAGE, min(wanted, 1000))
            try:
                page, total = await asyncio.gather(
                    self.backend.list_page(self.flt, self.sort, cursor, limit),
                    self.backend.count_sessions(self.flt),
                )
            except ConsoleError as exc:
                self._show_error(str(exc))
                return
            if generation != self._generation:
                return  # a new query is on its way; it shows fresh rows anyway
            self.next_cursor = page.next_cursor
            table.show(page.rows, page.next_cursor is not None, top=start)
            self.total = total
            self._show_counts()

    async def _refresh_tail(self, generation: int) -> None:
        """A live refresh of rows loaded from the end: the same number of rows from the end."""
        limit = max(PAGE, min(len(self.table.rows), 1000))
        try:
            page, total = await asyncio.gather(
                self.backend.list_page(self.flt, self.sort, None, limit, from_end=True),
                self.backend.count_sessions(self.flt),
            )
        except ConsoleError as exc:
            self._show_error(str(exc))
            return
        if generation != self._generation:
            return
        self.next_cursor, self.prev_cursor = None, page.prev_cursor
        self.table.show(page.rows, False, has_less=page.prev_cursor is not None)
        self.total = total
        self._show_counts()

    # Jumps: the last page (keyset from the end) and back to the first.

    def action_last_page(self) -> None:
        self._generation += 1
        for worker in (self._more, self._less):
            if worker is not None:
                worker.cancel()
        self._load_last(self._generation)

    @screen_work(exclusive=True, group="list-page")
    async def _load_last(self, generation: int) -> None:
        try:
            page = await self.backend.list_page(self.flt, self.sort, None, PAGE, from_end=True)
        except ConsoleError as exc:
            self._show_error(str(exc))
            return
        if generation != self._generation:
            return
        self.next_cursor, self.prev_cursor = None, page.prev_cursor
        table = self.table
        table.reset("No sessions match these filters.")
        table.show(page.rows, False, has_less=page.prev_cursor is not None)
        table.move_cursor(len(page.rows) - 1)
        self.shown_generation = generation

    def action_first_page(self) -> None:
        if self.table.has_less:
            self.reload()
        else:
            self.table.move_cursor(0)

    def on_session_table_near_start(self, message: SessionTable.NearStart) -> None:
        message.stop()
        if self.prev_cursor is not None and (self._less is None or self._less.is_finished):
            self._less = self._load_less(self._generation, self.prev_cursor)

    @screen_work(group="list-less")
    async def _load_less(self, generation: int, cursor: PageCursor) -> None:
        try:
            page = await self.backend.list_page(self.flt, self.sort, None, PAGE, before=cursor)
        except ConsoleError as exc:
            self._show_error(str(exc))
            return
        if generation != self._generation or cursor != self.prev_cursor:
            return
        self.prev_cursor = page.prev_cursor
        self.table.prepend(page.rows, page.prev_cursor is not None)

    def _show_error(self, message: str) -> None:
        self.notify(escape_log(message), severity="error", markup=False)

    def _show_counts(self) -> None:
        total = self.total
        matching = "counting…" if total is None else f"{total:,} matching"
        title = Content.assemble(
            ("Messaging Sessions", "bold"),
            "  ",
            (matching, "$text-accent"),
            "  ·  ",
            selection_text(self.selection, total),
        )
        self.query_one("#list-title", Static).update(title)
        label = "Select all" if total is None else f"Select all {total:,}"
        self.query_one("#select-matching", Button).label = Content(label)
        self.table.refresh()

    # ------------------------------------------------------------------ filters and sorting

    def on_filter_choice_changed(self, event: FilterChoice.Changed) -> None:
        event.stop()
        widget_id = event.filter_choice.id or ""
        value = event.value
        if widget_id == "filter-sort":
            if value != self.sort.key:
                self.set_sort(default_sort(value))
            return
        name = widget_id.removeprefix("filter-")
        if name not in self._choices or self._choices[name] == value:
            return
        self._choices[name] = value
        self._apply_filter()

    def _apply_filter(self) -> None:
        flt = self._build_filter()
        if flt == self.flt:
            return
        self.flt = flt
        self._save_view()
        if not self.selection.is_empty(self.total):
            self.notify("Filters changed: selection cleared")
        self.selection.clear()
        self.total = None
        self.reload()

    def set_owner(self, name: str | None) -> None:
        """Show the sessions ``name`` owns (None: anyone's)."""
        value = owner_value(name) if name else ALL
        owner = self.query_one("#filter-owner", FilterChoice)
        if name and name not in self._agents:
            self._agents = sorted({*self._agents, name})
            owner.set_choices(self._owner_choices())
        owner.value = value

    def set_sort(self, sort: Sort) -> None:
        if sort != self.sort:
            self.sort = sort
            self._save_view()
        self.query_one(SessionTableHeader).show_sort(sort.key, sort.descending)
        self.query_one("#filter-sort", FilterChoice).value = sort.key  # no-op when unchanged
        self.reload()

    def on_session_table_header_sort_clicked(self, message: SessionTableHeader.SortClicked) -> None:
        if message.key == self.sort.key:
            self.action_reverse_sort()
        else:
            self.set_sort(default_sort(message.key))

    def action_reverse_sort(self) -> None:
        self.set_sort(Sort(self.sort.key, not self.sort.descending))

    def action_focus_filters(self) -> None:
        self.query_one("#filter-status", FilterChoice).focus()

    # ------------------------------------------------------------------ search

    def action_focus_search(self) -> None:
        self.query_one("#list-search", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "list-search":
            return
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._apply_search)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "list-search":
            return
        event.stop()
        self._apply_search()
        self.table.focus()

    def _apply_search(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        text = self.query_one("#list-search", Input).value.strip()
        if text != self._search:
            self._search = text
            self._apply_filter()

    def action_clear_filters(self) -> None:
        """Every filter back to "all", the search emptied, the usual sort."""
        self._choices = {name: ALL for name in self._choices}
        self._search = ""
        self.query_one("#list-search", Input).value = ""
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        sort = default_sort("created")
        self.sort = sort
        self._show_view()
        self.flt = self._build_filter()
        if not self.selection.is_empty(self.total):
            self.notify("Filters cleared: selection cleared")
        self.selection.clear()
        self.total = None
        self._save_view()
        self.reload()

    def action_refresh(self) -> None:
        self.request_live_refresh()

    def action_close(self) -> None:
        if self.focused is self.query_one("#list-search", Input):
            self._apply_search()
            self.table.focus()  # escape in the search box leaves it, not the list
            return
        self._save_if_wanted()
        self.dismiss()

    # ------------------------------------------------------------------ selection

    def on_session_table_selection_changed(self, message: SessionTable.SelectionChanged) -> None:
        self._show_counts()

    def action_select_screen(self) -> None:
        self.selection.select(row.id for row in self.table.visible_rows())
        self._show_counts()

    def action_select_matching(self) -> None:
        self.selection.select_all_matching()
        self._show_counts()

    def action_clear_selection(self) -> None:
        self.selection.clear()
        self._show_counts()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions: dict[str, Callable[[], object]] = {
            "end-sessions": self.action_end_sessions,
            "select-screen": self.action_select_screen,
            "select-matching": self.action_select_matching,
            "clear-selection": self.action_clear_selection,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    # ------------------------------------------------------------------ End Sessions

    def action_end_sessions(self) -> None:
        if self.selection.is_empty(self.total):
            self.notify(
                "Nothing selected: space selects a row, a the rows on screen, "
                "A every matching session",
                severity="warning",
            )
            return
        self.app.push_screen(
            BulkEndScreen(
                self.backend,
                self.selection.for_service(self.flt),
                self.sort,
                expected=None
                if self.selection.all_matching and self.total is None
                else self.selection.count(self.total),
            ),
            callback=self._bulk_done,
        )

    def _bulk_done(self, report: BulkReport | None) -> None:
        if report is None:
            return
        self.selection.clear()
        self._show_counts()
        self.request_live_refresh()

    # ------------------------------------------------------------------ row menu

    def action_row_menu(self) -> None:
        row = self.table.cursor_row
        if row is not None:
            self._open_menu(row.id)

    def on_session_table_menu_wanted(self, message: SessionTable.MenuWanted) -> None:
        self._open_menu(message.session_id)

    def _open_menu(self, session_id: int) -> None:
        self.app.push_screen(
            RowMenuScreen(
                self.backend,
                session_id,
                selected=self.selection.is_selected(session_id),
                tz=self._tz,
            ),
            callback=partial(self._menu_chosen, session_id),
        )

    def _menu_chosen(self, session_id: int, choice: str | None) -> None:
        if choice == "end":
            self._end_row(session_id)
        elif choice == "toggle":
            self.selection.toggle(session_id)
            self._show_counts()
        elif choice == TRANSFER:
            self.app.push_screen(
                TransferPickerScreen(self.backend, session_id), callback=self._transferred
            )
        elif choice is not None and choice.startswith("owner:"):
            self.set_owner(choice.removeprefix("owner:"))

    def _transferred(self, result: TransferResult | None) -> None:
        if result is not None:
            self.notify(escape_log(outcome_text(result)), markup=False)
        self.request_live_refresh()

    @screen_work(group="list-end-row")
    async def _end_row(self, session_id: int) -> None:
        label = session_label(session_id)
        try:
            result = await self.backend.end_row(session_id)
        except ConsoleError as exc:
            self._show_error(str(exc))
            return
        reason = escape_log(result.reason)
        if result.result == "ended":
            self.notify(f"{label} {reason}", markup=False)
        elif result.reason.startswith("already ended"):
            # Another console (or a timer) was first: a fact to report, not an error.
            self.notify(f"{label} was {reason}", markup=False)
        else:
            self.notify(f"{label} not ended: {reason}", severity="warning", markup=False)
        self.request_live_refresh()

    # ------------------------------------------------------------------ palette

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "End Sessions", "Preview, then end the selection", self.action_end_sessions
        )
        yield SystemCommand(
            "Select all matching",
            "Select every session the filters match",
            self.action_select_matching,
        )
        yield SystemCommand("Select screen", "Select the rows on screen", self.action_select_screen)
        yield SystemCommand("Clear selection", "Unselect everything", self.action_clear_selection)
        for key, label in SORT_LABELS.items():
            yield SystemCommand(
                f"Sort by {label}", f"Sort the list by {label.lower()}", partial(self._sort_by, key)
            )
        yield SystemCommand("Reverse sort", "Reverse the sort order", self.action_reverse_sort)
        yield SystemCommand("Back to the console", "Close the list", self.action_close)

    def _sort_by(self, key: str) -> None:
        self.set_sort(default_sort(key))
