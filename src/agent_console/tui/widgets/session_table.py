"""The Messaging Sessions table: a Line API view that renders only the rows on screen.

The screen feeds it pages of rows from the service (``show`` / ``append``); the table asks for
the next page (:class:`SessionTable.NearEnd`) when the cursor or the view comes near the end of
what it holds. Which rows are selected lives in a :class:`ListSelection` the screen owns, so a
refresh never loses it; the table shows it as a checkbox column, not by colour alone. Customer
text is sanitized (``one_line``) and drawn as plain segments, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from ...domain.text import one_line

if TYPE_CHECKING:
    from ...services.views import SessionRow
    from ..selection import ListSelection

CHECKED = "[x]"
UNCHECKED = "[ ]"
CHECK_WIDTH = 4
#: Ask for the next page when fewer rows than this are left below the view or the cursor.
PREFETCH = 60
LOADING = "Loading more…"
LOADING_EARLIER = "Loading earlier sessions…"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    #: The sort key a click on the title chooses ("" for none).
    sort: str = ""


def columns(width: int) -> list[Column]:
    """The columns for a table ``width`` cells wide (every width from 60 up)."""
    fixed = [
        Column("check", "", CHECK_WIDTH - 1),
        Column("id", "ID", 8, "created"),
        Column("status", "Status", 8, "status"),
        Column("owner", "Owner", 10, "owner"),
        Column("age", "Age", 4, "created"),
    ]
    if width >= 110:
        fixed.insert(4, Column("last", "Last msg", 8, "last_message"))
    gaps = len(fixed) + 1
    rest = max(16, width - sum(c.width for c in fixed) - gaps)
    customer = max(8, rest * 11 // 20)
    flexible = [
        Column("customer", "Customer", customer, "customer"),
        Column("channel", "Channel", max(6, rest - customer), "channel"),
    ]
    check, ident, status, owner, *tail = fixed
    return [check, ident, *flexible, status, owner, *tail]


def age_text(delta: timedelta) -> str:
    """A short age: ``now``, ``12m``, ``5h``, ``3d``, ``9w``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "now"
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    days = minutes // (24 * 60)
    return f"{days}d" if days < 100 else f"{days // 7}w"


#: Shorter words for a channel's name, used one after the other while it is too wide.
CHANNEL_SHORTER = (
    ("Enhanced ", "Enh "),
    ("Standard ", "Std "),
    ("Facebook Messenger", "FB Messenger"),
    ("Messages for Business", "Business"),
    ("Bring Your Own Channel", "Own channel"),
    ("In-App Chat", "In-App"),
)


def channel_text(name: str, width: int) -> str:
    """A channel's name in ``width`` cells, keeping what tells channels apart (the "v1" of
    "Enhanced Web Chat v1"): common words get shorter first, then the middle is cut."""
    text = one_line(name, max(len(name), 1))
    for long, short in CHANNEL_SHORTER:
        if len(text) <= width:
            break
        text = text.replace(long, short)
    if len(text) <= width:
        return text
    if width < 5:
        return one_line(text, max(1, width))
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + "…" + text[len(text) - tail :]


def cell_text(column: Column, row: SessionRow, selected: bool, now: datetime) -> str:
    key = column.key
    if key == "check":
        return CHECKED if selected else UNCHECKED
    if key == "id":
        return row.label
    if key == "customer":
        return one_line(row.customer, column.width)
    if key == "channel":
        return channel_text(row.channel_name, column.width)
    if key == "status":
        return row.status
    if key == "owner":
        return one_line(row.owner, column.width) if row.owner else "—"
    if key == "last":
        return age_text(now - row.last_message_at) if row.last_message_at else "—"
    return age_text(now - row.created_at)


def hit_column(width: int, x: int) -> Column | None:
    """The column under cell ``x``."""
    left = 0
    for column in columns(width):
        if left <= x < left + column.width + 1:
            return column
        left += column.width + 1
    return None


class SessionTableHeader(Widget):
    """Column titles, with the sort shown; clicking a title sorts by it."""

    class SortClicked(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, gutter: int = 1, id: str | None = None) -> None:
        super().__init__(id=id)
        self.right_gutter = gutter
        self.sort_key = "created"
        self.descending = True

    def show_sort(self, key: str, descending: bool) -> None:
        self.sort_key, self.descending = key, descending
        self.refresh()

    def render(self) -> Content:
        parts: list[str | tuple[str, str]] = []
        arrow = " ▼" if self.descending else " ▲"
        for column in columns(self.size.width - self.right_gutter):
            title = column.title
            marked = column.sort == self.sort_key and column.key != "age"
            if marked:
                title += arrow
            parts.append((set_cell_size(title, column.width) + " ", "bold" if marked else ""))
        return Content.assemble(*parts)

    def on_click(self, event: events.Click) -> None:
        column = hit_column(self.size.width - self.right_gutter, event.x)
        if column is not None and column.sort:
            self.post_message(self.SortClicked(column.sort))


