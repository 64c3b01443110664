"""What the agent does with the list's rows: select, End Sessions, the row menu, the palette
(a part of :class:`.sessions_list.SessionsListScreen`), and the list's bindings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.widgets import Button

from ...domain.text import escape_log
from ...domain.vocab import session_label
from ...services.listing import SORT_LABELS
from ...services.views import EndOutcome
from ...services.wording import transfer_outcome
from ..notify_errors import notified_errors
from ..screen_work import screen_work
from ..widgets.session_table import SessionTable
from .bulk_end import BulkEndScreen
from .row_menu import TRANSFER, RowMenuScreen
from .sessions_list_filters import default_sort
from .transfer_picker import TransferPickerScreen

if TYPE_CHECKING:
    from ...services.views import BulkReport, TransferResult

#: The list's bindings.
LIST_BINDINGS: list[BindingType] = [
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


if TYPE_CHECKING:
    from .sessions_list_host import ListHost as _Host
else:
    _Host = object


class ListActions(_Host):
    """Selection, End Sessions, the row menu and the palette (a part of SessionsListScreen)."""

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
            self.notify(escape_log(transfer_outcome(result)), markup=False)
        self.request_live_refresh()

    @screen_work(group="list-end-row")
    async def _end_row(self, session_id: int) -> None:
        label = session_label(session_id)
        with notified_errors(self) as attempt:
            result = await self.backend.end_row(session_id)
        if attempt.failed:
            return
        reason = escape_log(result.reason)
        if result.result is EndOutcome.ENDED:
            self.notify(f"{label} {reason}", markup=False)
        elif result.reason.startswith("already ended"):
            # Another console (or a timer) was first: a fact to report, not an error.
            self.notify(f"{label} was {reason}", markup=False)
        else:
            self.notify(f"{label} not ended: {reason}", severity="warning", markup=False)
        self.request_live_refresh()

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
