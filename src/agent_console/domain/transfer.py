"""Transfer: may this actor hand this session over, who may receive it, and what it says.

An owner (or an admin, who may act on anyone's sessions) hands an ``Active`` session to
another agent or back to the queue. A receiver must be Online (logged in), hold the
permissions the channel needs to work the conversation, and have room for the session's
units. Every answer comes with a reason a person can read ("erin: Busy", "sam: no free
capacity (5/5)"); the picker, the CLI and the service all use these same words.

Capacity moves with the session under either model: an Active session holds its units from
its owner (tab-based: its tab is open; status-based: it is Active), so the sender gives them
back and the receiver takes them (:func:`units_taken`). Back to the queue it holds none.
"""

from __future__ import annotations

from dataclasses import dataclass

from .capacity import Load, held_units
from .ending import (
    Agent,
    Decision,
    SessionFacts,
    already_ended_reason,
    conversation_permissions,
)
from .vocab import Presence, SessionStatus, session_label


@dataclass(frozen=True)
class Candidate:
    """What the rules need to know about an agent who might receive a session."""

    agent: Agent
    presence: Presence
    logged_in: bool
    capacity: int
    used: int

    @property
    def load(self) -> Load:
        return Load(self.capacity, self.used)


def may_transfer(
    actor: Agent, session: SessionFacts, *, expected_owner: str | None = None
) -> Decision:
    """May ``actor`` hand ``session`` over at all (to anyone, or to the queue)?

    ``expected_owner`` is the owner the actor saw when choosing (the picker, ``--from``): when
    someone else moved the session meanwhile, the second transfer is refused, not re-done.
    """
    label = session_label(session.id)
    if session.status is SessionStatus.ENDED:
        if session.ended is not None:
            return Decision.no(f"{label} has {already_ended_reason(session.ended)}")
        return Decision.no(f"{label} has ended: an ended session cannot be transferred")
    if expected_owner is not None and session.owner_name != expected_owner:
        now = f"owned by {session.owner_name}" if session.owner_name else "in the queue"
        return Decision.no(f"{label} changed hands meanwhile: it is now {now}")
    if session.status is not SessionStatus.ACTIVE:
        return Decision.no(
            f"{label} is {session.status.value}: only an Active session can be transferred"
        )
    if session.owner_id != actor.id and not actor.is_admin:
        owner = session.owner_name or "nobody"
        return Decision.no(f"not the owner: {label} is owned by {owner}")
    return Decision.ok()


def receiver_refusal(candidate: Candidate, session: SessionFacts, units: int) -> str | None:
    """Why ``candidate`` cannot receive ``session`` (needing ``units``), or None if they can.

    The reason names no agent: :func:`refusal_line` puts the name in front.
    """
    if candidate.agent.id == session.owner_id:
        return "already the owner"
    if not candidate.logged_in:
        return "logged out"
    if candidate.presence is not Presence.ONLINE:
        return candidate.presence.value
    for perm in conversation_permissions(session.channel):
        if perm not in candidate.agent.permissions:
            return f"missing permission {perm.value}"
    load = candidate.load
    if not load.fits(units):
        if load.free <= 0:
            return f"no free capacity ({load.used}/{load.capacity})"
        return f"not enough free capacity ({load.used}/{load.capacity}, needs {units})"
    return None


def refusal_line(name: str, reason: str) -> str:
    """``erin: Busy``."""
    return f"{name}: {reason}"


def units_taken(session: SessionFacts, units: int) -> int:
    """The units the session holds from its new owner once transferred (Active, tab open)."""
    return held_units(session.capacity_model, SessionStatus.ACTIVE, True, True, units)


def transfer_line(sender: str, receiver: str | None, actor: str) -> str:
    """The transcript's system line (internal: agents see it, the customer does not).

    ``Transferred from dana to erin`` / ``dana sent this session back to the queue``; when an
    admin moves someone else's session the line says who did it.
    """
    if receiver is not None:
        by = "" if actor == sender else f" by {actor}"
        return f"Transferred from {sender} to {receiver}{by}"
    if actor == sender:
        return f"{sender} sent this session back to the queue"
    return f"{actor} sent this session back to the queue (it was {sender}'s)"
