"""The supervisor board's rules: an agent's state on the floor, its sort orders and filters.

Pure: the board's figures come from the database (services/floor.py); this module decides
what an agent's row says and in which order and subset the rows are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from .needs import short_span
from .vocab import Presence


class FloorState(StrEnum):
    """Where an agent is on the floor: their presence, or logged out."""

    ONLINE = "Online"
    BUSY = "Busy"
    OFFLINE = "Offline"
    LOGGED_OUT = "Logged out"


def floor_state(logged_in: bool, presence: Presence) -> FloorState:
    if not logged_in:
        return FloorState.LOGGED_OUT
    return FloorState(presence.value)


class FloorSort(StrEnum):
    """The board's sort orders; each has its natural direction (the worst first)."""

    NAME = "name"
    STATE = "state"
    TIME = "time"
    LOAD = "load"
    SESSIONS = "sessions"
    WAIT = "wait"

    @property
    def label(self) -> str:
        return _SORT_LABELS[self]


_SORT_LABELS = {
    FloorSort.NAME: "name",
    FloorSort.STATE: "presence",
    FloorSort.TIME: "time in presence",
    FloorSort.LOAD: "capacity used",
    FloorSort.SESSIONS: "sessions",
    FloorSort.WAIT: "longest customer wait",
}
_STATE_ORDER = {s: i for i, s in enumerate(FloorState)}


class FloorRow(Protocol):
    """What sorting and filtering read of an agent's row on the board."""

    @property
    def name(self) -> str: ...
    @property
    def state(self) -> FloorState: ...
    @property
    def presence_since(self) -> datetime | None: ...
    @property
    def used(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    @property
    def live_sessions(self) -> int: ...
    @property
    def longest_wait_since(self) -> datetime | None: ...


def _load(row: FloorRow) -> float:
    return row.used / row.capacity if row.capacity > 0 else 0.0


def since_key(since: datetime | None) -> float:
    """Oldest first; no time last."""
    return since.timestamp() if since is not None else float("inf")


_KEYS: dict[FloorSort, Callable[[FloorRow], tuple[object, ...]]] = {
    FloorSort.NAME: lambda r: (r.name.casefold(),),
    FloorSort.STATE: lambda r: (_STATE_ORDER[r.state], since_key(r.presence_since)),
    FloorSort.TIME: lambda r: (since_key(r.presence_since),),
    FloorSort.LOAD: lambda r: (-_load(r), -r.used),
    FloorSort.SESSIONS: lambda r: (-r.live_sessions,),
    FloorSort.WAIT: lambda r: (since_key(r.longest_wait_since),),
}


@dataclass(frozen=True)
class FloorFilter:
    """Which agents the board shows: some floor states (empty: all) whose name contains
    ``text`` (case-insensitive; empty: any)."""

    states: frozenset[FloorState] = frozenset()
    text: str = ""

    def keeps(self, row: FloorRow) -> bool:
        if self.states and row.state not in self.states:
            return False
        return not self.text or self.text.casefold() in row.name.casefold()

    @property
    def active(self) -> bool:
        return bool(self.states or self.text)

    def describe(self) -> str:
        parts = []
        if self.states:
            parts.append(" or ".join(s.value for s in FloorState if s in self.states))
        if self.text:
            parts.append(f"name contains {self.text!r}")
        return ", ".join(parts) if parts else "everyone"


#: The filter that keeps every agent.
EVERYONE = FloorFilter()

R = TypeVar("R", bound=FloorRow)


def arrange(
    rows: Iterable[R], sort: FloorSort, flt: FloorFilter = EVERYONE, *, reverse: bool = False
) -> list[R]:
    """The rows ``flt`` keeps, in ``sort`` order (ties by name), reversed on request."""
    key = _KEYS[sort]
    kept = sorted((r for r in rows if flt.keeps(r)), key=lambda r: r.name.casefold())
    kept.sort(key=key)  # stable: equal keys stay in name order
    if reverse:
        kept.reverse()
    return kept


def wait_seconds(since: datetime | None, now: datetime) -> float | None:
    """How long a customer has waited (never negative: a clock step back shows 0)."""
    if since is None:
        return None
    return max(0.0, (now - since).total_seconds())


def oldest(stamps: Sequence[datetime | None]) -> datetime | None:
    known = [s for s in stamps if s is not None]
    return min(known) if known else None


def wait_text(seconds: float | None) -> str:
    """A customer's wait as the console writes it under a session (``45s``, ``12m``,
    ``1h 05m``, ``2d 3h``: ``needs.short_span``); ``—`` when nobody waits."""
    if seconds is None:
        return "—"
    return short_span(timedelta(seconds=seconds))
