"""The supervisor board (issue 14): every agent on the floor and every channel's queue, live.

The figures are the service's (``floor.floor``: three aggregate reads whatever the number of
agents); sorting and filtering are the domain's (``domain/floor.py``), asked of the service
with each read. The board refreshes when the change feed says any session or agent changed
(a burst is one refresh), and re-renders its times every second without reading.

From an agent's row (enter, or the keys): their sessions (the Messaging Sessions list,
filtered by owner), their presence, logging them out with a reason they see (R6's warning
first), and transferring one of their sessions (the transfer picker).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import ColumnKey

from ...domain.feed import Interest
from ...domain.floor import (
    EVERYONE,
    FloorFilter,
    FloorSort,
    FloorState,
    wait_seconds,
    wait_text,
)
from ...domain.presence import presence_label, time_in_status
from ...domain.text import one_line, plural
from ..messages import DatabaseChanged
from ..notify_errors import notified_errors
from ..refresh_loop import RefreshLoop
from ..screen_work import screen_work
from ..widgets.footer import Footer
from .floor_actions import FloorActions

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import FloorAgent, FloorTotals, FloorView, QueueRow
    from ..backend import ConsoleBackend

#: The columns: key, label, width (None: the rest).
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("agent", "Agent", None),
    ("presence", "Presence", 16),
    ("time", "In it", 7),
    ("capacity", "Used", 6),
    ("active", "Act", 4),
    ("inactive", "Inact", 5),
    ("waiting", "Wait", 4),
    ("longest", "Longest", 8),
)
#: The state filter's cycle: everyone, then each state on its own.
STATE_CYCLE: tuple[frozenset[FloorState], ...] = (
    frozenset(),
    *(frozenset({s}) for s in FloorState),
)
SORT_CYCLE = tuple(FloorSort)
#: Queue lines shown before "and N more".
QUEUE_LINES = 3

_STATE_STYLE = {
    FloorState.ONLINE: "green",
    FloorState.BUSY: "yellow",
    FloorState.OFFLINE: "dim",
    FloorState.LOGGED_OUT: "dim italic",
}


def headline(totals: FloorTotals, now: datetime) -> Content:
    """``Supervisor board — 12 agents: 5 Online · 2 Busy · 1 Offline · 4 Logged out`` over
    ``23/60 units · 14 Active, 3 Inactive · 4 customers waiting, longest 6m`` (each line fits
    80 columns)."""
    states = " · ".join(f"{totals.by_state[s]} {s.value}" for s in FloorState)
    waits = (
        f"{plural(totals.customers_waiting, 'customer')} waiting, longest "
        f"{wait_text(wait_seconds(totals.longest_wait_since, now))}"
        if totals.customers_waiting
        else "no customer waiting for a reply"
    )
    return Content.assemble(
        ("Supervisor board", "bold"),
        f" — {plural(totals.agents, 'agent')}: {states}\n",
        f"{totals.used}/{totals.capacity} units · {totals.active} Active, "
        f"{totals.inactive} Inactive · ",
        (waits, "bold" if totals.customers_waiting else ""),
    )


def queue_text(queues: Sequence[QueueRow], now: datetime) -> Content:
    """The channels with a queue, busiest first: ``Queue: Enhanced WhatsApp 3 (oldest 6m)``."""
    waiting = [q for q in queues if q.waiting]
    if not waiting:
        return Content("Queue: nobody is waiting in any channel.")
    parts: list[Content] = []
    for q in waiting[:QUEUE_LINES]:
        oldest = wait_text(wait_seconds(q.oldest_since, now))
        parts.append(
            Content.assemble(
                (one_line(q.channel_name, 40), "bold"), f" {q.waiting} waiting, oldest {oldest}"
            )
        )
    more = len(waiting) - QUEUE_LINES
    if more > 0:
        parts.append(Content(f"and {plural(more, 'more channel')}"))
    total = sum(q.waiting for q in waiting)
    return Content.assemble(f"Queue ({total}): ", Content(" · ").join(parts))


def agent_label(agent: FloorAgent) -> str:
    """The first column: the name, and whether the agent is an admin."""
    return one_line(agent.name, 40) + (" (admin)" if agent.is_admin else "")


def agent_column_width(agents: Sequence[FloorAgent]) -> int:
    """The first column's width: its widest name, or its title."""
    return max([cell_len(COLUMNS[0][1]), *(cell_len(agent_label(a)) for a in agents)])


def agent_cells(agent: FloorAgent, now: datetime) -> list[Text]:
    """One agent's row; every text is plain (a name or note is never markup)."""
    label = (
        "Logged out"
        if agent.state is FloorState.LOGGED_OUT
        else presence_label(agent.presence.value, agent.away_reason)
    )
    if agent.presence_by:
        label += " *"  # set by a supervisor: the row's details say who and why
    since = time_in_status(now - agent.presence_since) if agent.presence_since is not None else "—"
    longest = wait_text(wait_seconds(agent.longest_wait_since, now))
    return [
        Text(agent_label(agent)),
        Text(one_line(label, 24), style=_STATE_STYLE[agent.state]),
        Text(since, justify="right"),
        Text(f"{agent.used}/{agent.capacity}", justify="right"),
        Text(str(agent.active), justify="right"),
        Text(str(agent.inactive), justify="right"),
        Text(str(agent.customers_waiting), justify="right"),
        Text(longest, justify="right", style="bold" if agent.customers_waiting else ""),
    ]


