"""What the agent is told when a supervisor changed their presence: once per change, never on
the console's first look, never for the agent's own change."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from agent_console.domain.presence import (
    PresenceAuthor,
    PresenceSeen,
    logout_end_reason,
    supervisor_notice,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ONLINE = PresenceSeen("Online", None, True, T0)
BUSY = PresenceSeen("Busy", None, True, T0 + timedelta(minutes=3), "sam", "Coaching")


def test_a_supervisors_change_is_told_once() -> None:
    assert supervisor_notice(ONLINE, BUSY) == "sam set you Busy: Coaching"
    assert supervisor_notice(BUSY, BUSY) is None  # the next refresh: nothing new
    assert supervisor_notice(BUSY, replace(BUSY, note="Meeting")) == "sam set you Busy: Meeting"
    assert supervisor_notice(ONLINE, replace(BUSY, note=None)) == "sam set you Busy"
    away = replace(BUSY, reason="Training")
    assert supervisor_notice(ONLINE, away) == "sam set you Away: Training — Coaching"


def test_a_supervisors_logout_says_why() -> None:
    out = PresenceSeen("Offline", None, False, T0, "sam", "End of shift")
    assert supervisor_notice(BUSY, out) == "sam logged you out: End of shift"


def test_nothing_on_the_first_look_or_for_the_agents_own_change() -> None:
    assert supervisor_notice(None, BUSY) is None
    assert supervisor_notice(BUSY, ONLINE) is None
    assert supervisor_notice(ONLINE, replace(ONLINE, presence="Busy")) is None


def test_the_end_reason_of_a_logout() -> None:
    assert logout_end_reason(PresenceAuthor()) == ""
    assert logout_end_reason(PresenceAuthor("sam", "End of shift")) == (
        "logged out by sam: End of shift"
    )
