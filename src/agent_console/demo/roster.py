"""The seed's agents, planned: names, capacities, permissions and presence from the seed's
``random.Random`` alone (the writer then creates the missing ones or reuses existing ones)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.vocab import Permission, Presence
from .rows import HISTORY_DAYS
from .texts import AGENT_NAMES

P = Permission
ALL_PERMS = frozenset(Permission)

PERMISSION_PROFILES: tuple[frozenset[Permission], ...] = (
    ALL_PERMS,
    frozenset({P.MESSAGING_AGENT, P.END_MESSAGING_SESSION}),
    frozenset({P.ENHANCED_CHAT_USER, P.ENHANCED_CHAT_REP}),
    frozenset({P.ENHANCED_CHAT_USER, P.ENHANCED_CHAT_REP, P.MESSAGING_AGENT}),
    frozenset({P.MESSAGING_AGENT}),
    frozenset({P.ENHANCED_CHAT_USER, P.MESSAGING_AGENT}),  # a licence but not the rep permission
    ALL_PERMS,
)

#: (presence, logged in) in the order the first agents after dana get them, then at random.
PRESENCE_STATES: tuple[tuple[Presence, bool], ...] = (
    (Presence.ONLINE, True),
    (Presence.BUSY, True),
    (Presence.OFFLINE, False),
    (Presence.OFFLINE, True),
)
PRESENCE_WEIGHTS = (55, 20, 15, 10)


@dataclass(frozen=True)
class AgentDraft:
    """One agent of the roster as the seed would create it (the first one, dana, is admin)."""

    name: str
    capacity: int
    perms: frozenset[Permission]
    presence: Presence
    logged_in: bool
    joined: datetime
    is_admin: bool


def agent_names(count: int) -> list[str]:
    """The first ``count`` demo agent names (a second round adds " 2", and so on)."""
    names: list[str] = []
    round_ = 1
    while len(names) < count:
        for base in AGENT_NAMES:
            names.append(base if round_ == 1 else f"{base} {round_}")
            if len(names) == count:
                break
        round_ += 1
    return names


def plan_roster(rng: random.Random, count: int, now: datetime) -> list[AgentDraft]:
    """``count`` agents; the same draws whether or not an agent exists already, so the rest
    of the plan does not depend on the database."""
    drafts: list[AgentDraft] = []
    for i, name in enumerate(agent_names(count)):
        capacity = 5 if i == 0 else rng.randint(3, 8)
        profile = rng.choice(PERMISSION_PROFILES)
        perms = ALL_PERMS if i == 0 else PERMISSION_PROFILES[i] if i < 7 else profile
        state = rng.choices(PRESENCE_STATES, PRESENCE_WEIGHTS)[0]
        if i == 0:
            state = (Presence.ONLINE, True)
        elif i <= len(PRESENCE_STATES):
            state = PRESENCE_STATES[i - 1]
        presence, logged_in = state
        joined = now - timedelta(days=HISTORY_DAYS + rng.randint(1, 300))
        drafts.append(AgentDraft(name, capacity, perms, presence, logged_in, joined, i == 0))
    return drafts
