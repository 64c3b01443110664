"""Telling the agent, without a key press, that a line of theirs did not reach the customer.

Each refresh brings, for the agent's sessions, the newest failed and the newest retrying
outbound event of each (``services.deliveries``). :class:`DeliveryAlerts` remembers which
(event, state) pairs the agent was told about, so a notification comes once when an event
starts being retried and once when it fails, never again on the next refresh. What was
already failed when the console opened is told once, in one line.

Only what to say is decided here; whether an event failed is the services' answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Literal

from ..domain.outbox import DeliveryState, EventType
from ..domain.text import one_line

if TYPE_CHECKING:
    from ..services.deliveries import SessionDeliveries
    from ..services.views import DeliveryView, SessionRow

#: What each kind of outbound event is called in a notification.
WHAT_WAS_SENT = {
    EventType.MESSAGE_CREATED.value: "Reply",
    EventType.SESSION_ENDED.value: "End line",
    EventType.CSAT_REQUESTED.value: "CSAT survey",
}
#: Sessions named at most in the "already failed" line of the first refresh.
FIRST_LOOK_NAMES = 5


@dataclass(frozen=True)
class DeliveryAlert:
    text: str
    severity: Literal["warning", "error"]


def alert_text(row: SessionRow, delivery: DeliveryView, tz: tzinfo | None) -> str:
    """What the agent is told: "Reply in S-12 to Alice not delivered: HTTP 500 — retrying at
    14:03:12" (the next attempt in the console's time zone), or the same without the retry
    once it was given up on."""
    what = WHAT_WAS_SENT.get(delivery.type, "Message")
    error = one_line(delivery.error or "no answer", 80)
    text = f"{what} in {row.label} to {one_line(row.customer, 40)} not delivered: {error}"
    if delivery.state == DeliveryState.RETRYING.value:
        at = delivery.next_attempt_at
        when = f" at {at.astimezone(tz).strftime('%H:%M:%S')}" if at is not None else ""
        return f"{text} — retrying{when}"
    return text


class DeliveryAlerts:
    """The notifications a refresh brings (see the module docstring)."""

    def __init__(self) -> None:
        #: (event id, state) pairs told about; None until the first refresh was seen.
        self._told: set[tuple[str, str]] | None = None

    def news(
        self,
        rows: Sequence[SessionRow],
        problems: Mapping[int, SessionDeliveries],
        tz: tzinfo | None,
    ) -> list[DeliveryAlert]:
        by_id = {row.id: row for row in rows}
        current: dict[tuple[str, str], tuple[SessionRow, DeliveryView]] = {}
        for session_id, problem in problems.items():
            row = by_id.get(session_id)
            if row is None:
                continue
            for delivery in (problem.newest_failed, problem.newest_retrying):
                if delivery is not None:
                    current[(delivery.event_id, delivery.state)] = (row, delivery)
        told, self._told = self._told, set(current)
        if told is None:
            return self._first_look(rows, problems)
        alerts = []
        for key, (row, delivery) in current.items():
            if key in told:
                continue
            failed = delivery.state == DeliveryState.FAILED.value
            alerts.append(
                DeliveryAlert(alert_text(row, delivery, tz), "error" if failed else "warning")
            )
        return alerts

    @staticmethod
    def _first_look(
        rows: Sequence[SessionRow], problems: Mapping[int, SessionDeliveries]
    ) -> list[DeliveryAlert]:
        failed = [row.label for row in rows if row.id in problems and problems[row.id].failed]
        if not failed:
            return []
        named = ", ".join(failed[:FIRST_LOOK_NAMES])
        left = len(failed) - FIRST_LOOK_NAMES
        more = f" and {left} more" if left > 0 else ""
        sessions = "session has" if len(failed) == 1 else "sessions have"
        return [
            DeliveryAlert(
                f"{len(failed)} {sessions} lines that did not reach the customer: {named}{more}",
                "error",
            )
        ]
