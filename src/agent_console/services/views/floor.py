"""The supervisor board: every agent on the floor and every channel's queue (issue 14)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ...domain.floor import FloorFilter, FloorSort, FloorState
from ...domain.vocab import Presence


@dataclass(frozen=True)
class FloorAgent:
    """One agent's row: presence and since when, capacity, live sessions, longest wait."""

    id: int
    name: str
    is_admin: bool
    state: FloorState
    presence: Presence
    away_reason: str | None
    presence_since: datetime | None
    #: The supervisor who set this presence (or logged the agent out) and their reason.
    presence_by: str | None
    presence_note: str | None
    used: int
    capacity: int
    active: int
    inactive: int
    #: Owned live sessions whose customer waits for a reply, and since when the longest has.
    customers_waiting: int
    longest_wait_since: datetime | None

    @property
    def live_sessions(self) -> int:
        return self.active + self.inactive


@dataclass(frozen=True)
class QueueRow:
    """One channel's queue: Waiting sessions and since when the oldest has waited."""

    channel: str
    channel_name: str
    waiting: int
    oldest_since: datetime | None


@dataclass(frozen=True)
class FloorTotals:
    """The whole floor, whatever the filter shows."""

    agents: int
    by_state: dict[FloorState, int]
    used: int
    capacity: int
    active: int
    inactive: int
    waiting: int
    customers_waiting: int
    longest_wait_since: datetime | None


@dataclass(frozen=True)
class FloorView:
    """The board as read at ``at``: ``agents`` sorted and filtered as asked."""

    at: datetime
    agents: list[FloorAgent]
    queues: list[QueueRow]
    totals: FloorTotals
    sort: FloorSort = FloorSort.STATE
    reverse: bool = False
    filter: FloorFilter = field(default_factory=FloorFilter)
