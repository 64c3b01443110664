"""The living demo: customers who write, wait and go quiet, new work routed, R7 timers firing.

:class:`DemoWorld` plays the world around one agent (the person at the demo console) by
calling the same services every other caller uses -- it never writes SQL and never decides a
rule. Each :meth:`DemoWorld.tick` is one small step of life:

1. the R7 sweep ends agent-initiated sessions whose customer never replied and whose time is up;
2. each of the agent's sessions gets a *fate* the first time the world sees it: a chatty
   customer keeps writing, a quiet one never writes again (under status-based capacity the
   platform marks it Inactive after :attr:`Pace.quiet_after`; an unanswered agent-initiated
   session is left to its R7 timer);
3. now and then one chatty customer writes a line;
4. a colleague finishes one of their chats (end, then close the tab), so the queue moves;
5. now and then a new customer writes in on some channel;
6. on the first tick (:attr:`Pace.follow_up_at_start`) and now and then after, a follow-up the
   agent sent "yesterday" is planted, unanswered, with its R7 timer a minute or two from
   running out, so a timer visibly fires;
7. the router assigns queued work to whoever has room (the agent included).

Deterministic: the only sources are ``random.Random(seed)``, the ``now`` passed to
:meth:`tick` and the database (read through the services); the same seed, clock and database
give the same service calls and the same database. Pace: at most one customer line into the
agent's sessions per tick; new work reaches the agent only as fast as their capacity frees up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ..domain.channels import CHANNELS
from ..domain.channels import channel as channel_of
from ..domain.errors import ConsoleError
from ..domain.text import one_line
from ..domain.timers import auto_end_at
from ..domain.vocab import CapacityModel, Initiator, Presence, SessionStatus, Surface
from ..services import agents, channels, conversations, ending, listing, routing, timers
from ..services.context import Ctx
from ..services.views import EndOutcome, SessionRow
from .texts import FIRST_NAMES, LAST_NAMES

DEMO_AGENT = "dana"
#: Statuses in which a customer's next line would join an existing session.
LIVE = tuple(s.value for s in SessionStatus if s is not SessionStatus.ENDED)
OWNED = (SessionStatus.ACTIVE.value, SessionStatus.INACTIVE.value)
#: How many of the colleagues' Active sessions the world looks at to pick one to finish.
COLLEAGUE_WINDOW = 200
#: At most this many of the agent's sessions are looked at per tick.
AGENT_WINDOW = 100

OPENERS = (
    "Hi, my order {order} hasn't arrived yet.",
    "Hello? Is anyone there?",
    "I was charged twice for order {order}.",
    "How do I reset my password?",
    "My package says delivered but it isn't here.",
    "Can I change the delivery address for order {order}?",
    "The app keeps logging me out.",
    "I'd like to cancel my subscription.",
    "Do you ship to Portugal?",
    "The discount code SPRING25 doesn't work at checkout.",
    "Where is my refund? It's been two weeks.",
    "The item arrived damaged, the box was crushed.",
)
FOLLOW_UPS = (
    "It's order {order}.",
    "Yes, that's right.",
    "Still waiting...",
    "ok",
    "Can you hurry up please?",
    "Thanks, that helps!",
    "No, that didn't work either.",
    "I already tried that twice.",
    "Let me check, one sec.",
    "I paid by card, if that matters.",
    "Sorry, I was away. Are you still there?",
)
#: A chatty customer's last line; after it they go quiet.
CLOSINGS = (
    "Perfect, that's all. Have a nice day!",
    "Great, thank you so much!",
    "OK, I'll wait for the email then. Bye!",
)
#: What a customer says when answering a session the agent started.
ANSWERS = (
    "Oh hi! Yes, I got your message.",
    "Thanks for following up. It's sorted now.",
    "Hi, sorry for the late reply. Still need help with {order}.",
)
FOLLOW_UP_OPENERS = (
    "Hi {first}, following up on your return request: is everything sorted?",
    "Hello {first}, your replacement for order {order} has shipped. Any questions?",
    "Hi {first}, we noticed a problem with your last payment. Can you reply so we can help?",
)
#: Channels on which follow-ups are planted: standard ones, so R7's 24 h is exact.
FOLLOW_UP_CHANNELS = ("standard_sms", "standard_facebook_messenger")


class Fate(StrEnum):
    CHATTY = "chatty"  # keeps writing now and then
    QUIET = "quiet"  # never writes again
    REAL = "real"  # a person writing through a channel (demo --gateway): left alone


@dataclass(frozen=True)
class Pace:
    """How lively the world is, per tick (the console ticks it every few seconds)."""

    customer_writes: float = 0.45  # a chatty customer of the agent writes one line
    new_customer: float = 0.3  # a new customer writes in
    colleague_finishes: float = 0.3  # a colleague ends and closes one of their chats
    goes_quiet: float = 0.3  # share of customers who stop writing
    unanswered_stays_quiet: float = 0.7  # share of agent-initiated sessions never answered
    follow_up: float = 0.08  # a follow-up with a timer about to fire is planted
    follow_up_at_start: bool = True  # plant one on the first tick, so a timer fires early
    chatty_lines: tuple[int, int] = (3, 8)  # lines a chatty customer writes, the last a goodbye
    quiet_after: timedelta = timedelta(seconds=45)
    timer_due_in: tuple[int, int] = (60, 180)  # seconds, for planted follow-ups


@dataclass
class _Facts:
    """What one tick reads before it acts."""

    mine: list[SessionRow]
    has_room: bool
    online: bool


class DemoWorld:
    """The world around ``agent``; call :meth:`tick` every few seconds with the clock's time."""

    def __init__(
        self, ctx: Ctx, seed: int = 1, *, agent: str = DEMO_AGENT, pace: Pace | None = None
    ) -> None:
        self.ctx = ctx
        self.agent = agent
        self.pace = pace or Pace()
        self.rng = random.Random(seed)
        self.fates: dict[int, Fate] = {}
        self.lines_left: dict[int, int] = {}  # chatty customers: lines before their closing one
        self.last_line: dict[int, str] = {}
        self.seen_at: dict[int, datetime] = {}  # when the world first saw the agent's session
        self.planted: set[int] = set()
        self.ticks = 0

    # ------------------------------------------------------------------ one step of life

    async def tick(self, now: datetime) -> list[str]:
        """One step; returns what happened, one line per event (for logs and tests)."""
        self.ticks += 1
        lines: list[str] = []
        lines += await self._sweep(now)
        facts = await self._read(now)
        lines += await self._quiet_ones_go_inactive(facts, now)
        lines += await self._a_customer_writes(facts)
        lines += await self._a_colleague_finishes()
        lines += await self._a_new_customer_writes_in()
        lines += await self._plant_follow_up(facts, now)
        lines += await self._route()
        return lines

    async def _read(self, now: datetime) -> _Facts:
        page = await listing.list_sessions(
            self.ctx,
            listing.SessionFilter(owner=self.agent, statuses=OWNED),
            limit=AGENT_WINDOW,
            order="oldest",
        )
        real = await channels.came_through_channels(
            self.ctx, [r.id for r in page.rows if r.id not in self.fates]
        )
        for row in page.rows:  # oldest first: the draws happen in the same order every run
            if row.id in real:
                self.fates[row.id] = Fate.REAL
                self.seen_at.setdefault(row.id, now)
            elif row.id not in self.fates:
                self.seen_at[row.id] = now
                self.fates[row.id] = fate = self._draw_fate(row)
                if fate is Fate.CHATTY:
                    self.lines_left[row.id] = self.rng.randint(*self.pace.chatty_lines)
        me = await agents.get_agent(self.ctx, self.agent)
        online = me.logged_in and me.presence == Presence.ONLINE.value
        return _Facts(page.rows, me.used < me.capacity, online)

    def _draw_fate(self, row: SessionRow) -> Fate:
        if row.id in self.planted:
            return Fate.QUIET
        if row.initiated_by == Initiator.AGENT.value:
            share = self.pace.unanswered_stays_quiet
        else:
            share = self.pace.goes_quiet
        return Fate.QUIET if self.rng.random() < share else Fate.CHATTY

    async def _sweep(self, now: datetime) -> list[str]:
        ended = await timers.sweep(self.ctx, now=now)
        return [
            f"S-{r.session_id} ended by its R7 timer: the customer never replied"
            for r in ended
            if r.result is EndOutcome.ENDED
        ]

    async def _quiet_ones_go_inactive(self, facts: _Facts, now: datetime) -> list[str]:
        """Status-based: a quiet customer's session goes Inactive (one per tick)."""
        for row in facts.mine:
            if (
                row.status == SessionStatus.ACTIVE.value
                and row.initiated_by == Initiator.CUSTOMER.value  # R7 takes care of the others
                and row.capacity_model == CapacityModel.STATUS_BASED.value
                and self.fates.get(row.id) is Fate.QUIET
                and self._silent_since(row) <= now - self.pace.quiet_after
            ):
                try:
                    result = await conversations.mark_inactive(self.ctx, self.agent, row.id)
                except ConsoleError:
                    continue  # the agent got there first (ended it, went offline...)
                return [f"{row.label} went quiet: {result.status}, {result.note}"]
        return []

    def _silent_since(self, row: SessionRow) -> datetime:
        """Since when the session has been silent, as far as the agent could notice: a session
        just routed to the agent does not go Inactive at once for having waited in the queue."""
        seen = self.seen_at[row.id]
        last = row.last_message_at
        return seen if last is None else max(seen, last)

    async def _a_customer_writes(self, facts: _Facts) -> list[str]:
        if self.rng.random() >= self.pace.customer_writes:
            return []
        chatty = [
            row
            for row in facts.mine
            if row.status == SessionStatus.ACTIVE.value and self.fates.get(row.id) is Fate.CHATTY
        ]
        if not chatty:
            return []
        row = self.rng.choice(chatty)
        text = self._next_line(row)
        try:
            result = await conversations.inbound(self.ctx, row.customer, row.channel, text)
        except (ConsoleError, ValueError):
            return []
        where = f"S-{result.session_id}" + (" (new session)" if result.new_session else "")
        said = f"{one_line(row.customer, 40)} wrote in {where}: {one_line(text, 80)}"
        if self.fates.get(row.id) is Fate.QUIET:
            return [said, f"{row.label}: {one_line(row.customer, 40)} has gone quiet"]
        return [said]

    def _next_line(self, row: SessionRow) -> str:
        """The customer's next line: an answer first if the agent wrote first, never the same
        line twice in a row, and a closing line last (then the customer goes quiet)."""
        left = self.lines_left.get(row.id, 1) - 1
        self.lines_left[row.id] = left
        first = row.id not in self.last_line
        pool: tuple[str, ...]
        if left <= 0:
            self.fates[row.id] = Fate.QUIET
            pool = CLOSINGS
        elif first and row.initiated_by == Initiator.AGENT.value:
            pool = ANSWERS
        else:
            pool = tuple(t for t in FOLLOW_UPS if t != self.last_line.get(row.id))
        text = self._line(pool)
        self.last_line[row.id] = text
        return text

    async def _a_colleague_finishes(self) -> list[str]:
        if self.rng.random() >= self.pace.colleague_finishes:
            return []
        page = await listing.list_sessions(
            self.ctx,
            listing.SessionFilter(statuses=(SessionStatus.ACTIVE.value,)),
            limit=COLLEAGUE_WINDOW,
            order="oldest",
        )
        theirs = [r for r in page.rows if r.owner is not None and r.owner != self.agent]
        real = await channels.came_through_channels(self.ctx, [r.id for r in theirs])
        theirs = [r for r in theirs if r.id not in real]
        if not theirs:
            return []
        row = self.rng.choice(theirs)
        assert row.owner is not None
        try:
            result = await ending.end_session(self.ctx, row.owner, row.id, Surface.CONVERSATION)
        except ConsoleError:
            return []
        if result.result is not EndOutcome.ENDED:
            return [f"{row.owner} could not end {row.label}: {result.reason}"]
        lines = [f"{row.owner} ended {row.label}"]
        try:
            closed = await conversations.close_tab(self.ctx, row.owner, row.id)
        except ConsoleError:
            return lines
        lines.append(f"{row.owner} closed the tab of {row.label} ({closed.units_freed} freed)")
        return lines

    async def _a_new_customer_writes_in(self) -> list[str]:
        if self.rng.random() >= self.pace.new_customer:
            return []
        channel = self.rng.choice(CHANNELS)
        name = await self._fresh_customer()
        text = self._line(OPENERS)
        result = await conversations.inbound(self.ctx, name, channel.id, text)
        return [f"{name} wrote in on {channel.name} (S-{result.session_id}): {text}"]

    async def _route(self) -> list[str]:
        routed = await routing.route(self.ctx)
        return [f"S-{a.session_id} routed to {a.agent}" for a in routed]

    async def _plant_follow_up(self, facts: _Facts, now: datetime) -> list[str]:
        """A follow-up the agent sent yesterday, still unanswered: its R7 timer fires soon."""
        roll = self.rng.random()
        first = self.ticks == 1 and self.pace.follow_up_at_start
        if not first and roll >= self.pace.follow_up:
            return []
        pending = any(row.id in self.planted for row in facts.mine)  # one countdown at a time
        if pending or not facts.online or not facts.has_room:
            return []
        channel = channel_of(self.rng.choice(FOLLOW_UP_CHANNELS))
        due_in = timedelta(seconds=self.rng.randint(*self.pace.timer_due_in))
        window = auto_end_at(channel, now) - now
        sent = now - window + due_in
        name = await self._fresh_customer()
        text = self._line(FOLLOW_UP_OPENERS, first=name.split()[0])
        yesterday = Ctx(db=self.ctx.db, clock=lambda: sent)
        try:
            result = await conversations.outbound(yesterday, self.agent, name, channel.id, text)
        except ConsoleError:
            return []
        self.planted.add(result.session_id)
        self.fates[result.session_id] = Fate.QUIET
        self.seen_at[result.session_id] = now
        seconds = int(due_in.total_seconds())
        return [
            f"S-{result.session_id}: {self.agent}'s follow-up to {name} from yesterday is "
            f"unanswered; its R7 timer runs out in {seconds} s"
        ]

    # ------------------------------------------------------------------ helpers

    def _line(self, pool: tuple[str, ...], *, first: str = "") -> str:
        order = f"#{100000 + self.rng.randrange(900000)}"
        return self.rng.choice(pool).format(order=order, first=first)

    async def _fresh_customer(self) -> str:
        """A name with no live session anywhere, so the world never joins (or wakes up) an
        ongoing conversation by accident."""
        for attempt in range(20):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            if attempt >= 10:
                name += f" {attempt}"
            flt = listing.SessionFilter(customer=name, statuses=LIVE)
            if await listing.count_sessions(self.ctx, flt) == 0:
                return name
        return f"Demo customer {self.ticks}"
