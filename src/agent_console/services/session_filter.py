"""What the Messaging Sessions list shows (R3): its sorts and filters, a frozen selection,
the row a session reads as, and the SQL a filter means. :mod:`.listing` pages through it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import not_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import channel as channel_of
from ..domain.vocab import SessionStatus
from ..store import queries as q
from ..store.models import (
    Customer,
    Session,
)
from ..store.search import search_words, session_matches

Order = Literal["newest", "oldest"]
SortKey = Literal["created", "last_message", "status", "channel", "owner", "customer"]
#: Every sort the list offers, with the label a person reads.
SORT_LABELS: dict[SortKey, str] = {
    "created": "Created",
    "last_message": "Last message",
    "status": "Status",
    "channel": "Channel",
    "owner": "Owner",
    "customer": "Customer",
}


@dataclass(frozen=True)
class Sort:
    """A list order. Ties (and ``created``, since ids are given in creation order) are broken
    by the session id in the same direction, so every sort is a total order and keyset pages
    on ``(sort value, id)`` never skip or repeat a row."""

    key: SortKey = "created"
    descending: bool = True

    @classmethod
    def of_order(cls, order: Order) -> Sort:
        return cls("created", descending=order == "newest")

    @property
    def label(self) -> str:
        if self.key == "created":
            return "Newest first" if self.descending else "Oldest first"
        return f"{SORT_LABELS[self.key]} {'Z-A' if self.descending else 'A-Z'}"


@dataclass(frozen=True)
class SessionFilter:
    """What the list shows. ``min_age`` keeps sessions created at least that long ago."""

    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    owner: str | None = None
    unassigned: bool = False
    min_age: timedelta | None = None
    max_age: timedelta | None = None
    customer: str | None = None
    ids: tuple[int, ...] = field(default=())
    #: Only sessions whose tab is open (True) or closed (False) in the owner's console.
    tab_open: bool | None = None
    #: Sessions to leave out ("all matching, except these").
    exclude_ids: tuple[int, ...] = field(default=())
    #: Only ids up to this one: a previewed "all matching" leaves later sessions alone.
    upto_id: int | None = None
    #: Absolute bounds on ``created_at`` (a preview turns the ages above into these).
    created_after: datetime | None = None
    created_before: datetime | None = None
    #: Words of the customer's name or of one of the session's lines (see ``store.search``).
    search: str = ""

    def validate(self) -> None:
        for s in self.statuses:
            SessionStatus(s)  # raises ValueError with the bad value
        for c in self.channels:
            channel_of(c)


@dataclass(frozen=True)
class Selection:
    """What End Sessions acts on: sessions picked one by one (``ids``), or every session a
    filter matches (``flt``, expanded by the service: the UI never holds those ids)."""

    ids: tuple[int, ...] | None = None
    flt: SessionFilter | None = None

    def as_filter(self) -> SessionFilter:
        if self.flt is not None:
            return self.flt
        return SessionFilter(ids=self.ids or (-1,))


def parse_status(text: str) -> str:
    for s in SessionStatus:
        if s.value.lower() == text.strip().lower():
            return s.value
    valid = ", ".join(s.value for s in SessionStatus)
    raise ValueError(f"unknown status {text!r}; statuses are: {valid}")


async def filter_clauses(conn: AsyncConnection, flt: SessionFilter, now: datetime) -> list[Any]:
    """The WHERE clauses of ``flt`` on the sessions table (at ``now``, for its ages)."""
    flt.validate()
    clauses: list[Any] = []
    if flt.statuses:
        clauses.append(Session.status.in_(flt.statuses))
    if flt.channels:
        clauses.append(Session.channel.in_(flt.channels))
    if flt.owner is not None:
        owner = await q.agent_row(conn, flt.owner)  # NotFound for an unknown agent
        clauses.append(Session.owner_id == owner.id)
    if flt.unassigned:
        clauses.append(Session.owner_id.is_(None))
    if flt.min_age is not None:
        clauses.append(Session.created_at <= now - flt.min_age)
    if flt.max_age is not None:
        clauses.append(Session.created_at >= now - flt.max_age)
    if flt.customer is not None:
        clauses.append(
            Session.customer_id.in_(select(Customer.id).where(Customer.name == flt.customer))
        )
    if flt.ids:
        clauses.append(q.in_ids(conn, Session.id, flt.ids))
    if flt.tab_open is not None:
        clauses.append(Session.tab_open.is_(flt.tab_open))
    if flt.exclude_ids:
        clauses.append(not_(q.in_ids(conn, Session.id, flt.exclude_ids)))
    if flt.upto_id is not None:
        clauses.append(Session.id <= flt.upto_id)
    if flt.created_after is not None:
        clauses.append(Session.created_at >= flt.created_after)
    if flt.created_before is not None:
        clauses.append(Session.created_at <= flt.created_before)
    words = search_words(flt.search)
    if words:
        clauses.append(session_matches(conn, words))
    return clauses


def frozen_filter(flt: SessionFilter, now: datetime, upto_id: int) -> SessionFilter:
    """``flt`` as it matched at ``now``: ages become absolute times and later ids are left out,
    so confirming a preview acts on what the preview counted (not on sessions created since)."""
    after, before = flt.created_after, flt.created_before
    if flt.max_age is not None:
        bound = now - flt.max_age
        after = bound if after is None else max(after, bound)
    if flt.min_age is not None:
        bound = now - flt.min_age
        before = bound if before is None else min(before, bound)
    upto = upto_id if flt.upto_id is None else min(upto_id, flt.upto_id)
    return replace(
        flt, min_age=None, max_age=None, created_after=after, created_before=before, upto_id=upto
    )


async def matching_ids(conn: AsyncConnection, flt: SessionFilter, now: datetime) -> list[int]:
    """Every id the filter matches, oldest first (bulk end expands "all matching" with it)."""
    clauses = await filter_clauses(conn, flt, now)
    return list((await conn.scalars(select(Session.id).where(*clauses).order_by(Session.id))).all())
