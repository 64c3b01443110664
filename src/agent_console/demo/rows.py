"""The seed's rows as the database driver takes them: columns, planned times, one session.

Times are planned as whole seconds since the epoch (plus the clock's microseconds) and turned
into what the driver stores by :class:`Clock` -- a pure function of ``now`` and the dialect's
name, so the planner stays free of I/O while the writer sends its rows unconverted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.channels import Channel
from ..domain.ending import Agent as AgentFacts
from ..domain.ending import conversation_permissions
from ..domain.vocab import AuthorKind, Permission, SessionStatus

#: How far back the Ended sessions (and the agents' start dates) go.
HISTORY_DAYS = 30

# Times are planned as whole seconds since the epoch (plus the clock's microseconds).
MINUTE = 60
HOUR = 3600
DAY = 86400
EPOCH = datetime(1970, 1, 1)
EPOCH_UTC = EPOCH.replace(tzinfo=UTC)

# The rows the writer sends, column by column (names as in store/models.py).
SESSION_COLUMNS = (
    "id", "customer_id", "channel", "status", "owner_id", "initiated_by", "capacity_model",
    "units", "units_held", "tab_open", "created_at", "assigned_at", "last_message_at",
    "first_agent_message_at", "customer_replied", "auto_end_at", "escalated_to", "ended_at",
    "version", "customer_waiting_since",
)  # fmt: skip
#: Positions in a planned session row.
(
    ROW_ID, ROW_CUSTOMER, ROW_CHANNEL, ROW_STATUS, ROW_OWNER, ROW_INITIATED, ROW_MODEL,
    ROW_UNITS, ROW_HELD, ROW_TAB, ROW_CREATED, ROW_ASSIGNED, ROW_LAST, ROW_FIRST_AGENT,
    ROW_REPLIED, ROW_AUTO_END, ROW_ESCALATED, ROW_ENDED, ROW_VERSION, ROW_WAITING,
) = range(len(SESSION_COLUMNS))  # fmt: skip
MESSAGE_COLUMNS = (
    "session_id", "author_kind", "author", "text", "created_at", "visible_to_customer",
)  # fmt: skip
END_COLUMNS = (
    "session_id", "actor_kind", "actor", "agent_id", "surface", "reason", "at", "bulk_id",
)  # fmt: skip
CSAT_COLUMNS = ("session_id", "customer_id", "requested_at", "requested_by")
CUSTOMER_COLUMNS = ("id", "name", "created_at")
_AGENT, _CUSTOMER = AuthorKind.AGENT.value, AuthorKind.CUSTOMER.value
_ENDED = SessionStatus.ENDED.value


@dataclass
class RosterAgent:
    """An agent the seed plans work for (created by the writer or found in the database)."""

    id: int
    name: str
    capacity: int
    used: int
    perms: frozenset[Permission]
    presence: str
    logged_in: bool
    facts: AgentFacts

    def can_work(self, ch: Channel) -> bool:
        return all(p in self.perms for p in conversation_permissions(ch))


class PlannedSession:
    """One session as driver-ready rows; ids are filled in when its chunk is written.

    ``row`` follows SESSION_COLUMNS (times already in the driver's form); messages, the end
    record and the CSAT request are stored without the session id. ``created`` is the
    creation time in planned seconds (the sort key).
    """

    __slots__ = ("consumes", "created", "csat", "customer", "end", "messages", "owner", "row")

    def __init__(self, customer: int, created: int, row: list[Any]) -> None:
        self.customer = customer
        self.created = created
        self.row = row
        self.messages: list[tuple[Any, ...]] = []  # MESSAGE_COLUMNS without session_id
        self.end: tuple[Any, ...] | None = None  # END_COLUMNS without session_id
        self.csat: tuple[Any, ...] | None = None  # (requested_at, requested_by)
        self.consumes = 0  # units taken from the owner
        self.owner: RosterAgent | None = None

    def note_wait(self) -> None:
        """Set ``customer_waiting_since`` from the transcript so far: the time of the first
        customer line after the last agent line; None when there is none or the session is
        Ended (what the services keep and ``check`` verifies)."""
        since = None
        if self.row[ROW_STATUS] != _ENDED:
            for kind, _, _, at, _ in self.messages:
                if kind == _AGENT:
                    since = None
                elif kind == _CUSTOMER and since is None:
                    since = at
        self.row[ROW_WAITING] = since


class Clock:
    """Planned seconds to what the driver stores for a UTC column (see store/types.py):
    SQLite keeps SQLAlchemy's text form ``YYYY-MM-DD HH:MM:SS.ffffff``, PostgreSQL a naive
    UTC datetime. Every planned time keeps the microseconds of ``now``."""

    def __init__(self, now: datetime, dialect: str) -> None:
        since = now - EPOCH_UTC
        self.now = int(since.total_seconds() // 1)
        self.micro = since.microseconds
        self.sqlite = dialect == "sqlite"
        self._suffix = f".{self.micro:06d}"
        self._hms = [
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        ]

        self.store: Callable[[int | None], Any] = (
            self._text_store() if self.sqlite else self._datetime_store()
        )

    def _text_store(self) -> Callable[[int | None], Any]:
        dates: dict[int, str] = {}
        hms, suffix = self._hms, self._suffix

        def store(t: int | None) -> Any:
            if t is None:
                return None
            day, sod = divmod(t, DAY)
            date = dates.get(day)
            if date is None:
                date = dates[day] = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
            return date + hms[sod] + suffix

        return store

    def _datetime_store(self) -> Callable[[int | None], Any]:
        micro = self.micro

        def store(t: int | None) -> Any:
            return None if t is None else EPOCH + timedelta(seconds=t, microseconds=micro)

        return store

    def aware(self, t: int) -> datetime:
        return EPOCH_UTC + timedelta(seconds=t, microseconds=self.micro)
