"""The change feed's rules: what a change touched, and which screens it concerns.

Every writing transaction appends one row per thing it touched to the change feed: a
session with the agent that owns it (before and after, for a move), an agent alone (its
presence, its settings), or nothing in particular (the deployment's settings, the quick
replies). A console asks only for the changes that concern what it shows (an
:class:`Interest`) and refreshes only the screens they concern: a message in agent A's
session wakes A's console, not B's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class ChangeKind(StrEnum):
    """What a change did (the ``kind`` column of the change feed)."""

    INBOUND = "inbound"  # a customer started a session
    MESSAGE = "message"  # a message in a session (customer or agent)
    OUTBOUND = "outbound"  # an agent started a session
    ASSIGNED = "assigned"  # routing gave a session to an agent
    TRANSFERRED = "transferred"  # a session moved to another agent or back to the queue
    ENDED = "ended"
    TAB_CLOSED = "tab_closed"
    INACTIVE = "inactive"  # the customer went quiet
    MACRO = "macro"
    CSAT = "csat"
    DELIVERY = "delivery"  # a line's delivery to the customer succeeded or failed
    PRESENCE = "presence"  # an agent's presence (and the sessions it requeued)
    LOGOUT = "logout"  # an agent logged out (and the sessions it ended)
    AGENT = "agent"  # an agent was added or changed
    SETTINGS = "settings"  # the deployment's settings
    QUICK_REPLY = "quick_reply"
    SEED = "seed"  # the demo wrote a whole new world
    #: Where the feed was cut: every change up to this one was deleted (services/changes.py
    #: ``prune_changes``). A reader whose cursor is before it missed some: it resyncs.
    PRUNED = "pruned"


@dataclass(frozen=True, slots=True)
class Touch:
    """One row of the change feed: ``session_id`` and/or ``agent_id``, or neither (everyone)."""

    seq: int
    kind: ChangeKind
    session_id: int | None
    agent_id: int | None

    @property
    def for_everyone(self) -> bool:
        return self.session_id is None and self.agent_id is None


@dataclass(frozen=True, slots=True)
class Interest:
    """What a screen shows, to tell which changes concern it.

    ``agent_id``: an agent whose own sessions, meter and presence are shown (the console's).
    ``sessions``: sessions shown whoever owns them (an open transcript, a list's loaded rows).
    ``any_session``: every session change (a list's count, the supervisor board's totals).
    ``any_agent``: every agent's presence and capacity (the board, the transfer picker).
    A change for everyone (settings, quick replies) concerns every screen.
    """

    agent_id: int | None = None
    sessions: frozenset[int] = frozenset()
    any_session: bool = False
    any_agent: bool = False

    def concerns(self, touch: Touch) -> bool:
        if touch.for_everyone:
            return True
        if touch.agent_id is not None and touch.agent_id == self.agent_id:
            return True
        if touch.session_id is not None:
            return self.any_session or touch.session_id in self.sessions
        return self.any_agent  # an agent alone: its presence, capacity or permissions

    def concerned(self, touches: Iterable[Touch]) -> list[Touch]:
        """The touches that concern this screen, oldest first."""
        return [touch for touch in touches if self.concerns(touch)]

    @property
    def everything(self) -> bool:
        """Whether every change concerns this screen (no filter is worth sending)."""
        return self.any_session and self.any_agent

    def __or__(self, other: Interest) -> Interest:
        """What two screens of one console show together (the feed asks for both at once)."""
        if self.agent_id is not None and other.agent_id not in (None, self.agent_id):
            raise ValueError("one console shows one agent's own sessions")
        return Interest(
            agent_id=self.agent_id if self.agent_id is not None else other.agent_id,
            sessions=self.sessions | other.sessions,
            any_session=self.any_session or other.any_session,
            any_agent=self.any_agent or other.any_agent,
        )


NOTHING = Interest()


@dataclass(frozen=True, slots=True)
class FeedNews:
    """What a poll of the feed found: the changes that concern the console (oldest first),
    or ``resync``: anything may have changed (the first poll, after a lost connection, after
    more changes than a poll reads)."""

    touches: tuple[Touch, ...] = ()
    resync: bool = False

    def __bool__(self) -> bool:
        return self.resync or bool(self.touches)

    def concerns(self, interest: Interest) -> bool:
        return self.resync or any(interest.concerns(t) for t in self.touches)

    def sessions(self) -> set[int]:
        return touched_sessions(self.touches)


NO_NEWS = FeedNews()
#: Anything may have changed: every screen reloads what it shows.
RESYNC = FeedNews(resync=True)


def touched_sessions(touches: Iterable[Touch]) -> set[int]:
    """The sessions these changes touched."""
    return {t.session_id for t in touches if t.session_id is not None}
