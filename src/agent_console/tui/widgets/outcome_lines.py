"""A window over a bulk preview's or result's rows: "S-12  customer  will skip: reason".

A Line API view fed page by page (:class:`OutcomeLines.NearEnd` asks for the next one), so a
selection of 10,000 sessions never becomes 10,000 widgets. The text of each outcome comes from
the service; customer text is sanitized and drawn as plain segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.cells import set_cell_size
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

    def show(self, lines: Sequence[OutcomeLine], has_more: bool, empty_text: str = "") -> None:
        self.lines = list(lines)
        self.has_more = has_more
        self._asked_more = False
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
        extra = 1 if self.has_more or not self.lines else 0
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.lines) + extra)
        self.refresh()
        self.call_after_refresh(self._check_near_end)

    @property
    def plain_lines(self) -> list[str]:
        """The loaded lines as text (for tests and the tour)."""
        return [f"{line.label}  {line.customer}  {line.text}" for line in self.lines]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + int(self.scroll_y)
        base = self.rich_style
        if index >= len(self.lines):
            if index == len(self.lines) and (self.has_more or not self.lines):
                muted = base + self.get_component_rich_style("outcome-lines--muted")
                text = "Loading more…" if self.lines else self.empty_text
                return Strip([Segment(set_cell_size(" " + text, width), muted)], width)
            return Strip.blank(width, base)
        line = self.lines[index]
        good = line.outcome in ("end", "ended")
        style = base + self.get_component_rich_style(
            "outcome-lines--good" if good else "outcome-lines--skip"
        )
        customer = set_cell_size(one_line(line.customer, CUSTOMER_WIDTH), CUSTOMER_WIDTH)
        rest = max(1, width - ID_WIDTH - CUSTOMER_WIDTH - 2)
        segments = [
            Segment(set_cell_size(line.label, ID_WIDTH) + " ", base),
            Segment(customer + " ", base),
            Segment(set_cell_size(one_line(line.text, rest), rest), style),
        ]
        return Strip(segments).crop_extend(0, width, base)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._check_near_end()

    def _check_near_end(self) -> None:
        if not self.has_more or self._asked_more:
            return
        bottom = int(self.scroll_y) + self.scrollable_content_region.height
        if len(self.lines) - bottom < PREFETCH:
            self._asked_more = True
            self.post_message(self.NearEnd())
