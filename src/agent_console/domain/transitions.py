"""The one table of allowed status transitions."""

from __future__ import annotations

from enum import StrEnum

from .vocab import CapacityModel, SessionStatus

S = SessionStatus


class Event(StrEnum):
    QUEUE = "queue"  # New -> Waiting
    ASSIGN = "assign"  # routed to, or opened by, an agent
    GO_INACTIVE = "go_inactive"  # the conversation went quiet (status-based only)
    CUSTOMER_WRITES = "customer_writes"
    REQUEUE = "requeue"  # owner went Offline under tab-based capacity (R5), or sent it back
    TRANSFER = "transfer"  # handed to another agent (domain/transfer.py)
    END = "end"


TRANSITIONS: dict[tuple[SessionStatus, Event], SessionStatus] = {
    (S.NEW, Event.QUEUE): S.WAITING,
    (S.NEW, Event.ASSIGN): S.ACTIVE,
    (S.WAITING, Event.ASSIGN): S.ACTIVE,
    (S.ACTIVE, Event.GO_INACTIVE): S.INACTIVE,
    (S.INACTIVE, Event.CUSTOMER_WRITES): S.ACTIVE,
    (S.ACTIVE, Event.CUSTOMER_WRITES): S.ACTIVE,
    (S.NEW, Event.CUSTOMER_WRITES): S.NEW,
    (S.WAITING, Event.CUSTOMER_WRITES): S.WAITING,
    (S.ACTIVE, Event.REQUEUE): S.WAITING,
    (S.ACTIVE, Event.TRANSFER): S.ACTIVE,
    (S.NEW, Event.END): S.ENDED,
    (S.WAITING, Event.END): S.ENDED,
    (S.ACTIVE, Event.END): S.ENDED,
    (S.INACTIVE, Event.END): S.ENDED,
}


class TransitionRefused(ValueError):
    pass


def next_status(
    status: SessionStatus, event: Event, model: CapacityModel | None = None
) -> SessionStatus:
    """The status after ``event``, or TransitionRefused with a reason a person can read."""
    if event is Event.GO_INACTIVE and model is CapacityModel.TAB_BASED:
        raise TransitionRefused("Inactive exists only under status-based capacity")
    if status is S.ENDED:
        raise TransitionRefused("the session has ended; an ended session never changes again")
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise TransitionRefused(
            f"a {status.value} session cannot {event.value.replace('_', ' ')}"
        ) from None


def sources(event: Event) -> frozenset[SessionStatus]:
    """Every status from which ``event`` is allowed (for conditional UPDATEs)."""
    return frozenset(src for (src, ev) in TRANSITIONS if ev is event)
