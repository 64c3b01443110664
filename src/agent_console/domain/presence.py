"""Away reasons and the time an agent has been in their presence, as pure values.

*Away* is not a fourth presence: it is ``Busy`` with a reason (Break, Lunch, Training...). An
agent who is away keeps their sessions and gets no new work -- exactly what Busy means in the
specification -- so routing (Online only), going Offline (R5) and logging out (R6) need no new
rule. The reason only says why, on the agent's status bar and in every view of the agent.

A supervisor (an admin) may set another agent's presence or log them out (the supervisor
board). :func:`presence_author` is the rule for that: who may, and what their note must be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import Refused
from .text import escape_log, unstorable
from .vocab import Presence

#: The reasons a deployment offers until an admin sets its own (``presence.away_reasons``).
DEFAULT_AWAY_REASONS: tuple[str, ...] = ("Break", "Lunch", "Training")
#: The most reasons a deployment may offer, and the longest a reason may be.
MAX_AWAY_REASONS = 12
MAX_REASON_LENGTH = 24
#: The longest a supervisor's note may be.
MAX_NOTE_LENGTH = 200
LOGOUT_NEEDS_NOTE = "a supervisor logging an agent out must give a reason"


def check_away_reason(
    presence: Presence, reason: str | None, reasons: tuple[str, ...]
) -> str | None:
    """The reason as the deployment spells it (matched without regard to case), or None.

    Refused: a reason with another presence than Busy, or one the deployment does not offer
    (the refusal lists those it does).
    """
    if reason is None:
        return None
    if presence is not Presence.BUSY:
        raise Refused(f"an away reason goes with Busy, not {presence.value}")
    wanted = reason.strip().casefold()
    for offered in reasons:
        if offered.casefold() == wanted:
            return offered
    if not reasons:
        raise Refused(f"unknown away reason {reason!r}: this deployment offers none")
    raise Refused(f"unknown away reason {reason!r}; the reasons are: {', '.join(reasons)}")


def presence_label(presence: str, reason: str | None) -> str:
    """``Away: Lunch`` for Busy with a reason, otherwise the presence itself."""
    if presence == Presence.BUSY.value and reason:
        return f"Away: {reason}"
    return presence


def time_in_status(delta: timedelta) -> str:
    """How long an agent has been in their presence: ``0m``, ``12m``, ``1h 5m``, ``2d 3h``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


@dataclass(frozen=True)
class PresenceAuthor:
    """Who set an agent's presence: ``by`` None for the agent themself (no note then), or
    the supervisor with their note (None: none given; a logout always has one)."""

    by: str | None = None
    note: str | None = None


def check_note(note: str | None) -> str | None:
    """A supervisor's note as stored (surrounding blanks dropped; None when blank).

    Refused: longer than :data:`MAX_NOTE_LENGTH`, or anything but one line of plain text (a
    control or format character, a line break): the refusal names it by code point.
    """
    if note is None or not note.strip():
        return None
    clean = note.strip()
    if len(clean) > MAX_NOTE_LENGTH:
        raise Refused(
            f"a note is at most {MAX_NOTE_LENGTH} characters, this one has {len(clean):,}"
        )
    why = unstorable(clean)
    if why is not None:
        raise Refused(f"the note cannot be stored: {why}")
    for i, ch in enumerate(clean):
        if escape_log(ch) != ch:
            raise Refused(
                f"a note is one line of plain text: it contains U+{ord(ch):04X} "
                f"at character {i + 1}"
            )
    return clean


def may_act_on(agent: str, by: str | None, *, by_is_admin: bool, logout: bool) -> bool:
    """Whether ``by`` acts on someone else's presence (True) or ``agent`` on their own
    (False); Refused when ``by`` is someone else and not an admin."""
    if by is None or by == agent:
        return False
    if not by_is_admin:
        doing = "log out another agent" if logout else "set another agent's presence"
        raise Refused(f"only admins can {doing}: {by} is not an admin")
    return True


def presence_author(
    agent: str, by: str | None, note: str | None, *, by_is_admin: bool, logout: bool
) -> PresenceAuthor:
    """Who is recorded as having set ``agent``'s presence (or logged them out), and the note.

    The agent themself (``by`` None or ``agent``): no one is recorded, and a note is refused.
    Anyone else must be an admin; their note is checked (:func:`check_note`), optional for a
    presence and required for a logout (the agent reads why their sessions ended).
    """
    if not may_act_on(agent, by, by_is_admin=by_is_admin, logout=logout):
        if note is not None and note.strip():
            raise Refused("a note goes with a supervisor's change to another agent, not your own")
        return PresenceAuthor()
    clean = check_note(note)
    if logout and clean is None:
        raise Refused(LOGOUT_NEEDS_NOTE)
    return PresenceAuthor(by, clean)


def logout_end_reason(author: PresenceAuthor) -> str:
    """What the end records of a logout say: ``logged out by sam: End of shift`` for a
    supervisor's, nothing for the agent's own."""
    if author.by is None:
        return ""
    return f"logged out by {author.by}: {author.note}"


@dataclass(frozen=True)
class PresenceSeen:
    """An agent's presence as their console showed it: what tells a supervisor's change."""

    presence: str
    reason: str | None
    logged_in: bool
    since: datetime | None
    by: str | None = None
    note: str | None = None


def supervisor_notice(before: PresenceSeen | None, after: PresenceSeen) -> str | None:
    """What the agent is told when a supervisor has changed their presence since their
    console last looked: ``sam set you Busy: Coaching``, ``sam logged you out: End of shift``.

    None when the presence is as it was, when the agent changed it themself, and on the
    console's first look (``before`` None: the status bar says who set it, no toast).
    Plain text: the console shows it without markup.
    """
    if before is None or after.by is None or after == before:
        return None
    if not after.logged_in:
        return f"{after.by} logged you out" + (f": {after.note}" if after.note else "")
    label = presence_label(after.presence, after.reason)
    if not after.note:
        return f"{after.by} set you {label}"
    return f"{after.by} set you {label}" + (
        f" — {after.note}" if after.reason else f": {after.note}"
    )
