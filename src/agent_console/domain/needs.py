"""What needs the agent: how long a customer has waited, the R7 countdown, and which changes
between two looks at the agent's sessions deserve an alert.

Pure: the console passes what it saw before and what it sees now, and renders the answer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .timers import ENHANCED_WINDOW


def short_span(delta: timedelta) -> str:
    """A compact duration for a list entry: ``45s``, ``4m``, ``2h 05m``, ``3d 4h``."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def long_span(delta: timedelta) -> str:
    """A duration read in a sentence: ``3 h 12 m``, ``12 m``, ``2 d 5 h``, ``less than a
    minute``."""
    minutes = max(0, int(delta.total_seconds())) // 60
    if minutes < 1:
        return "less than a minute"
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return f"{minutes} m"
    if hours < 48:
        return f"{hours} h {minutes} m" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def waiting_text(last_customer_at: datetime, now: datetime) -> str:
    """``waiting 4m``: how long since the customer's last message (the newest line is theirs)."""
    return f"waiting {short_span(now - last_customer_at)}"


def countdown_text(
    auto_end_at: datetime, now: datetime, *, standard: bool, compact: bool = False
) -> str:
    """R7's countdown on an agent-initiated session the customer has not answered.

    Standard channels end at ``auto_end_at`` (24 h after the agent's first message); enhanced
    ones somewhere in the 6 h after it (48-54 h), so their countdown gives the window.
    ``compact`` leaves out "unless the customer answers" (a narrow screen).
    """
    unless = "" if compact else " unless the customer answers"
    left = auto_end_at - now
    if left <= timedelta(0):
        return f"ends by itself any moment now{unless}"
    if standard:
        return f"ends by itself in {long_span(left)}{unless}"
    low, high = ENHANCED_WINDOW
    latest = left + (high - low)
    return f"ends by itself in {long_span(left)} to {long_span(latest)}{unless}"


def short_countdown(auto_end_at: datetime, now: datetime) -> str:
    """The list entry's form of :func:`countdown_text`: ``ends in 3h 12m``."""
    left = auto_end_at - now
    return "ends any moment" if left <= timedelta(0) else f"ends in {short_span(left)}"


# --------------------------------------------------------------------------- alerts


class AlertKind(StrEnum):
    ASSIGNED = "assigned"
    REPLIED = "replied"
    ENDED = "ended"


@dataclass(frozen=True)
class Glance:
    """One of the agent's sessions as one refresh saw it: enough to tell what changed."""

    session_id: int
    ended: bool
    #: The newest customer message's id (0: none).
    last_customer_message: int = 0
    #: Whether the end (when ``ended``) was this agent's own doing.
    ended_by_me: bool = False


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    session_id: int


def decide_alerts(
    before: Mapping[int, Glance] | None,
    after: Mapping[int, Glance],
    *,
    on_screen: int | None,
    mine: Collection[int] = (),
) -> list[Alert]:
    """The alerts between two looks at the agent's sessions, in session order.

    - a session that was not there before and is live: **assigned** (routing, a transfer);
    - a newer customer message on a session not on screen: **replied** (not on a session just
      assigned: its alert says enough);
    - a session that was live and is now ended, not by this agent: **ended**.

    ``before`` None is the first look (nothing to compare: no alert). ``mine``: sessions this
    agent acted on since the last look (a macro, whose trigger may end it): never "ended".
    """
    if before is None:
        return []
    alerts: list[Alert] = []
    for session_id in sorted(after):
        now = after[session_id]
        was = before.get(session_id)
        if was is None:
            if not now.ended:
                alerts.append(Alert(AlertKind.ASSIGNED, session_id))
            continue
        if now.ended and not was.ended:
            if not now.ended_by_me and session_id not in mine:
                alerts.append(Alert(AlertKind.ENDED, session_id))
            continue
        if (
            now.last_customer_message > was.last_customer_message
            and session_id != on_screen
            and not now.ended
        ):
            alerts.append(Alert(AlertKind.REPLIED, session_id))
    return alerts
