"""The seed's planner: every session of a demo deployment, in memory, from one ``random``.

Pure: it takes the roster, the capacity policy, the customer names already taken and a
:class:`~agent_console.demo.rows.Clock`, and returns :class:`PlannedSession` s whose rows are
ready for the driver (see :mod:`agent_console.demo.writer`). Only ``rng`` decides, so the same
seed, clock, roster and policy give the same plan.

It covers every channel and status (Inactive only under status-based capacity), ends by every
actor kind from every surface with the R12 line, CSAT requests (R9), Ended sessions with an
open tab (R2), pending R7 timers, multi-line and hostile messages stored as-is.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from operator import attrgetter
from typing import Any

from ..domain.channels import CHANNELS, Channel
from ..domain.ending import Actor, end_line
from ..domain.policy import Policy
from ..domain.timers import ENHANCED_WINDOW, auto_end_at, timer_reason
from ..domain.vocab import (
    ActorKind,
    AuthorKind,
    CapacityModel,
    Initiator,
    Permission,
    Presence,
    SessionStatus,
    Surface,
)
from ..services.automation import END_WHEN_ESCALATED, ESCALATE
from .customers import CustomerPool
from .rows import (
    DAY,
    EPOCH_UTC,
    HISTORY_DAYS,
    HOUR,
    MINUTE,
    ROW_ASSIGNED,
    ROW_AUTO_END,
    ROW_ENDED,
    ROW_ESCALATED,
    ROW_FIRST_AGENT,
    ROW_INITIATED,
    ROW_LAST,
    ROW_REPLIED,
    ROW_STATUS,
    Clock,
    PlannedSession,
    RosterAgent,
)
from .texts import (
    AGENT_NUDGES,
    AGENT_OPENERS,
    AGENT_REPLIES,
    CUSTOMER_FOLLOWUPS,
    CUSTOMER_OPENERS,
    HOSTILE,
)

P = Permission
S = SessionStatus

ESCALATE_QUEUE = "Tier 2"
RESOLVE = "Resolve and close"

#: End kinds of historical (Ended) sessions: (actor kind, surface), with weights.
END_KINDS: tuple[tuple[ActorKind, Surface], ...] = (
    (ActorKind.AGENT, Surface.CONVERSATION),
    (ActorKind.AGENT, Surface.LIST),
    (ActorKind.AGENT, Surface.ROW),
    (ActorKind.LOGOUT, Surface.LOGOUT),
    (ActorKind.TIMER, Surface.TIMER),
    (ActorKind.MACRO, Surface.MACRO),
    (ActorKind.TRIGGER, Surface.TRIGGER),
)
END_WEIGHTS = (40, 12, 8, 8, 10, 12, 10)
CSAT_SHARE = 0.35
HOSTILE_SHARE = 0.03
NEW_SHARE = 0.2  # of the queue; the rest is Waiting

CUSTOMER, AGENT, SYSTEM = AuthorKind.CUSTOMER.value, AuthorKind.AGENT.value, AuthorKind.SYSTEM.value
ACTIVE, ENDED, INACTIVE = S.ACTIVE.value, S.ENDED.value, S.INACTIVE.value
NEW, WAITING = S.NEW, S.WAITING
BY_CUSTOMER, BY_AGENT = Initiator.CUSTOMER.value, Initiator.AGENT.value
TAB_BASED, STATUS_BASED = CapacityModel.TAB_BASED.value, CapacityModel.STATUS_BASED.value
TIMER_ACTOR = Actor(ActorKind.TIMER, "timer")
# Plain module names for the planner's hot paths (enum attribute lookups are slow).
_SURF_CONVERSATION, _SURF_LIST, _SURF_ROW = Surface.CONVERSATION, Surface.LIST, Surface.ROW
_SURF_TIMER, _SURF_TRIGGER = Surface.TIMER, Surface.TRIGGER
_KIND_AGENT, _KIND_LOGOUT, _KIND_MACRO = ActorKind.AGENT, ActorKind.LOGOUT, ActorKind.MACRO
_KIND_TIMER, _KIND_TRIGGER = ActorKind.TIMER, ActorKind.TRIGGER
_VALUES = {s: s.value for s in Surface}
TRIGGER_ACTOR = Actor(ActorKind.TRIGGER, END_WHEN_ESCALATED)


class Planner:
    """Plans every session in memory; only ``rng`` decides, so a seed is reproducible."""

    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        roster: list[RosterAgent],
        policy: Policy,
        taken: set[str],
    ) -> None:
        self.rng = rng
        self.r = rng.random
        self.clock = clock
        self.now = clock.now
        self.roster = roster
        self.pool = CustomerPool(self.r, taken)
        self.models = {c.id: policy.model_for(c).value for c in CHANNELS}
        self.units = {c.id: policy.units_for(c) for c in CHANNELS}
        self.status_based = [c for c in CHANNELS if self.models[c.id] == STATUS_BASED]
        self.standard = [c for c in CHANNELS if c.is_standard]
        self.enders = [a for a in roster if P.END_MESSAGING_SESSION in a.perms]
        self.workers = {c.id: [a for a in roster if a.can_work(c)] for c in CHANNELS}
        # Per agent: as themselves, logging out, running each macro.
        self.actors = {
            a.id: (
                Actor.of_agent(a.facts),
                Actor(ActorKind.LOGOUT, a.name, a.facts),
                Actor(ActorKind.MACRO, ESCALATE, a.facts),
                Actor(ActorKind.MACRO, RESOLVE, a.facts),
            )
            for a in roster
        }
        # R7, from the domain rule: how long after the first agent message the timer fires.
        self.timer_due = {
            c.id: int((auto_end_at(c, EPOCH_UTC) - EPOCH_UTC).total_seconds()) for c in CHANNELS
        }
        spread = int((ENHANCED_WINDOW[1] - ENHANCED_WINDOW[0]).total_seconds())
        self.timer_spread = {c.id: 5 * MINUTE if c.is_standard else spread for c in CHANNELS}
        self.timer_reason = {c.id: timer_reason(c) for c in CHANNELS}
        self.end_cum = list(accumulate(END_WEIGHTS))
        self._actor_facts: dict[int, tuple[str, int | None, bool, str]] = {}
        self.multiline = [t for t in CUSTOMER_OPENERS if "\n" in t]
        self.hostile_left = 1  # at least one hostile and one multi-line message in every seed
        self.multiline_left = 1

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.r() * len(seq))]

    # the whole plan

    def plan(self, sessions: int, live: float) -> list[PlannedSession]:
        r = self.r
        self.pool.size = max(1, sessions // 3)
        n_live = round(sessions * live)
        plans: list[PlannedSession] = []

        # 1. Work agents own right now, within their free capacity.
        tab_open_budget = max(1, sessions // 100) if sessions >= 10 else 0
        plans.extend(self._owned(min(int(n_live * 0.6), sessions), tab_open_budget))
        plans = plans[:sessions]
        owned_live = sum(1 for p in plans if p.row[ROW_STATUS] != ENDED)

        # 2. The queue: New and Waiting, every channel first.
        queued = min(max(0, n_live - owned_live), sessions - len(plans))
        for i in range(queued):
            status = NEW if i == 0 or (i > 1 and r() < NEW_SHARE) else WAITING
            ch = CHANNELS[i] if i < len(CHANNELS) else self.pick(CHANNELS)
            plans.append(self._queued(ch, status))

        # 3. History: Ended sessions, every channel and every end kind first.
        for i in range(sessions - len(plans)):
            ch = CHANNELS[i] if i < len(CHANNELS) else self.pick(CHANNELS)
            if i < len(END_KINDS):
                kind = END_KINDS[i]
            else:
                kind = END_KINDS[bisect_right(self.end_cum, r() * self.end_cum[-1])]
            plans.append(self._ended(ch, kind))

        plans.sort(key=attrgetter("created"))  # ids follow creation time, as they would have
        return plans

    def _owned(self, budget: int, tab_open_budget: int) -> list[PlannedSession]:
        """Active work, Ended-with-open-tab (R2) and Inactive work of the logged-in agents.

        Consuming sessions never exceed an agent's free capacity. Dana's first session is
        agent-initiated with its R7 timer pending, her second an Ended one whose tab is open.
        """
        rng, r = self.rng, self.r
        out: list[PlannedSession] = []
        dana = self.roster[0]
        order = [dana, *rng.sample(self.roster[1:], len(self.roster) - 1)]
        for agent in order:
            if not agent.logged_in:
                continue
            free = max(0, agent.capacity - agent.used)
            if agent is dana:
                target = max(min(free, 3), rng.randint(0, free))
            else:
                target = free if r() < 0.6 else rng.randint(0, free)
            # Offline agents keep only status-based work (R5: tab-based work was requeued).
            offline = agent.presence == Presence.OFFLINE.value
            mine = [c for c in (self.status_based if offline else CHANNELS) if agent.can_work(c)]
            k = 0
            while budget > 0:
                usable = [c for c in mine if self.units[c.id] <= target]
                if not usable:
                    break
                tab_usable = [c for c in usable if self.models[c.id] == TAB_BASED]
                if agent is dana and k == 1 and tab_usable and tab_open_budget > 0:
                    shape = "tab_open"
                elif agent is dana and k == 0:
                    shape = "initiated"
                elif tab_usable and tab_open_budget > 0 and r() < 0.15:
                    shape = "tab_open"
                elif r() < (0.5 if k == 0 else 0.15):
                    shape = "initiated"
                else:
                    shape = "active"
                if shape == "tab_open":
                    ch = self.pick(tab_usable)
                    out.append(self._ended_tab_open(ch, agent))
                    tab_open_budget -= 1
                else:
                    ch = self.pick(usable)
                    out.append(self._active(ch, agent, shape == "initiated"))
                    budget -= 1
                units = self.units[ch.id]
                target -= units
                agent.used += units
                k += 1
            # Status-based work gone quiet: still assigned, consumes nothing.
            quiet = [c for c in self.status_based if agent.can_work(c)]
            n_quiet = 1 if agent is dana else rng.randint(0, 2)
            for _ in range(n_quiet):
                if not quiet or budget <= 0:
                    break
                out.append(self._inactive(self.pick(quiet), agent))
                budget -= 1
        return out

    # one session of each shape

    def _new(
        self,
        ch: Channel,
        status: str,
        owner: RosterAgent | None,
        initiated: str,
        start: int,
        end: int | None,
        *,
        tab_open: bool = False,
        held: int = 0,
        version: int = 3,
    ) -> PlannedSession:
        row = [
            None,  # id
            None,  # customer id
            ch.id,
            status,
            owner.id if owner else None,
            initiated,
            self.models[ch.id],
            self.units[ch.id],
            held,
            tab_open,
            self.clock.store(start),  # created
            None,  # assigned
            None,  # last message
            None,  # first agent message
            initiated == BY_CUSTOMER,
            None,  # auto end
            None,  # escalated to
            None,  # ended
            version,
            None,  # customer waiting since (note_wait, once the transcript is there)
        ]
        return PlannedSession(self.pool.for_session(ch.id, start, end), start, row)

    def _kinds(self, owned: bool, initiated: str, count: int, replied: bool) -> list[str]:
        """Who writes each message, in order."""
        r = self.r
        if initiated == BY_AGENT:
            if not replied:
                return [AGENT] if count < 2 else [AGENT, AGENT]
            kinds = [AGENT, CUSTOMER]
            for _ in range(count - 2):
                kinds.append(AGENT if r() < 0.5 else CUSTOMER)
            return kinds
        if not owned:
            return [CUSTOMER] * count
        kinds = [CUSTOMER]
        last = CUSTOMER
        for _ in range(count - 1):
            if r() < 0.75:
                last = AGENT if last == CUSTOMER else CUSTOMER
            kinds.append(last)
        return kinds

    def _fill(self, plan: PlannedSession, kinds: list[str], owner: RosterAgent | None) -> int:
        """The transcript, from the session's creation; returns the last message's time."""
        r, store = self.r, self.clock.store
        row = plan.row
        idx = plan.customer
        people = self.pool
        cust, first, order = people.names[idx], people.firsts[idx], people.orders[idx]
        replied = CUSTOMER in kinds
        row[ROW_REPLIED] = replied
        append = plan.messages.append
        t = start = plan.created
        first_agent = None
        pool: Sequence[str]
        agent_pool = AGENT_REPLIES if replied else AGENT_NUDGES
        for i, kind in enumerate(kinds):
            if i:
                t += 20 + int(r() * 580)
            if kind == CUSTOMER:
                if r() < HOSTILE_SHARE or self.hostile_left:
                    self.hostile_left = 0
                    body = HOSTILE[int(r() * len(HOSTILE))]
                else:
                    pool = CUSTOMER_OPENERS if i == 0 else CUSTOMER_FOLLOWUPS
                    if self.multiline_left:
                        self.multiline_left = 0
                        pool = self.multiline
                    body = pool[int(r() * len(pool))]
                    if "{" in body:
                        body = body.format(order=order)
                append((CUSTOMER, cust, body, store(t), True))
            else:
                assert owner is not None
                pool = AGENT_OPENERS if i == 0 else agent_pool
                body = pool[int(r() * len(pool))].format(first=first, agent=owner.name, order=order)
                append((AGENT, owner.name, body, store(t), True))
                if first_agent is None:
                    first_agent = t
        row[ROW_LAST] = store(t)
        plan.note_wait()  # the lines added after this are system lines: they change nothing
        if first_agent is not None:
            row[ROW_FIRST_AGENT] = store(first_agent)
        if owner is not None:
            if row[ROW_INITIATED] == BY_AGENT or first_agent is None:
                row[ROW_ASSIGNED] = store(start)
            else:
                row[ROW_ASSIGNED] = store(first_agent - 15)
        return t

    @staticmethod
    def _span(count: int) -> int:
        """The longest a transcript of ``count`` messages can take."""
        return max(0, count - 1) * 600

    def _queued(self, ch: Channel, status: SessionStatus) -> PlannedSession:
        r = self.r
        count = 1 + int(r() * 3)
        window = 2 * MINUTE if status is NEW else 45 * MINUTE
        start = self.now - self._span(count) - int(r() * window)
        plan = self._new(ch, status.value, None, BY_CUSTOMER, start, None, version=1)
        self._fill(plan, self._kinds(False, BY_CUSTOMER, count, True), None)
        return plan

    def _active(self, ch: Channel, agent: RosterAgent, agent_initiated: bool) -> PlannedSession:
        r = self.r
        units = self.units[ch.id]
        count = 1 + int(r() * 6)
        if agent_initiated:
            # R7: the customer has not answered yet; the timer is pending.
            kinds = self._kinds(True, BY_AGENT, count, False)
            latest = self.timer_due[ch.id] - 4 * HOUR
            start = self.now - self._span(len(kinds)) - 10 * MINUTE - int(r() * latest)
        else:
            kinds = self._kinds(True, BY_CUSTOMER, count, True)
            start = self.now - self._span(count) - int(r() * 3 * HOUR)
        initiated = BY_AGENT if agent_initiated else BY_CUSTOMER
        plan = self._new(
            ch, ACTIVE, agent, initiated, start, None, tab_open=True, held=units, version=2
        )
        plan.consumes, plan.owner = units, agent
        self._fill(plan, kinds, agent)
        if agent_initiated:  # the first message is the agent's, at creation
            plan.row[ROW_AUTO_END] = self.clock.store(start + self.timer_due[ch.id])
        return plan

    def _inactive(self, ch: Channel, agent: RosterAgent) -> PlannedSession:
        r = self.r
        count = 2 + int(r() * 5)
        start = self.now - self._span(count) - HOUR - int(r() * 19 * HOUR)
        plan = self._new(ch, INACTIVE, agent, BY_CUSTOMER, start, None, tab_open=True)
        plan.owner = agent
        last = self._fill(plan, self._kinds(True, BY_CUSTOMER, count, True), agent)
        at = self.clock.store(last + 10 * MINUTE)
        plan.messages.append((SYSTEM, "system", f"Marked inactive by {agent.name}", at, False))
        return plan

    def _ended_tab_open(self, ch: Channel, agent: RosterAgent) -> PlannedSession:
        r = self.r
        count = 2 + int(r() * 5)
        span = self._span(count) + 30 * MINUTE
        start = self.now - span - int(r() * 2 * HOUR)
        units = self.units[ch.id]
        plan = self._new(
            ch, ENDED, agent, BY_CUSTOMER, start, start + span, tab_open=True, held=units
        )
        plan.consumes, plan.owner = units, agent
        last = self._fill(plan, self._kinds(True, BY_CUSTOMER, count, True), agent)
        at = last + 30 + int(r() * 25 * MINUTE)
        self._finish(plan, self.actors[agent.id][0], _SURF_CONVERSATION, at, "")
        return plan

    def _ended(self, ch: Channel, kind: tuple[ActorKind, Surface]) -> PlannedSession:
        r = self.r
        actor_kind, surface = kind
        from_list = surface is _SURF_LIST or surface is _SURF_ROW
        if surface is _SURF_ROW and not ch.is_standard:
            ch = self.pick(self.standard)  # the row menu ends standard channels only (R3)
        workers = self.workers[ch.id]
        if (from_list and not self.enders) or (not from_list and not workers):
            actor_kind, surface, from_list = _KIND_TRIGGER, _SURF_TRIGGER, False

        owner: RosterAgent | None
        if actor_kind is _KIND_TRIGGER or from_list:
            owner = self.pick(workers) if workers and r() < 0.7 else None
        else:
            owner = self.pick(workers)
        history = int(r() * HISTORY_DAYS * DAY)
        count = 1 + int(r() * 6)

        if actor_kind is _KIND_TIMER:
            # R7: agent-initiated, never answered, ended by the sweep.
            kinds = self._kinds(True, BY_AGENT, count, False)
            total = self._span(2) + self.timer_due[ch.id] + self.timer_spread[ch.id]
            start = self.now - total - history
            plan = self._new(ch, ENDED, owner, BY_AGENT, start, start + total)
            self._fill(plan, kinds, owner)
            at = start + self.timer_due[ch.id] + int(r() * self.timer_spread[ch.id])
            self._finish(plan, TIMER_ACTOR, _SURF_TIMER, at, self.timer_reason[ch.id])
            return plan

        initiated = BY_AGENT if owner is not None and r() < 0.15 else BY_CUSTOMER
        kinds = self._kinds(owner is not None, initiated, count, True)
        span = self._span(len(kinds)) + 30 * MINUTE
        start = self.now - span - history
        plan = self._new(ch, ENDED, owner, initiated, start, start + span)
        last = self._fill(plan, kinds, owner)
        at = last + 30 + int(r() * 25 * MINUTE)

        reason = ""
        if actor_kind is _KIND_AGENT:
            who = owner if surface is _SURF_CONVERSATION else self.pick(self.enders)
            assert who is not None
            actor = self.actors[who.id][0]
        elif actor_kind is _KIND_LOGOUT:
            assert owner is not None
            actor = self.actors[owner.id][1]
        elif actor_kind is _KIND_MACRO:
            # R10: the owner ran a macro; its steps leave internal notes before the end.
            assert owner is not None
            name = ESCALATE if r() < 0.6 else RESOLVE
            actor = self.actors[owner.id][2 if name == ESCALATE else 3]
            reason = f"macro {name}"
            note = "Escalated to Tier 2" if name == ESCALATE else "Resolved"
            when = self.clock.store(at)
            who_ = owner.name
            plan.messages.append((SYSTEM, who_, f"Note by {who_}: {note}", when, False))
            if name == ESCALATE:
                plan.row[ROW_ESCALATED] = ESCALATE_QUEUE
                moved = f"Case transferred to {ESCALATE_QUEUE} by {who_}"
                plan.messages.append((SYSTEM, who_, moved, when, False))
        else:
            actor = TRIGGER_ACTOR
            reason = "event escalated"
            plan.row[ROW_ESCALATED] = ESCALATE_QUEUE
        self._finish(plan, actor, surface, at, reason)
        return plan

    def _finish(
        self, plan: PlannedSession, actor: Actor, surface: Surface, at: int, reason: str
    ) -> None:
        """R12: the end record and the transcript line; R9: sometimes a CSAT request."""
        when = plan.row[ROW_ENDED] = self.clock.store(at)
        kind, agent_id, by_agent, who = self.actor_facts(actor)
        plan.end = (kind, actor.name, agent_id, _VALUES[surface], reason, when, None)
        line = end_line(actor, self.clock.aware(at))
        plan.messages.append((SYSTEM, "system", line, when, True))
        if by_agent and self.r() < CSAT_SHARE:
            plan.csat = (when, who)

    def actor_facts(self, actor: Actor) -> tuple[str, int | None, bool, str]:
        """(kind, agent id, ended by an agent (R9), description) of an actor, cached."""
        found = self._actor_facts.get(id(actor))
        if found is None:
            by_agent = actor.kind in (_KIND_AGENT, _KIND_LOGOUT) or (
                actor.kind is _KIND_MACRO and actor.agent is not None
            )
            agent_id = actor.agent.id if actor.agent else None
            found = (actor.kind.value, agent_id, by_agent, actor.describe())
            self._actor_facts[id(actor)] = found
        return found
