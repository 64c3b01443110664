"""Transfer: who a session can go to, and what a transfer did."""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.vocab import Presence, SessionStatus
from .core import SessionRow

# -- transfer (issue 11) -----------------------------------------------------------------------


@dataclass(frozen=True)
class TransferTarget:
    """An agent a session might be handed to: ``eligible``, or not with ``reason`` ("Busy",
    "no free capacity (5/5)"); ``line`` is what a person reads ("erin: Busy")."""

    name: str
    presence: Presence
    used: int
    capacity: int
    free: int
    eligible: bool
    reason: str
    line: str


@dataclass(frozen=True)
class TransferOptions:
    """Where a session may go: ``allowed`` says whether this actor may move it at all (and
    ``reason`` why not); ``targets`` are every other agent, the eligible first (most free
    capacity first), then the others by name; ``units`` is what a receiver takes."""

    session: SessionRow
    allowed: bool
    reason: str
    units: int
    targets: list[TransferTarget]


@dataclass(frozen=True)
class TransferResult:
    """A transfer done: to ``receiver``, or back to the queue (``receiver`` None)."""

    session_id: int
    sender: str
    receiver: str | None
    status: SessionStatus
    #: Units the sender got back, and units the receiver now uses for the session.
    units_freed: int
    units_taken: int
    sender_used: int
    sender_capacity: int
    receiver_used: int | None
    receiver_capacity: int | None
    #: The transcript's system line (internal: agents see it, the customer does not).
    line: str
