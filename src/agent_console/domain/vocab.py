"""The product's vocabulary: statuses, presence, permissions, actors and surfaces."""

from __future__ import annotations

from enum import StrEnum


class SessionStatus(StrEnum):
    NEW = "New"
    WAITING = "Waiting"
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    ENDED = "Ended"


#: Statuses of a session that is still a conversation (not Ended).
LIVE_STATUSES: frozenset[SessionStatus] = frozenset(
    {SessionStatus.NEW, SessionStatus.WAITING, SessionStatus.ACTIVE, SessionStatus.INACTIVE}
)
#: Statuses in which a session has an owner working it.
OWNED_STATUSES: frozenset[SessionStatus] = frozenset({SessionStatus.ACTIVE, SessionStatus.INACTIVE})


class Presence(StrEnum):
    ONLINE = "Online"
    BUSY = "Busy"
    OFFLINE = "Offline"


class Permission(StrEnum):
    ENHANCED_CHAT_USER = "enhanced_chat_user"
    ENHANCED_CHAT_REP = "enhanced_chat_rep"
    MESSAGING_AGENT = "messaging_agent"
    END_MESSAGING_SESSION = "end_messaging_session"


def parse_permissions(raw: str) -> frozenset[Permission]:
    """An agent's stored permissions (space-separated) as a set."""
    return frozenset(Permission(p) for p in raw.split() if p)


class CapacityModel(StrEnum):
    TAB_BASED = "tab-based"
    STATUS_BASED = "status-based"


class ActorKind(StrEnum):
    """Who ended a session (R12)."""

    AGENT = "agent"
    MACRO = "macro"
    TRIGGER = "trigger"
    TIMER = "timer"
    LOGOUT = "logout"


class Surface(StrEnum):
    """Where an end came from (R12)."""

    CONVERSATION = "conversation"
    ROW = "row"
    LIST = "list"
    LOGOUT = "logout"
    TIMER = "timer"
    MACRO = "macro"
    TRIGGER = "trigger"

    @property
    def label(self) -> str:
        return _SURFACE_LABELS[self]


_SURFACE_LABELS = {
    Surface.CONVERSATION: "conversation",
    Surface.ROW: "list row menu",
    Surface.LIST: "list",
    Surface.LOGOUT: "logout",
    Surface.TIMER: "timer",
    Surface.MACRO: "macro",
    Surface.TRIGGER: "trigger",
}

#: Surfaces on which an agent ends a session by hand (R8 applies to these).
AGENT_SURFACES: frozenset[Surface] = frozenset({Surface.CONVERSATION, Surface.ROW, Surface.LIST})
#: Surfaces of the Messaging Sessions list view (R3, R4).
LIST_SURFACES: frozenset[Surface] = frozenset({Surface.ROW, Surface.LIST})


class Initiator(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


def session_label(session_id: int) -> str:
    """The id a person reads and types: ``S-1042``."""
    return f"S-{session_id}"


def parse_session_id(text: str) -> int:
    """Parse ``S-1042``, ``s1042`` or ``1042``; raise ValueError with a readable message."""
    raw = text.strip()
    digits = raw[1:].lstrip("-") if raw[:1] in ("S", "s") else raw
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"not a session id: {raw!r} (expected S-1042 or 1042)")
    return int(digits)
