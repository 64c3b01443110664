"""A window over a bulk preview's or result's rows: "S-12  customer  will skip: reason".

A Line API view fed page by page (:class:`OutcomeLines.NearEnd` asks for the next one), so a
selection of 10,000 sessions never becomes 10,000 widgets. The text of each outcome comes from
the service; customer text is sanitized and drawn as plain segments. A reason longer than its
column wraps onto the rows below it (under the reason column), never into the border: each
loaded line is wrapped once per width.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len, chop_cells, set_cell_size
from rich.segment import Segment
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...domain.text import one_line

if TYPE_CHECKING:
    from ...services.views import OutcomeLine

PREFETCH = 40
ID_WIDTH = 9
CUSTOMER_WIDTH = 18
#: Characters of one reason shown at most (a reason is a sentence from the service).
REASON_LIMIT = 400


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` in rows of at most ``width`` cells, broken at spaces (a longer word is cut)."""
    rows: list[str] = []
    row = ""
    for word in text.split(" "):
        candidate = f"{row} {word}" if row else word
        if cell_len(candidate) <= width:
            row = candidate
            continue
        if row:
            rows.append(row)
        pieces = chop_cells(word, width) if cell_len(word) > width else [word]
        rows.extend(pieces[:-1])
        row = pieces[-1]
    rows.append(row)
    return rows


class OutcomeLines(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "First", show=False),
        Binding("end", "scroll_end", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "outcome-lines--good",
        "outcome-lines--skip",
        "outcome-lines--muted",
    }

    class NearEnd(Message):
        """Few loaded lines are left below the view: time for the next page."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[OutcomeLine] = []
        self.has_more = False
        self.empty_text = "Loading…"
        self._asked_more = False
        #: Each loaded line's reason in rows, and every row as (line, row of that line).
        self._wrapped: list[list[str]] = []
        self._rows: list[tuple[int, int]] = []
        self._rest = 0

    def show(self, lines: Sequence[OutcomeLine], has_more: bool, empty_text: str = "") -> None:
        self.lines = list(lines)
        self.has_more = has_more
        self._asked_more = False
        self._wrapped, self._rows = [], []
        if empty_text:
            self.empty_text = empty_text
        self.scroll_to(y=0, animate=False, immediate=True)
        self._resize()

    def append(self, lines: Sequence[OutcomeLine], has_more: bool) -> None:
        self.lines.extend(lines)
        self.has_more = has_more
        self._asked_more = False
        self._resize()

    def _resize(self) -> None:
        self._wrap()
        extra = 1 if self.has_more or not self.lines else 0
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows) + extra)
        self.refresh()
        self.call_after_refresh(self._check_near_end)

    def _rest_width(self) -> int:
        """The reason's column: what the label and customer leave, less one blank column
        before the scrollbar or the border."""
        return max(1, self.scrollable_content_region.width - ID_WIDTH - CUSTOMER_WIDTH - 3)

    def _wrap(self) -> None:
        """Wrap the lines not wrapped yet (all of them when the width changed)."""
        rest = self._rest_width() if self.scrollable_content_region.width > 0 else 0
        if rest != self._rest or len(self._wrapped) > len(self.lines):
            self._wrapped, self._rows, self._rest = [], [], rest
        for index in range(len(self._wrapped), len(self.lines)):
            text = one_line(self.lines[index].text, REASON_LIMIT)
            pieces = wrap_cells(text, rest) if rest else [text]
            self._wrapped.append(pieces)
            self._rows.extend((index, row) for row in range(len(pieces)))

    def on_resize(self) -> None:
        self._resize()

    @property
    def row_count(self) -> int:
        """Rows the loaded lines take (a wrapped reason takes several)."""
        return len(self._rows)

    @property
    def plain_lines(self) -> list[str]:
        """The loaded lines as text (for tests and the tour)."""
        return [f"{line.label}  {line.customer}  {line.text}" for line in self.lines]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + int(self.scroll_y)
        base = self.rich_style
        if self._rest != (self._rest_width() if width > 0 else 0):
            self._wrap()  # resized since the lines were wrapped: count the rows again
            self.call_after_refresh(self._resize)
        if index >= len(self._rows):
            if index == len(self._rows) and (self.has_more or not self.lines):
                muted = base + self.get_component_rich_style("outcome-lines--muted")
                text = "Loading more…" if self.lines else self.empty_text
                return Strip([Segment(set_cell_size(" " + text, width), muted)], width)
            return Strip.blank(width, base)
        at, row = self._rows[index]
        line = self.lines[at]
        good = line.outcome in ("end", "ended")
        style = base + self.get_component_rich_style(
            "outcome-lines--good" if good else "outcome-lines--skip"
        )
        rest = self._rest_width()
        if row == 0:
            label = set_cell_size(line.label, ID_WIDTH)
            customer = set_cell_size(one_line(line.customer, CUSTOMER_WIDTH), CUSTOMER_WIDTH)
        else:  # a reason's next row, under its column
            label, customer = " " * ID_WIDTH, " " * CUSTOMER_WIDTH
        segments = [
            Segment(label + " ", base),
            Segment(customer + " ", base),
            Segment(set_cell_size(self._wrapped[at][row], rest), style),
        ]
        return Strip(segments).crop_extend(0, width, base)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._check_near_end()

    def _check_near_end(self) -> None:
        if not self.has_more or self._asked_more:
            return
        bottom = int(self.scroll_y) + self.scrollable_content_region.height
        if len(self._rows) - bottom < PREFETCH:
            self._asked_more = True
            self.post_message(self.NearEnd())
