"""The words of an alert (a new session, a customer reply, an end by someone else).

Which changes deserve an alert is the domain's decision (``domain.needs.decide_alerts``);
this only says it. Customer text and names are made safe and one line here, and the console
shows them with ``markup=False``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain.ending import ended_by
from ..domain.needs import Alert, AlertKind
from ..domain.text import one_line
from ..domain.vocab import ActorKind

if TYPE_CHECKING:
    from ..services.views import SessionNeeds, SessionRow

#: Characters of a customer's line an alert shows.
ALERT_LINE = 80


def alert_notice(alert: Alert, row: SessionRow, needs: SessionNeeds | None) -> tuple[str, str]:
    """The notification's title and text for ``alert`` on ``row``."""
    who = one_line(row.customer, 40)
    where = f"{row.label} · {one_line(row.channel_name, 40)}"
    line = needs.last_customer_text if needs is not None else None
    said = f": {one_line(line, ALERT_LINE)}" if line else ""
    if alert.kind is AlertKind.ASSIGNED:
        return "New session", f"{who} ({where}){said}"
    if alert.kind is AlertKind.REPLIED:
        return f"{who} wrote", f"{row.label}{said or ' (a new message)'}"
    by = "someone else"
    if needs is not None and needs.end_actor_kind is not None and needs.end_actor is not None:
        by = ended_by(ActorKind(needs.end_actor_kind), needs.end_actor)
    return "Session ended", f"{row.label} with {who} was ended by {one_line(by, 60)}"
