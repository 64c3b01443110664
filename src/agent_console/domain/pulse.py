"""A pulse: what a stretch of the change feed touched, small enough to send to every console.

On PostgreSQL one process (the gateway's pulse sender) reads the change feed every few
hundred milliseconds and, when it grew, sends one NOTIFY that sums up the changes after
``after`` up to ``upto``: the agents and the sessions they touched, whether one was for
everyone, whether one touched an agent alone. A console keeps its connection LISTENing and
reads the change feed only when a pulse concerns what it shows: the idle consoles of a floor
cost the database nothing. A pulse concerns an :class:`~.feed.Interest` exactly when one of
the changes it sums up does (a test holds the two to each other).

A pulse that would not fit in a NOTIFY payload says "everything" instead: every console reads
the feed, as it would have without pulses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .feed import Interest, Touch

#: PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more; this leaves room to spare.
MAX_PAYLOAD = 7_900
#: Seconds between two pulses at most while nothing changes (a heartbeat: the sender is there).
BEAT = 1.0
#: No pulse heard for this long: the sender is gone (or the connection was replaced), and the
#: listener looks at the database itself until pulses come again.
SILENCE = 3 * BEAT
#: Listening backends a second the pulses may wake at most. PostgreSQL wakes every listening
#: backend of the database for every NOTIFY, so a pulse costs the server one wake-up per
#: console. Measured with ``bench/floor.py`` (1,000 consoles, 100 messages/s, 2 cores,
#: 2026-12-04): a pulse every 0.2 s (5,000 wake-ups a second) carried 93.5-95.4 messages/s.
#: Once a refresh sent fewer statements and a quiet poll no task, 3,000 (a pulse every
#: 0.34 s) beat 2,000 (0.5 s) in three of four interleaved pairs of runs: p99 0.66-1.06 s
#: against 0.99-1.38 s, at 96.5-100 messages/s (README, "A shared floor").
WAKEUPS = 3_000
_VERSION = "p1"


@dataclass(frozen=True, slots=True)
class Pulse:
    """The changes with ``after < seq <= upto``, summed up (see the module's docstring)."""

    after: int
    upto: int
    agents: frozenset[int] = frozenset()
    sessions: frozenset[int] = frozenset()
    #: A change for everyone (settings, quick replies, the feed cut), or too many to list.
    everyone: bool = False
    #: A change to an agent alone (its presence, capacity or permissions).
    lone_agent: bool = False

    @property
    def empty(self) -> bool:
        """A heartbeat: nothing changed in its stretch."""
        return not (self.agents or self.sessions or self.everyone or self.lone_agent)

    def concerns(self, interest: Interest) -> bool:
        """Whether any change this pulse sums up concerns ``interest``."""
        if self.everyone:
            return True
        if interest.agent_id is not None and interest.agent_id in self.agents:
            return True
        if self.sessions and (interest.any_session or self.sessions & interest.sessions):
            return True
        return self.lone_agent and interest.any_agent

    def then(self, later: Pulse) -> Pulse | None:
        """This pulse and a later one as one, or None if ``later`` starts after this one ends
        (the changes between the two were summed up to nobody here: a gap)."""
        if later.after > self.upto:
            return None
        return Pulse(
            after=min(self.after, later.after),
            upto=max(self.upto, later.upto),
            agents=self.agents | later.agents,
            sessions=self.sessions | later.sessions,
            everyone=self.everyone or later.everyone,
            lone_agent=self.lone_agent or later.lone_agent,
        )

    def encode(self) -> str:
        """The NOTIFY payload: ``p1 AFTER UPTO FLAGS AGENTS SESSIONS`` (ids comma-separated,
        ``-`` for none), or the "everything" pulse when that would not fit."""
        flags = ("e" if self.everyone else "") + ("l" if self.lone_agent else "")
        text = " ".join(
            (
                _VERSION,
                str(self.after),
                str(self.upto),
                flags or "-",
                _ids(self.agents),
                _ids(self.sessions),
            )
        )
        if len(text) <= MAX_PAYLOAD:
            return text
        return f"{_VERSION} {self.after} {self.upto} e - -"


def pace(least: float, listeners: int, wakeups: int = WAKEUPS) -> float:
    """Seconds between two pulses: ``least``, or longer when a pulse every ``least`` seconds
    would wake ``listeners`` backends more than ``wakeups`` times a second, but never longer
    than a :data:`BEAT` (``wakeups`` 0: no bound)."""
    if wakeups <= 0:
        return least
    return max(least, min(listeners / wakeups, BEAT))


def summarize(after: int, upto: int, touches: Iterable[Touch]) -> Pulse:
    """The pulse for the changes ``touches`` (those with ``after < seq <= upto``)."""
    agents: set[int] = set()
    sessions: set[int] = set()
    everyone = lone_agent = False
    for touch in touches:
        if touch.for_everyone:
            everyone = True
            continue
        if touch.agent_id is not None:
            agents.add(touch.agent_id)
        if touch.session_id is not None:
            sessions.add(touch.session_id)
        else:
            lone_agent = True
    return Pulse(after, upto, frozenset(agents), frozenset(sessions), everyone, lone_agent)


def decode(payload: str) -> Pulse | None:
    """The pulse a payload carries, or None if it is not one this version reads."""
    parts = payload.split(" ")
    if len(parts) != 6 or parts[0] != _VERSION:
        return None
    try:
        after, upto = int(parts[1]), int(parts[2])
        agents, sessions = _parse_ids(parts[4]), _parse_ids(parts[5])
    except ValueError:
        return None
    flags = parts[3]
    if after > upto or not set(flags) <= {"e", "l", "-"}:
        return None
    return Pulse(after, upto, agents, sessions, "e" in flags, "l" in flags)


def _ids(ids: frozenset[int]) -> str:
    return ",".join(map(str, sorted(ids))) or "-"


def _parse_ids(text: str) -> frozenset[int]:
    return frozenset() if text == "-" else frozenset(map(int, text.split(",")))
