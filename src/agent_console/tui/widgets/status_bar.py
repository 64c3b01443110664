"""The bar along the top: who is signed in, their presence, and how full their capacity is."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.events import Click
from textual.widgets import Label

from ...domain.presence import presence_label, time_in_status
from ...domain.text import one_line
from ..messages import CapacityClicked, PresenceClicked

#: The meter draws one block per unit up to this capacity, and only numbers beyond it.
METER_MAX_BLOCKS = 20
_PRESENCE_CLASSES = {"Online": "-online", "Busy": "-busy", "Offline": "-offline"}


class PresenceLabel(Label):
    """The presence indicator; clicking it asks to change presence."""

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(PresenceClicked())


class CapacityLabel(Label):
    """The capacity meter; clicking it opens the capacity ledger."""

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(CapacityClicked())


class StatusBar(Horizontal):
    """Agent name, presence (Online/Busy/"Away: Lunch"/Offline) with the time in it and who
    set it when a supervisor did ("Busy · set by sam"), and the capacity meter."""

    #: What the presence label shows: presence, reason, logged in, key, since, set by.
    _presence: tuple[str, str | None, bool, str, datetime | None, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield Label(id="agent-name")
        yield PresenceLabel(id="presence")
        yield CapacityLabel(id="capacity")

    def show(
        self,
        *,
        name: str,
        presence: str,
        logged_in: bool,
        used: int,
        capacity: int,
        key: str,
        ledger_key: str = "",
        away_reason: str | None = None,
        since: datetime | None = None,
        now: datetime | None = None,
        set_by: str | None = None,
        note: str | None = None,
    ) -> None:
        """``set_by``/``note``: the supervisor who set this presence and why (None: the
        agent's own); the bar says who, its tooltip why."""
        self.query_one("#agent-name", Label).update(
            Content.from_markup("[b]$name[/b]", name=one_line(name, 40))
        )
        label = self.query_one("#presence", PresenceLabel)
        label.set_classes(_PRESENCE_CLASSES.get(presence, "-offline"))
        self._presence = (presence, away_reason, logged_in, key, since, set_by)
        self.tick(now)
        change = "Change presence: Online, Busy (with a reason), Offline or Log out"
        if set_by is None:
            label.tooltip = change
        else:  # the key left the bar for the tooltip; the note is text, never markup
            press = f" (press {key})" if key else ""
            label.tooltip = Content(f"{set_by_text(set_by, note, logged_in)}\n{change}{press}")
        meter = self.query_one("#capacity", CapacityLabel)
        press = f", or press {ledger_key}" if ledger_key else ""
        meter.tooltip = f"See what uses your capacity: click{press}"
        meter.set_class(used >= capacity, "-full")
        meter.update(capacity_content(used, capacity))

    def tick(self, now: datetime | None) -> None:
        """Draw the presence again with the time in it as of ``now`` (the console calls this
        every few seconds: minutes pass with nothing else changing)."""
        shown = self._presence
        if shown is None:
            return
        presence, reason, logged_in, key, since, set_by = shown
        self.query_one("#presence", PresenceLabel).update(
            presence_content(presence, reason, logged_in, key, since, now, by=set_by)
        )


def presence_content(
    presence: str,
    reason: str | None,
    logged_in: bool,
    key: str,
    since: datetime | None,
    now: datetime | None,
    *,
    by: str | None = None,
) -> Content:
    """``● Away: Lunch · 3m  ctrl+o to change`` (no time when it is not known).

    Set by a supervisor: ``● Busy · set by sam · 3m``; the key moves to the tooltip so the
    bar still fits 80 columns. Names are inserted as text, never read as markup."""
    spent = f" · {time_in_status(now - since)}" if since is not None and now is not None else ""
    return Content.from_markup(
        "● $presence$set_by$spent$logged_out[dim]$key[/dim]",
        presence=one_line(presence_label(presence, reason), 40),
        set_by=f" · set by {one_line(by, 30)}" if by else "",
        spent=spent,
        logged_out="" if logged_in else " (logged out)",
        key=f"  {key} to change" if key and not by else "",
    )


def set_by_text(by: str, note: str | None, logged_in: bool) -> str:
    """``sam set this presence: Coaching`` / ``sam logged you out: End of shift`` (plain
    text, display-safe)."""
    did = "set this presence" if logged_in else "logged you out"
    why = f": {one_line(note, 200)}" if note else ""
    return f"{one_line(by, 60)} {did}{why}"


def capacity_content(used: int, capacity: int) -> Content:
    """``Capacity 3/5 units ■■■□□`` (blocks only for small capacities)."""
    text = f"Capacity {used}/{capacity} units"
    if 0 < capacity <= METER_MAX_BLOCKS:
        filled = max(0, min(used, capacity))
        text += " " + "■" * filled + "□" * (capacity - filled)
    return Content(text)