class SessionTable(ScrollView, can_focus=True):
    """Rows of sessions with a cursor and a checkbox column; renders the visible lines only."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last loaded", show=False),
        Binding(
            "space",
            "toggle_row",
            "Select",
            id="toggle-row",
            tooltip="Select or unselect the row under the cursor",
        ),
        Binding(
            "shift+down",
            "extend(1)",
            "Extend",
            id="extend-down",
            show=False,
            tooltip="Extend the selection down",
        ),
        Binding(
            "shift+up",
            "extend(-1)",
            "Extend up",
            id="extend-up",
            show=False,
            tooltip="Extend the selection up",
        ),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "session-table--cursor",
        "session-table--cursor-blurred",
        "session-table--selected",
        "session-table--muted",
        "session-table--status-active",
        "session-table--status-inactive",
        "session-table--status-ended",
    }

    class NearEnd(Message):
        """Few loaded rows are left below the view: time for the next page."""

    class NearStart(Message):
        """Rows loaded from the end (the last page): few are left above the view, and more
        come before them."""

    class SelectionChanged(Message):
        """Rows were selected or unselected from the table (keys or clicks)."""

    class MenuWanted(Message):
        """A row was double-clicked: open its action menu."""

        def __init__(self, session_id: int) -> None:
            super().__init__()
            self.session_id = session_id

    def __init__(
        self,
        selection: ListSelection,
        *,
        now: Callable[[], datetime],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.selection = selection
        self.now = now
        self.rows: list[SessionRow] = []
        self.has_more = False
        #: Rows come before the loaded ones (a window loaded from the end): the first line
        #: says so and the table asks for them (:class:`NearStart`).
        self.has_less = False
        self.cursor = 0
        self.empty_text = "Loading…"
        self._asked_more = False
        self._asked_less = False
        self._index_of: dict[int, int] = {}

    # ------------------------------------------------------------------ data in

    def show(
        self, rows: Sequence[SessionRow], has_more: bool, *, top: int = 0, has_less: bool = False
    ) -> None:
        """Replace the rows from index ``top`` on (0: all of them, and ``has_less`` says whether
        rows come before them); the cursor stays on the same session when it is still there,
        the scroll position stays where it was."""
        current = self.cursor_row
        self.rows = list(self.rows[:top]) + list(rows)
        self._index_of = {row.id: i for i, row in enumerate(self.rows)}
        self.has_more = has_more
        if top == 0:
            self.has_less = has_less
        self._asked_more = False
        self._asked_less = False
        if current is not None and current.id in self._index_of:
            self.cursor = self._index_of[current.id]
        self.cursor = max(0, min(self.cursor, len(self.rows) - 1))
        self.selection.end_range()
        self._resize()

    def append(self, rows: Sequence[SessionRow], has_more: bool) -> None:
        start = len(self.rows)
        for offset, row in enumerate(rows):
            if row.id not in self._index_of:
                self._index_of[row.id] = start + offset
        self.rows.extend(rows)
        self.has_more = has_more
        self._asked_more = False
        self._resize()

    def prepend(self, rows: Sequence[SessionRow], has_less: bool) -> None:
        """Rows that come before the loaded ones; the same rows stay on screen."""
        shift = len(rows) - (1 if self.has_less and not has_less else 0)
        self.rows = list(rows) + self.rows
        self._index_of = {row.id: i for i, row in enumerate(self.rows)}
        self.cursor += len(rows)
        self.has_less = has_less
        self._asked_less = False
        self.selection.end_range()
        self._resize()
        self.scroll_to(y=self.scroll_y + shift, animate=False, immediate=True)

    def reset(self, empty_text: str = "Loading…") -> None:
        self.rows = []
        self._index_of = {}
        self.has_more = False
        self.has_less = False
        self.cursor = 0
        self.empty_text = empty_text
        self.scroll_to(y=0, animate=False)
        self._resize()

    @property
    def lead(self) -> int:
        """Lines above the first row (the "Loading earlier" line of a window from the end)."""
        return 1 if self.has_less else 0

    def _resize(self) -> None:
        lines = self.lead + len(self.rows) + (1 if self.has_more or not self.rows else 0)
        self.virtual_size = Size(self.scrollable_content_region.width, lines)
        self.refresh()
        self.call_after_refresh(self._check_near_end)

    # ------------------------------------------------------------------ questions

    @property
    def cursor_row(self) -> SessionRow | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    @property
    def first_visible(self) -> int:
        return int(self.scroll_y)

    @property
    def top_row(self) -> int:
        """The index of the first row on screen."""
        return max(0, self.first_visible - self.lead)

    def visible_rows(self) -> list[SessionRow]:
        """The rows on screen now ("select screen")."""
        top = self.first_visible - self.lead
        height = self.scrollable_content_region.height
        return self.rows[max(0, top) : max(0, top + height)]

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + self.first_visible - self.lead
        base = self.rich_style
        if index < 0:
            muted = base + self.get_component_rich_style("session-table--muted")
            return Strip([Segment(set_cell_size(" " + LOADING_EARLIER, width), muted)], width)
        if index >= len(self.rows):
            if index == len(self.rows) and (self.has_more or not self.rows):
                muted = base + self.get_component_rich_style("session-table--muted")
                text = LOADING if self.rows else self.empty_text
                return Strip([Segment(set_cell_size(" " + text, width), muted)], width)
            return Strip.blank(width, base)
        return self._row_strip(index, width, base)

    def _row_strip(self, index: int, width: int, base: Style) -> Strip:
        row = self.rows[index]
        selected = self.selection.is_selected(row.id)
        style = base
        if selected:
            style += self.get_component_rich_style("session-table--selected")
        if index == self.cursor:
            cursor = "session-table--cursor" if self.has_focus else "session-table--cursor-blurred"
            style += self.get_component_rich_style(cursor)
        status_class = f"session-table--status-{row.status.lower()}"
        # The cursor row keeps the cursor's colours: a status colour on it can be unreadable.
        status_style = (
            self.get_component_rich_style(status_class, partial=True)
            if status_class in self.COMPONENT_CLASSES and index != self.cursor
            else Style()
        )
        now = self.now()
        segments: list[Segment] = []
        for column in columns(width):
            text = set_cell_size(cell_text(column, row, selected, now), column.width)
            cell_style = style + status_style if column.key == "status" else style
            segments.append(Segment(text, cell_style))
            segments.append(Segment(" ", style))
        return Strip(segments).crop_extend(0, width, style)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._check_near_end()

    def _check_near_end(self) -> None:
        self._check_near_start()
        if not self.has_more or self._asked_more:
            return
        bottom = max(self.cursor, self.top_row + self.scrollable_content_region.height)
        if len(self.rows) - bottom < PREFETCH:
            self._asked_more = True
            self.post_message(self.NearEnd())

    def _check_near_start(self) -> None:
        if not self.has_less or self._asked_less:
            return
        if min(self.cursor, self.top_row) < PREFETCH:
            self._asked_less = True
            self.post_message(self.NearStart())

    # ------------------------------------------------------------------ cursor and selection

    def move_cursor(self, index: int, *, extend: bool = False) -> None:
        if not self.rows:
            return
        index = max(0, min(index, len(self.rows) - 1))
        if extend:
            self.selection.begin_range(self.cursor)
        else:
            self.selection.end_range()
        self.cursor = index
        if extend and self.selection.anchor is not None:
            low, high = sorted((self.selection.anchor, index))
            self.selection.apply_range(row.id for row in self.rows[low : high + 1])
            self.post_message(self.SelectionChanged())
        self.scroll_to_cursor()
        self.refresh()
        self._check_near_end()

    def scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height
        top = self.first_visible
        line = self.cursor + self.lead
        if line < top or (self.cursor == 0 and self.lead):
            self.scroll_to(y=line - self.lead, animate=False, immediate=True)
        elif height and line >= top + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        self.scroll_to(y=self.first_visible + direction * height, animate=False, immediate=True)
        self.move_cursor(self.cursor + direction * height)

    def action_edge(self, end: int) -> None:
        self.move_cursor(len(self.rows) - 1 if end else 0)

    def action_extend(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta, extend=True)

    def action_toggle_row(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.selection.toggle(row.id)
            self.refresh()
            self.post_message(self.SelectionChanged())

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = offset.y + self.first_visible - self.lead
        if not 0 <= index < len(self.rows):
            return
        self.focus()
        if offset.x < CHECK_WIDTH:
            self.move_cursor(index)
            self.action_toggle_row()
        elif event.shift:
            self.move_cursor(index, extend=True)
        else:
            self.move_cursor(index)
            if event.chain >= 2:
                self.post_message(self.MenuWanted(self.rows[index].id))
