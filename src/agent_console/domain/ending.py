"""May this actor end this session from this surface? (R1, R3, R4, R6, R7, R8, R10, R11).

Every surface -- End Chat, the list row menu, bulk End Sessions, logout, timers, macros and
triggers -- asks :func:`may_end` and gets an answer with a reason a person can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from .channels import Channel, Family
from .policy import Policy
from .vocab import (
    AGENT_SURFACES,
    LIST_SURFACES,
    ActorKind,
    CapacityModel,
    Permission,
    SessionStatus,
    Surface,
    session_label,
)

P = Permission


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    @classmethod
    def ok(cls, reason: str = "") -> Decision:
        return cls(True, reason)

    @classmethod
    def no(cls, reason: str) -> Decision:
        return cls(False, reason)


@dataclass(frozen=True)
class Agent:
    """What the rules need to know about an agent."""

    id: int
    name: str
    permissions: frozenset[Permission] = frozenset()
    is_admin: bool = False


@dataclass(frozen=True)
class Actor:
    """Who is ending: an agent by hand, or logout / a timer / a macro / a trigger.

    ``agent`` is the person behind it when there is one (the agent logging out, the agent
    who ran a macro); ``name`` is what the end record and transcript show.
    """

    kind: ActorKind
    name: str
    agent: Agent | None = None

    @classmethod
    def of_agent(cls, agent: Agent) -> Actor:
        return cls(ActorKind.AGENT, agent.name, agent)

    @property
    def is_automatic(self) -> bool:
        """Ends no person asked for at that moment: timers, triggers, system macros (R8)."""
        return self.kind in (ActorKind.TIMER, ActorKind.TRIGGER) or (
            self.kind is ActorKind.MACRO and self.agent is None
        )

    def describe(self) -> str:
        if self.kind is ActorKind.AGENT:
            return self.name
        if self.kind is ActorKind.LOGOUT:
            return f"{self.name} (logout)"
        if self.kind is ActorKind.MACRO:
            runner = f", run by {self.agent.name}" if self.agent else ""
            return f"macro {self.name}{runner}"
        if self.kind is ActorKind.TRIGGER:
            return f"trigger {self.name}"
        return "the system (no reply from the customer)"


@dataclass(frozen=True)
class EndFacts:
    actor_kind: ActorKind
    actor: str
    surface: Surface
    at: datetime


@dataclass(frozen=True)
class SessionFacts:
    """What the rules need to know about a session."""

    id: int
    status: SessionStatus
    channel: Channel
    owner_id: int | None
    owner_name: str | None
    capacity_model: CapacityModel
    ended: EndFacts | None = field(default=None)


def fmt_time(at: datetime, tz: tzinfo = UTC) -> str:
    """``14:02 UTC``: a time a customer or another reader may see, with its zone."""
    return at.astimezone(tz).strftime("%H:%M %Z")


def fmt_moment(at: datetime, tz: tzinfo = UTC) -> str:
    """``23 Nov 2026 at 14:02 UTC``: a time that may be days old, with its date."""
    local = at.astimezone(tz)
    return f"{local.day} {local:%b %Y} at {local:%H:%M %Z}"


def ended_by(kind: ActorKind, actor: str) -> str:
    """Who an end record says ended a session, as a person would say it."""
    if kind is ActorKind.AGENT:
        return actor
    if kind is ActorKind.LOGOUT:
        return f"{actor} (logging out)"
    if kind is ActorKind.TIMER:
        return "the R7 timer (the customer never answered)"
    return f"{kind.value} {actor}"  # macro NAME, trigger NAME


#: Surfaces that the words of :func:`ended_by` already name.
_SAID_BY_WHO = {Surface.LOGOUT, Surface.TIMER, Surface.MACRO, Surface.TRIGGER}


def end_account(end: EndFacts, tz: tzinfo = UTC) -> str:
    """``dana on 23 Nov 2026 at 09:02 UTC from the conversation``."""
    where = "" if end.surface in _SAID_BY_WHO else f" from the {end.surface.label}"
    return f"{ended_by(end.actor_kind, end.actor)} on {fmt_moment(end.at, tz)}{where}"


def already_ended_reason(end: EndFacts, tz: tzinfo = UTC) -> str:
    return f"already ended by {end_account(end, tz)}"


def conversation_permissions(channel: Channel) -> tuple[Permission, ...]:
    """R1: what an owner needs to end a session of this channel from the conversation."""
    if channel.family is Family.ENHANCED_CHAT:
        return (P.ENHANCED_CHAT_USER, P.ENHANCED_CHAT_REP)
    return (P.MESSAGING_AGENT,)


def _missing(agent: Agent, needed: tuple[Permission, ...]) -> Decision | None:
    for perm in needed:
        if perm not in agent.permissions:
            return Decision.no(f"missing permission {perm.value}")
    return None


def _owner_check(agent: Agent, session: SessionFacts) -> Decision | None:
    if session.owner_id == agent.id:
        return None
    if session.owner_name is None:
        return Decision.no("not the owner: the session is not assigned to you")
    return Decision.no(
        f"not the owner: {session_label(session.id)} is owned by {session.owner_name}"
    )


def may_end(actor: Actor, session: SessionFacts, surface: Surface, policy: Policy) -> Decision:
    """The single answer to "may ``actor`` end ``session`` from ``surface``?"."""
    if session.status is SessionStatus.ENDED:
        if session.ended is not None:
            return Decision.no(already_ended_reason(session.ended, policy.zone))
        return Decision.no("already ended")

    if surface in AGENT_SURFACES or (actor.kind is ActorKind.MACRO and actor.agent is not None):
        agent = actor.agent
        if agent is None:
            return Decision.no(f"{surface.label} ends need an agent")
        if not policy.agents_can_end:
            return Decision.no("agents may not end sessions: setting is off")
        if surface in LIST_SURFACES:
            return _may_end_from_list(agent, session, surface)
        return _may_end_as_owner(agent, session, "End Chat")

    if surface is Surface.LOGOUT:
        if actor.agent is None or session.owner_id != actor.agent.id:
            return Decision.no("not the owner: logout ends only your own sessions")
        return Decision.ok()

    # Timers, triggers and system macros: automatic endings happen whatever R8 says.
    return Decision.ok()


def _may_end_as_owner(agent: Agent, session: SessionFacts, what: str) -> Decision:
    if session.status not in (SessionStatus.ACTIVE, SessionStatus.INACTIVE):
        return Decision.no(f"session is {session.status.value}: {what} needs an Active session")
    refusal = _owner_check(agent, session) or _missing(
        agent, conversation_permissions(session.channel)
    )
    return refusal or Decision.ok()


def _may_end_from_list(agent: Agent, session: SessionFacts, surface: Surface) -> Decision:
    if surface is Surface.ROW and not session.channel.is_standard:
        return Decision.no("row End Session is for standard channels only")
    if (
        session.status is SessionStatus.INACTIVE
        and session.capacity_model is CapacityModel.STATUS_BASED
    ):
        return Decision.no(
            "Inactive sessions cannot be ended from the list under status-based capacity"
        )
    refusal = _missing(agent, (P.END_MESSAGING_SESSION,))
    return refusal or Decision.ok()


def csat_decision(actor: Actor, policy: Policy) -> Decision:
    """R9: is a CSAT survey sent to the customer when this actor ends a session?"""
    if actor.kind not in (ActorKind.AGENT, ActorKind.LOGOUT) and not (
        actor.kind is ActorKind.MACRO and actor.agent is not None
    ):
        return Decision.no(f"no CSAT survey: ended by {actor.kind.value}, not by an agent")
    if not policy.csat_on_agent_end:
        return Decision.no("no CSAT survey: the CSAT-on-agent-end setting is off")
    return Decision.ok("a CSAT survey will be sent to the customer")


def may_close_tab(agent: Agent, session: SessionFacts, tab_open: bool, units_held: int) -> Decision:
    """R2: an agent closes the tab of a session that has ended; tab-based units come back."""
    if session.owner_id != agent.id:
        return Decision.no(
            f"not your tab: {session_label(session.id)} is not assigned to {agent.name}"
        )
    if not tab_open:
        return Decision.no(f"the tab of {session_label(session.id)} is already closed")
    if session.status is not SessionStatus.ENDED:
        return Decision.no(
            f"end the chat before closing its tab: {session_label(session.id)} "
            f"is {session.status.value}"
        )
    if units_held:
        return Decision.ok(f"frees {units_held} unit{'s' if units_held != 1 else ''}")
    return Decision.ok("closes the tab")


def end_line(actor: Actor, at: datetime, tz: tzinfo = UTC) -> str:
    """R12: the transcript's system line, seen by the customer too (the time in the
    deployment's zone, which the line names: the customer may be anywhere)."""
    return f"Session ended by {actor.describe()} at {fmt_time(at, tz)}"