def details_text(agent: FloorAgent | None) -> Content:
    """The line under the table: who set the highlighted agent's presence and why."""
    if agent is None:
        return Content("No agent matches: p and / change the filter.")
    if agent.presence_by:
        note = f": {one_line(agent.presence_note, 120)}" if agent.presence_note else ""
        what = "logged out" if agent.state is FloorState.LOGGED_OUT else "presence set"
        said = f" — {what} by {one_line(agent.presence_by, 40)}{note}"
    else:
        said = " — set their own presence"
    return Content.assemble(
        (one_line(agent.name, 40), "bold"), said, ("  · enter: actions", "$text-muted")
    )


class FloorBoardScreen(FloorActions, Screen[None]):
    """Every agent and queue, for supervisors (admins); live while it is open."""

    CSS_PATH = "floor_board.tcss"
    HELP_TITLE = "Supervisor board"
    HELP = (
        "Every agent's presence and time in it, capacity used, Active and Inactive sessions, "
        "customers waiting for a reply and the longest wait; each channel's queue. Live. "
        "Sort (s, r reverses), filter by presence (p) or name (/); enter on an agent: their "
        "sessions, presence, log out with a reason they see, transfer one of their sessions."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="floor-back", tooltip="Back to the console"),
        Binding("enter", "agent_menu", "Actions", id="floor-actions",
                tooltip="What to do about the highlighted agent"),
        Binding("s", "cycle_sort", "Sort", id="floor-sort", tooltip="The next sort order"),
        Binding("r", "reverse", "Reverse", id="floor-reverse", tooltip="Reverse the order"),
        Binding("p", "cycle_state", "Presence", id="floor-state",
                tooltip="Show everyone, or only Online, Busy, Offline or Logged out agents"),
        Binding("slash", "find", "Find", id="floor-find", tooltip="Filter by agent name"),
        Binding("v", "agent_sessions", "Sessions", id="floor-sessions",
                tooltip="The highlighted agent's sessions (the list, filtered)"),
        Binding("o", "agent_presence", "Set presence", id="floor-presence", show=False,
                tooltip="Set the highlighted agent's presence, with a note they see"),
        Binding("x", "agent_logout", "Log out", id="floor-logout", show=False,
                tooltip="Log the highlighted agent out (R6), with a reason they see"),
        Binding("t", "agent_transfer", "Transfer", id="floor-transfer", show=False,
                tooltip="Transfer one of the highlighted agent's sessions"),
        Binding("f5", "refresh", "Refresh", id="floor-refresh", show=False,
                tooltip="Read the board again"),
    ]  # fmt: skip

    def __init__(self, backend: ConsoleBackend) -> None:
        super().__init__(id="floor-board")
        self.backend = backend
        self.sort = FloorSort.STATE
        self.reverse = False
        self.flt: FloorFilter = EVERYONE
        self.view: FloorView | None = None
        #: The view whose names' width ``_width`` is (the clock's tick shows the same view).
        self._measured: FloorView | None = None
        self._width = 0
        self._refresh = RefreshLoop(self._load)

    def compose(self) -> ComposeResult:
        yield Static(Content("Supervisor board — reading the floor…"), id="floor-title")
        yield Static(Content(""), id="floor-queues")
        with Horizontal(id="floor-bar"):
            yield Static(Content(""), id="floor-order")
            yield Input(placeholder="agent name…", id="floor-name", compact=True)
        table: DataTable[Text] = DataTable(id="floor-agents", cursor_type="row", zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield Static(Content(""), id="floor-details")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#floor-name", Input).display = False
        self.query_one("#floor-agents", DataTable).focus()
        self._refresh.request()
        #: The times' second hand (tests pause it to see what a scroll alone does).
        self.clock_timer = self.set_interval(1.0, self._tick, name="floor-clock")
        self.watch(self.table, "scroll_y", self._update_shown_rows, init=False)

    def on_resize(self, _event: events.Resize) -> None:
        """A taller terminal shows rows the clock's tick left alone: bring them up once the
        table has its new size (after the refresh that lays it out)."""
        self.call_after_refresh(self._update_shown_rows)

    # -- reading

    @property
    def feed_interest(self) -> Interest:
        """Any agent and any session: every one is a figure on the board."""
        return Interest(any_session=True, any_agent=True)

    def on_database_changed(self, message: DatabaseChanged) -> None:
        if message.news.concerns(self.feed_interest):
            self._refresh.request()

    def on_screen_resume(self) -> None:
        if self.view is not None:
            self._refresh.request()

    def action_refresh(self) -> None:
        self._refresh.request()

    @screen_work(group="floor-load")
    async def _load(self) -> None:
        while self._refresh.take():
            asked = (self.sort, self.reverse, self.flt)
            with notified_errors(self) as attempt:
                view = await self.backend.floor(self.sort, self.flt, reverse=self.reverse)
            if attempt.failed:
                return
            if asked != (self.sort, self.reverse, self.flt):
                continue  # the order or filter changed meanwhile: the loop reads again
            self.view = view
            self._show(view)

    # -- showing

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#floor-agents", DataTable)

    @property
    def highlighted(self) -> FloorAgent | None:
        view, table = self.view, self.table
        if view is None or not view.agents or table.cursor_row < 0:
            return None
        return view.agents[min(table.cursor_row, len(view.agents) - 1)]

    @property
    def shown_names(self) -> list[str]:
        return [a.name for a in self.view.agents] if self.view is not None else []

    def _show(self, view: FloorView) -> None:
        now = self.backend.now()
        self.query_one("#floor-title", Static).update(headline(view.totals, now))
        self.query_one("#floor-queues", Static).update(queue_text(view.queues, now))
        self._show_order(view)
        table = self.table
        keep = self.highlighted.name if self.highlighted is not None else None
        keys = [str(a.id) for a in view.agents]
        width = agent_column_width(view.agents) if view is not self._measured else self._width
        self._measured, self._width = view, width
        names_column = table.columns[ColumnKey(COLUMNS[0][0])]
        if [str(k.value) for k in table.rows] == keys and names_column.width == width:
            self._update_shown_rows()
        else:
            # The names' width is set before the rows go in: Textual's table widens a column
            # sized to its cells only once it is next idle, and lines it drew before that
            # stay cached in the old width (Textual 8.2.8), cut to the column's title.
            names_column.auto_width = False
            names_column.width = width
            table.clear()
            for agent in view.agents:
                table.add_row(*agent_cells(agent, now), key=str(agent.id))
            names = [a.name for a in view.agents]
            if keep in names:
                table.move_cursor(row=names.index(keep), animate=False)
        self._show_details()

    def _shown_rows(self, table: DataTable[Text]) -> range:
        """The rows on screen (one line each), and one either side."""
        top = max(int(table.scroll_y) - 1, 0)
        return range(top, min(top + table.size.height + 2, table.row_count))

    def _update_shown_rows(self, _scroll_y: float | None = None) -> None:
        """Bring the rows on screen up to the view and the clock. Rows off screen keep the
        cells they had until they scroll into view (this runs on every scroll): at 1,000
        agents, rewriting every row each second took ~25 ms of the UI thread, the whole tick
        now ~2.5 ms (bench/floor_board_tick.py)."""
        view, table = self.view, self.table
        if view is None or table.row_count != len(view.agents):
            return
        now = self.backend.now()
        for index in self._shown_rows(table):
            self._update_row(table, view.agents[index], now)

    def _update_row(self, table: DataTable[Text], agent: FloorAgent, now: datetime) -> None:
        for (column, _label, _width), cell in zip(COLUMNS, agent_cells(agent, now), strict=True):
            if table.get_cell(str(agent.id), column) != cell:
                table.update_cell(str(agent.id), column, cell)

    def _show_order(self, view: FloorView) -> None:
        shown = len(view.agents)
        whole = view.totals.agents
        order = f"Sorted by {view.sort.label}{' (reversed)' if view.reverse else ''}"
        who = view.filter.describe()
        self.query_one("#floor-order", Static).update(
            Content(f"{order} · showing {who}: {shown} of {plural(whole, 'agent')}")
        )

    def _show_details(self) -> None:
        self.query_one("#floor-details", Static).update(details_text(self.highlighted))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_details()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_agent_menu()

    def _tick(self) -> None:
        """The times move on: re-render them (no read)."""
        if self.view is not None:
            self._show(self.view)

    # -- sorting and filtering

    def action_cycle_sort(self) -> None:
        self.sort = SORT_CYCLE[(SORT_CYCLE.index(self.sort) + 1) % len(SORT_CYCLE)]
        self.reverse = False
        self._refresh.request()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._refresh.request()

    def action_cycle_state(self) -> None:
        states = self.flt.states
        at = STATE_CYCLE.index(states) if states in STATE_CYCLE else 0
        nxt = STATE_CYCLE[(at + 1) % len(STATE_CYCLE)]
        self.flt = FloorFilter(states=nxt, text=self.flt.text)
        self._refresh.request()

    def action_find(self) -> None:
        box = self.query_one("#floor-name", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.flt = FloorFilter(states=self.flt.states, text=event.value.strip())
        self._refresh.request()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def action_back(self) -> None:
        box = self.query_one("#floor-name", Input)
        if box.has_focus:  # escape clears the name, then leaves the box
            if box.value:
                box.value = ""
            else:
                box.display = False
                self.table.focus()
            return
        self.dismiss()
