"""Away reasons and the time an agent has been in their presence, as pure values.

*Away* is not a fourth presence: it is ``Busy`` with a reason (Break, Lunch, Training...). An
agent who is away keeps their sessions and gets no new work -- exactly what Busy means in the
specification -- so routing (Online only), going Offline (R5) and logging out (R6) need no new
rule. The reason only says why, on the agent's status bar and in every view of the agent.
"""

from __future__ import annotations

from datetime import timedelta

from .errors import Refused
from .vocab import Presence

#: The reasons a deployment offers until an admin sets its own (``presence.away_reasons``).
DEFAULT_AWAY_REASONS: tuple[str, ...] = ("Break", "Lunch", "Training")
#: The most reasons a deployment may offer, and the longest a reason may be.
MAX_AWAY_REASONS = 12
MAX_REASON_LENGTH = 24


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
