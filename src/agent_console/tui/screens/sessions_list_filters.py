"""The list's filter bar, sort and search: their choices, the service filter they make, and
how the screen follows them (a part of :class:`.sessions_list.SessionsListScreen`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from textual.widgets import Input

from ...domain.channels import CHANNELS
from ...domain.vocab import LIVE_STATUSES, SessionStatus
from ...services.list_prefs import ListView
from ...services.listing import SORT_LABELS, SessionFilter, Sort, SortKey
from ..selection import ListSelection
from ..widgets.filter_choice import FilterChoice
from ..widgets.session_table import SessionTableHeader

#: Seconds of quiet typing in the search box before the list follows it (enter: at once).
SEARCH_DELAY = 0.3

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


if TYPE_CHECKING:
    from .sessions_list_host import ListHost as _Host
else:
    _Host = object


class ListFilters(_Host):
    """Filters, sorting and search (a part of SessionsListScreen)."""

    def _build_filter(self) -> SessionFilter:
        c = self._choices
        me = self.backend.agent
        return build_filter(c["status"], c["channel"], c["owner"], c["age"], me, self._search)

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
