"""Realistic demo and benchmark data: agents, customers, and sessions in every state.

:func:`seed` plans everything in Python first (deterministic for a given ``seed``: one
``random.Random`` and times derived from ``ctx.now()``), then writes it in chunked
transactions, one executemany per table per chunk. Each chunk holds whole sessions -- the
session, its new customers, its transcript, its end record, its CSAT request and the capacity
it takes from its owner -- so every committed chunk leaves
:func:`agent_console.services.check.check` clean.

Speed (100,000 sessions, ~600,000 rows, in about 10 s on SQLite): rows are planned directly
in the driver's form (times as SQLAlchemy's SQLite text, or naive UTC datetimes for asyncpg)
and sent with ``exec_driver_sql`` -- SQLAlchemy's per-row parameter processing of a Core
``insert()`` executemany was a third of the run. The planner runs with the cyclic GC off.

Session ids (and customer ids) are explicit and reserved per chunk: on SQLite ``max(id) + 1``
under the chunk's write lock, on PostgreSQL ``nextval`` of the column's sequence (so the
sequence is advanced past them and concurrent writers never collide with them).

What the data covers: every channel, every status (New, Waiting, Active, Inactive only under
status-based capacity, Ended), both capacity models (a few channels are set to status-based in
the settings rows unless an admin already chose), ends by every actor kind from every surface
with the R12 transcript line, CSAT requests (R9), Ended sessions whose tab is still open (R2),
agent-initiated sessions whose R7 timer is pending, multi-line and hostile messages (escape
sequences, Rich markup) stored as-is.
"""

from __future__ import annotations

import gc
import random
import time
from bisect import bisect_right
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import CHANNELS, Channel
from ..domain.ending import Actor, conversation_permissions, end_line
from ..domain.ending import Agent as AgentFacts
from ..domain.errors import Refused, StoreError
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
from ..store import queries as q
from ..store.models import (
    Agent,
    CsatRequest,
    Customer,
    EndRecord,
    Message,
    QuickReply,
    Session,
    Setting,
)
from ..store.search import indexing_in_bulk
from .automation import END_WHEN_ESCALATED, ESCALATE
from .context import Ctx

Progress = Callable[[int, int], None]

#: Sessions written per transaction (about 7 rows each with their transcripts).
CHUNK = 5000
#: SQLite page cache while seeding, in KiB (negative: a size, not a page count).
SEED_CACHE_KIB = -65536
SEED_BY = "seed"
P = Permission
S = SessionStatus
ALL_PERMS = frozenset(Permission)

#: Channels the seed sets to status-based capacity (unless a setting already exists).
STATUS_BASED_CHANNELS = (
    "enhanced_web_chat_v2",
    "enhanced_whatsapp",
    "enhanced_line",
    "standard_sms",
)
#: Channels whose sessions the seed makes heavier (unless a setting already exists).
HEAVY_CHANNELS = {"byoc": 2}

AGENT_NAMES = (
    "dana", "amir", "bea", "chen", "eli", "farah", "gus", "hana", "ivan", "jo", "kofi",
    "lena", "mateo", "nia", "omar", "priya", "quinn", "rosa", "sami", "tomas", "uma", "vik",
    "wen", "xia", "yusuf", "zoe",
)  # fmt: skip

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

FIRST_NAMES = (
    "Ana", "Ben", "Carla", "Dmitri", "Efua", "Finn", "Grace", "Hiro", "Ines", "Jamal", "Kira",
    "Luis", "Maya", "Noah", "Olu", "Paula", "Quang", "Rafael", "Sofia", "Tariq", "Ursula",
    "Victor", "Wanjiru", "Xavier", "Yara", "Zeynep", "Aiko", "Bruno", "Chloé", "Diego",
    "Elif", "Farid", "Giulia", "Hassan", "Ingrid", "Jonas", "Kwame", "Leila", "Mateus",
    "Nadia", "Oscar", "Priyanka", "Rhys", "Saanvi", "Théo", "Uchenna", "Valentina",
    "William", "Ximena", "Yusuf", "Zoë", "Amara", "Björn", "Camille", "Dara", "Emeka",
    "Fatima", "Gustavo", "Hana", "Ivo",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Okafor", "Nguyen", "Müller", "Kowalski", "Haddad", "Tanaka", "García", "Smith",
    "Ivanova", "Mensah", "O'Brien", "Rossi", "Dubois", "Jensen", "Kim", "Patel", "Cohen",
    "Yilmaz", "Novak", "Andersson", "Costa", "Fernández", "Ahmed", "Murphy", "Schmidt",
    "Santos", "Lopez", "Chen", "Wright", "Abebe", "Bakker", "Castillo", "Dimitrov", "Evans",
    "Fischer", "Gonzaga", "Horvat", "Ito", "Jovanović", "Kariuki", "Lindqvist", "Moreau",
    "Nakamura", "Olsen", "Popescu", "Quispe", "Reyes", "Sato", "Toure", "Ueda", "Vargas",
    "Weber", "Xu", "Yamamoto", "Zhang", "Achebe", "Bauer", "Cruz", "Da Silva",
)  # fmt: skip

CUSTOMER_OPENERS = (
    "Hi, my order hasn't arrived yet.",
    "Hello? Is anyone there?",
    "I was charged twice for order {order}.",
    "How do I reset my password?",
    "My package says delivered but it isn't here.",
    "Can I change the delivery address for order {order}?",
    "The app keeps logging me out.",
    "I'd like to cancel my subscription.",
    "Do you ship to Portugal?",
    "The discount code SPRING25 doesn't work at checkout.",
    "Hi!\nI ordered a blue jacket (order {order})\nbut I got a green one.",
    "Where is my refund? It's been two weeks.",
    "Can I talk to a human please",
    "The item arrived damaged, the box was crushed.",
    "hello i need help with my account",
    "Is the store on Main Street open on Sunday?",
)
CUSTOMER_FOLLOWUPS = (
    "Thanks!",
    "It's order {order}.",
    "Yes, that's right.",
    "Still waiting...",
    "ok",
    "Can you hurry up please?",
    "Great, thank you so much 🙏",
    "No, that didn't work either.",
    "I already tried that twice.",
    "Here are the details:\n- order {order}\n- paid by card\n- delivered to my office",
    "Perfect, that's all. Have a nice day!",
    "Sorry, I was away. Are you still there?",
    "👍",
)
AGENT_REPLIES = (
    "Hi {first}, thanks for reaching out! Let me check that for you.",
    "Could you share your order number?",
    "I've issued a refund; it can take 3-5 business days to show up.",
    "Done! Is there anything else I can help with?",
    "I'm sorry about that.\nI've raised it with our shipping team.\nYou'll hear from us soon.",
    "Thanks {first}, one moment please.",
    "I can see order {order} here. It left our warehouse yesterday.",
    "I've sent a password reset link to the email on file.",
    "Your subscription is cancelled; you keep access until the end of the month.",
    "Let me transfer you to the right team.",
)
AGENT_OPENERS = (
    "Hi {first}, this is {agent} from support about your order {order}.",
    "Hello {first}, your replacement has shipped. Reply here if you have any questions.",
    "Hi {first}, we noticed a problem with your last payment. Can you reply so we can help?",
    "Hi {first}, following up on your return request: is everything sorted?",
)
AGENT_NUDGES = (
    "Just checking in, {first}: are you still there?",
    "Hi again {first}, let us know if you still need help.",
)
#: Customer text the console must never interpret (stored exactly as written).
HOSTILE = (
    "[bold]URGENT[/bold] refund me now",
    "[/]",
    "[@click=app.quit]x[/]",
    "\x1b[31mred alert\x1b[0m please help",
    "\x1b]8;;http://example.invalid\x07click me\x1b]8;;\x07",
    "normal text \u202eesrever\u202c end",
    "[link=http://example.invalid]you won a prize[/link] and [/bold] unbalanced",
    "bell\x07 backspace\x08 del\x7f and a \x1b[2J clear screen",
    "[@click=app.quit]x[/]\n[bold]two lines[/] of markup\x1b[0m",
)

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
HISTORY_DAYS = 30

# Times are planned as whole seconds since the epoch (plus the clock's microseconds).
MINUTE = 60
HOUR = 3600
DAY = 86400
EPOCH = datetime(1970, 1, 1)
EPOCH_UTC = EPOCH.replace(tzinfo=UTC)

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

# The rows the writer sends, column by column (names as in store/models.py).
SESSION_COLUMNS = (
    "id", "customer_id", "channel", "status", "owner_id", "initiated_by", "capacity_model",
    "units", "units_held", "tab_open", "created_at", "assigned_at", "last_message_at",
    "first_agent_message_at", "customer_replied", "auto_end_at", "escalated_to", "ended_at",
    "version",
)  # fmt: skip
(
    _ID, _CUSTOMER, _CHANNEL, _STATUS, _OWNER, _INITIATED, _MODEL, _UNITS, _HELD, _TAB,
    _CREATED, _ASSIGNED, _LAST, _FIRST_AGENT, _REPLIED, _AUTO_END, _ESCALATED, _ENDED,
    _VERSION,
) = range(len(SESSION_COLUMNS))  # fmt: skip
MESSAGE_COLUMNS = (
    "session_id", "author_kind", "author", "text", "created_at", "visible_to_customer",
)  # fmt: skip
END_COLUMNS = (
    "session_id", "actor_kind", "actor", "agent_id", "surface", "reason", "at", "bulk_id",
)  # fmt: skip
CSAT_COLUMNS = ("session_id", "customer_id", "requested_at", "requested_by")
CUSTOMER_COLUMNS = ("id", "name", "created_at")


@dataclass(frozen=True)
class SeedReport:
    agents: int
    sessions: int
    messages: int
    seconds: float


@dataclass
class _Agent:
    id: int
    name: str
    capacity: int
    used: int
    perms: frozenset[Permission]
    presence: str
    logged_in: bool
    facts: AgentFacts

    def can_work(self, ch: Channel) -> bool:
        return all(p in self.perms for p in conversation_permissions(ch))


class _Plan:
    """One session as driver-ready rows; ids are filled in when its chunk is written.

    ``row`` follows SESSION_COLUMNS (times already in the driver's form); messages, the end
    record and the CSAT request are stored without the session id. ``created`` is the
    creation time in planned seconds (the sort key).
    """

    __slots__ = ("consumes", "created", "csat", "customer", "end", "messages", "owner", "row")

    def __init__(self, customer: int, created: int, row: list[Any]) -> None:
        self.customer = customer
        self.created = created
        self.row = row
        self.messages: list[tuple[Any, ...]] = []  # MESSAGE_COLUMNS without session_id
        self.end: tuple[Any, ...] | None = None  # END_COLUMNS without session_id
        self.csat: tuple[Any, ...] | None = None  # (requested_at, requested_by)
        self.consumes = 0  # units taken from the owner
        self.owner: _Agent | None = None


class _Clock:
    """Planned seconds to what the driver stores for a UTC column (see store/types.py):
    SQLite keeps SQLAlchemy's text form ``YYYY-MM-DD HH:MM:SS.ffffff``, PostgreSQL a naive
    UTC datetime. Every planned time keeps the microseconds of ``now``."""

    def __init__(self, now: datetime, dialect: str) -> None:
        since = now - EPOCH_UTC
        self.now = int(since.total_seconds() // 1)
        self.micro = since.microseconds
        self.sqlite = dialect == "sqlite"
        self._suffix = f".{self.micro:06d}"
        self._hms = [
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        ]

        self.store: Callable[[int | None], Any] = (
            self._text_store() if self.sqlite else self._datetime_store()
        )

    def _text_store(self) -> Callable[[int | None], Any]:
        dates: dict[int, str] = {}
        hms, suffix = self._hms, self._suffix

        def store(t: int | None) -> Any:
            if t is None:
                return None
            day, sod = divmod(t, DAY)
            date = dates.get(day)
            if date is None:
                date = dates[day] = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
            return date + hms[sod] + suffix

        return store

    def _datetime_store(self) -> Callable[[int | None], Any]:
        micro = self.micro

        def store(t: int | None) -> Any:
            return None if t is None else EPOCH + timedelta(seconds=t, microseconds=micro)

        return store

    def aware(self, t: int) -> datetime:
        return EPOCH_UTC + timedelta(seconds=t, microseconds=self.micro)


async def seed(
    ctx: Ctx,
    *,
    agents: int = 8,
    sessions: int = 300,
    seed: int = 1,
    progress: Progress | None = None,
    live: float = 0.2,
    chunk: int = CHUNK,
) -> SeedReport:
    """Add ``agents`` agents (reused when the name exists) and ``sessions`` sessions.

    ``live`` is the share of sessions that are not Ended: the ones owned by agents are bounded
    by the agents' free capacity, the rest wait in the queue (New or Waiting). ``progress`` is
    called with (sessions written, sessions to write) after every committed chunk.
    """
    if agents < 1:
        raise ValueError("seed needs at least one agent (dana)")
    if sessions < 0:
        raise ValueError(f"sessions must be zero or more, got {sessions}")
    if not 0.0 <= live <= 1.0:
        raise ValueError(f"live must be between 0 and 1, got {live}")
    started = time.perf_counter()
    rng = random.Random(seed)
    now = ctx.now()

    async with ctx.db.write() as conn:
        await _ensure_settings(conn, now)
        await _ensure_quick_replies(conn, now)
        policy = await q.load_policy(conn)
        roster = await _ensure_agents(conn, rng, agents, now)
        taken = set((await conn.scalars(select(Customer.name))).all())

    clock = _Clock(now, ctx.db.dialect)
    planner = _Planner(rng, clock, roster, policy, taken)
    plans = _without_gc(lambda: planner.plan(sessions, live))
    written = 0
    customer_ids: dict[int, int] = {}
    size = max(1, chunk)
    gc.freeze()  # the plans live until the end: the collector need not rescan them
    try:
        for start in range(0, len(plans), size):
            part = plans[start : start + size]
            async with ctx.db.write() as conn, _big_cache(conn):
                written += await _write_chunk(conn, part, planner, customer_ids, now)
            if progress is not None:
                progress(start + len(part), len(plans))
    finally:
        gc.unfreeze()
    return SeedReport(
        agents=len(roster),
        sessions=len(plans),
        messages=written,
        seconds=time.perf_counter() - started,
    )


@asynccontextmanager
async def _big_cache(conn: AsyncConnection) -> AsyncIterator[None]:
    """SQLite: a 64 MB page cache while a chunk is written (the default 2 MB makes the six
    session indexes spill and re-read pages), then the connection's usual size again."""
    if conn.dialect.name != "sqlite":
        yield
        return
    usual = await conn.exec_driver_sql("PRAGMA cache_size")
    size = int(usual.scalar_one())
    await conn.exec_driver_sql(f"PRAGMA cache_size = {SEED_CACHE_KIB}")
    try:
        yield
    finally:
        await conn.exec_driver_sql(f"PRAGMA cache_size = {size}")


def _without_gc(build: Callable[[], list[_Plan]]) -> list[_Plan]:
    """Build the plan with the cyclic collector off: hundreds of thousands of small lists and
    tuples, no cycles, and a collector that would otherwise rescan them again and again."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        return build()
    finally:
        if was_on:
            gc.enable()


# -- setup: settings and agents ---------------------------------------------------------------


async def _ensure_settings(conn: AsyncConnection, now: datetime) -> None:
    """Both capacity models in use: a few channels status-based, unless an admin chose."""
    have = set((await conn.scalars(select(Setting.key))).all())
    wanted = [(f"channel.{cid}.capacity_model", STATUS_BASED) for cid in STATUS_BASED_CHANNELS] + [
        (f"channel.{cid}.units", str(n)) for cid, n in HEAVY_CHANNELS.items()
    ]
    rows = [
        {"key": k, "value": v, "updated_at": now, "updated_by": SEED_BY}
        for k, v in wanted
        if k not in have
    ]
    if rows:
        await conn.execute(insert(Setting), rows)
        await q.record_changes(conn, now, "settings", [(None, None)])


#: The demo's quick replies (name, template); placeholders: domain/quick_replies.py.
QUICK_REPLIES = (
    ("Greeting", "Hi {customer}, I'm {agent}. How can I help you today?"),
    ("Checking", "Thanks {customer}, let me check that for you. It takes a minute or two."),
    ("Tracking link", "You can follow your parcel here: https://example.com/track"),
    ("Still there?", "Hi {customer}, are you still there? This chat on {channel} stays open."),
    ("Goodbye", "Thanks for contacting us, {customer}. Have a nice day! {agent}"),
)


async def _ensure_quick_replies(conn: AsyncConnection, now: datetime) -> None:
    """A few quick replies to pick from (f4), unless one with the name is there already."""
    have = set((await conn.scalars(select(QuickReply.name))).all())
    rows = [
        {"name": n, "text": t, "created_at": now, "updated_at": now, "updated_by": SEED_BY}
        for n, t in QUICK_REPLIES
        if n not in have
    ]
    if rows:
        await conn.execute(insert(QuickReply), rows)


def _agent_names(count: int) -> list[str]:
    names: list[str] = []
    round_ = 1
    while len(names) < count:
        for base in AGENT_NAMES:
            names.append(base if round_ == 1 else f"{base} {round_}")
            if len(names) == count:
                break
        round_ += 1
    return names


async def _ensure_agents(
    conn: AsyncConnection, rng: random.Random, count: int, now: datetime
) -> list[_Agent]:
    """The roster: existing agents are reused as they are, missing ones are created."""
    names = _agent_names(count)
    wanted = set(names)
    existing = {r.name: r for r in (await conn.execute(select(Agent))).all() if r.name in wanted}
    roster: list[_Agent] = []
    created: list[int] = []
    for i, name in enumerate(names):
        # The same draws whether or not the agent exists, so the rest of the plan is stable.
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
        row = existing.get(name)
        if row is None:
            agent_id = int(
                (
                    await conn.execute(
                        insert(Agent)
                        .values(
                            name=name,
                            capacity=capacity,
                            used_units=0,
                            permissions=q.format_permissions(perms),
                            is_admin=i == 0,
                            presence=presence.value,
                            logged_in=logged_in,
                            created_at=joined,
                            presence_since=now,
                        )
                        .returning(Agent.id)
                    )
                ).scalar_one()
            )
            created.append(agent_id)
            facts = AgentFacts(agent_id, name, perms, i == 0)
            roster.append(
                _Agent(agent_id, name, capacity, 0, perms, presence.value, logged_in, facts)
            )
        else:
            have = q.parse_permissions(row.permissions)
            facts = AgentFacts(row.id, row.name, have, bool(row.is_admin))
            roster.append(
                _Agent(
                    row.id,
                    row.name,
                    row.capacity,
                    row.used_units,
                    have,
                    row.presence,
                    bool(row.logged_in),
                    facts,
                )
            )
    if created:
        await q.record_changes(conn, now, "agent", [(None, a) for a in created])
    return roster


# -- planning ---------------------------------------------------------------------------------


class _Planner:
    """Plans every session in memory; only ``rng`` decides, so a seed is reproducible."""

    def __init__(
        self,
        rng: random.Random,
        clock: _Clock,
        roster: list[_Agent],
        policy: Policy,
        taken: set[str],
    ) -> None:
        self.rng = rng
        self.r = rng.random
        self.clock = clock
        self.now = clock.now
        self.roster = roster
        self.taken = taken
        self.customers: list[str] = []
        self.firsts: list[str] = []
        self.orders: list[str] = []
        self.live_pairs: dict[tuple[int, str], int] = {}
        self.ended_until: dict[tuple[int, str], int] = {}
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
        self.pool_size = 1

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.r() * len(seq))]

    # customers

    def _new_customer(self) -> int:
        first, last = self.pick(FIRST_NAMES), self.pick(LAST_NAMES)
        name = f"{first} {last}"
        if name in self.taken:
            base = f"{first} {self.pick('ABCDEFGHJKLMNPRSTVW')}. {last}"
            name, n = base, 2
            while name in self.taken:
                name = f"{base} ({n})"
                n += 1
        self.taken.add(name)
        self.customers.append(name)
        self.firsts.append(first)
        self.orders.append(f"#{100000 + int(self.r() * 900000)}")
        return len(self.customers) - 1

    def _customer(self, channel_id: str, start: int, end: int | None) -> int:
        """A customer for a session on the channel from ``start`` to ``end`` (None: live).

        At most one live session per customer and channel, and no session of theirs on that
        channel overlaps a live one (an ended session is never reopened).
        """
        idx = -1
        if len(self.customers) >= self.pool_size:
            for _ in range(3):
                pick = int(self.r() * len(self.customers))
                key = (pick, channel_id)
                live_since = self.live_pairs.get(key)
                if end is None:
                    ok = live_since is None and self.ended_until.get(key, start) <= start
                else:
                    ok = live_since is None or end < live_since
                if ok:
                    idx = pick
                    break
        if idx < 0:
            idx = self._new_customer()
        key = (idx, channel_id)
        if end is None:
            self.live_pairs[key] = start
        elif end > self.ended_until.get(key, 0):
            self.ended_until[key] = end
        return idx

    # the whole plan

    def plan(self, sessions: int, live: float) -> list[_Plan]:
        r = self.r
        self.pool_size = max(1, sessions // 3)
        n_live = round(sessions * live)
        plans: list[_Plan] = []

        # 1. Work agents own right now, within their free capacity.
        tab_open_budget = max(1, sessions // 100) if sessions >= 10 else 0
        plans.extend(self._owned(min(int(n_live * 0.6), sessions), tab_open_budget))
        plans = plans[:sessions]
        owned_live = sum(1 for p in plans if p.row[_STATUS] != ENDED)

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

        plans.sort(key=_created)  # ids follow creation time, as they would have
        return plans

    def _owned(self, budget: int, tab_open_budget: int) -> list[_Plan]:
        """Active work, Ended-with-open-tab (R2) and Inactive work of the logged-in agents.

        Consuming sessions never exceed an agent's free capacity. Dana's first session is
        agent-initiated with its R7 timer pending, her second an Ended one whose tab is open.
        """
        rng, r = self.rng, self.r
        out: list[_Plan] = []
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
        owner: _Agent | None,
        initiated: str,
        start: int,
        end: int | None,
        *,
        tab_open: bool = False,
        held: int = 0,
        version: int = 3,
    ) -> _Plan:
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
        ]
        return _Plan(self._customer(ch.id, start, end), start, row)

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

    def _fill(self, plan: _Plan, kinds: list[str], owner: _Agent | None) -> int:
        """The transcript, from the session's creation; returns the last message's time."""
        r, store = self.r, self.clock.store
        row = plan.row
        idx = plan.customer
        cust, first, order = self.customers[idx], self.firsts[idx], self.orders[idx]
        replied = CUSTOMER in kinds
        row[_REPLIED] = replied
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
        row[_LAST] = store(t)
        if first_agent is not None:
            row[_FIRST_AGENT] = store(first_agent)
        if owner is not None:
            if row[_INITIATED] == BY_AGENT or first_agent is None:
                row[_ASSIGNED] = store(start)
            else:
                row[_ASSIGNED] = store(first_agent - 15)
        return t

    @staticmethod
    def _span(count: int) -> int:
        """The longest a transcript of ``count`` messages can take."""
        return max(0, count - 1) * 600

    def _queued(self, ch: Channel, status: SessionStatus) -> _Plan:
        r = self.r
        count = 1 + int(r() * 3)
        window = 2 * MINUTE if status is NEW else 45 * MINUTE
        start = self.now - self._span(count) - int(r() * window)
        plan = self._new(ch, status.value, None, BY_CUSTOMER, start, None, version=1)
        self._fill(plan, self._kinds(False, BY_CUSTOMER, count, True), None)
        return plan

    def _active(self, ch: Channel, agent: _Agent, agent_initiated: bool) -> _Plan:
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
            plan.row[_AUTO_END] = self.clock.store(start + self.timer_due[ch.id])
        return plan

    def _inactive(self, ch: Channel, agent: _Agent) -> _Plan:
        r = self.r
        count = 2 + int(r() * 5)
        start = self.now - self._span(count) - HOUR - int(r() * 19 * HOUR)
        plan = self._new(ch, INACTIVE, agent, BY_CUSTOMER, start, None, tab_open=True)
        plan.owner = agent
        last = self._fill(plan, self._kinds(True, BY_CUSTOMER, count, True), agent)
        at = self.clock.store(last + 10 * MINUTE)
        plan.messages.append((SYSTEM, "system", f"Marked inactive by {agent.name}", at, False))
        return plan

    def _ended_tab_open(self, ch: Channel, agent: _Agent) -> _Plan:
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

    def _ended(self, ch: Channel, kind: tuple[ActorKind, Surface]) -> _Plan:
        r = self.r
        actor_kind, surface = kind
        from_list = surface is _SURF_LIST or surface is _SURF_ROW
        if surface is _SURF_ROW and not ch.is_standard:
            ch = self.pick(self.standard)  # the row menu ends standard channels only (R3)
        workers = self.workers[ch.id]
        if (from_list and not self.enders) or (not from_list and not workers):
            actor_kind, surface, from_list = _KIND_TRIGGER, _SURF_TRIGGER, False

        owner: _Agent | None
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
                plan.row[_ESCALATED] = ESCALATE_QUEUE
                moved = f"Case transferred to {ESCALATE_QUEUE} by {who_}"
                plan.messages.append((SYSTEM, who_, moved, when, False))
        else:
            actor = TRIGGER_ACTOR
            reason = "event escalated"
            plan.row[_ESCALATED] = ESCALATE_QUEUE
        self._finish(plan, actor, surface, at, reason)
        return plan

    def _finish(self, plan: _Plan, actor: Actor, surface: Surface, at: int, reason: str) -> None:
        """R12: the end record and the transcript line; R9: sometimes a CSAT request."""
        when = plan.row[_ENDED] = self.clock.store(at)
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


def _created(plan: _Plan) -> int:
    return plan.created


# -- writing ----------------------------------------------------------------------------------


def _insert_sql(conn: AsyncConnection, table: str, columns: Sequence[str]) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        marks = ", ".join("?" for _ in columns)
    elif style == "numeric_dollar":
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    else:
        raise StoreError(f"seeding does not support the {style} parameter style")
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


async def _reserve_ids(conn: AsyncConnection, table: str, count: int) -> list[int]:
    """``count`` fresh ids for ``table``.

    SQLite: ``max(id) + 1`` onwards, safe under the chunk's write lock. PostgreSQL: ``nextval``
    of the column's sequence, so the sequence moves past them and writers running at the same
    time (which take ids from the sequence) can never collide with these explicit ids.
    """
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = await conn.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return sorted(int(r[0]) for r in rows)
    base = int(await conn.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) or 0)
    return list(range(base + 1, base + 1 + count))


async def _write_chunk(
    conn: AsyncConnection,
    part: list[_Plan],
    planner: _Planner,
    customer_ids: dict[int, int],
    now: datetime,
) -> int:
    """Write whole sessions: customers, sessions, transcripts, ends, CSAT, capacity."""
    store = planner.clock.store
    new = list(dict.fromkeys(p.customer for p in part if p.customer not in customer_ids))
    if new:
        first_seen: dict[int, int] = {}
        for p in part:
            first_seen.setdefault(p.customer, p.created)
        ids = await _reserve_ids(conn, "customers", len(new))
        customers = []
        for idx, cid in zip(new, ids, strict=True):
            customer_ids[idx] = cid
            customers.append((cid, planner.customers[idx], store(first_seen[idx])))
        async with indexing_in_bulk(conn, "customers"):
            await conn.exec_driver_sql(_insert_sql(conn, "customers", CUSTOMER_COLUMNS), customers)

    sids = await _reserve_ids(conn, "sessions", len(part))
    sessions: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    ends: list[tuple[Any, ...]] = []
    csat: list[tuple[Any, ...]] = []
    used: dict[int, int] = {}
    for p, sid in zip(part, sids, strict=True):
        row = p.row
        cid = customer_ids[p.customer]
        row[_ID], row[_CUSTOMER] = sid, cid
        sessions.append(tuple(row))
        messages.extend([(sid, *m) for m in p.messages])
        if p.end is not None:
            ends.append((sid, *p.end))
            if p.csat is not None:
                csat.append((sid, cid, *p.csat))
        if p.consumes and p.owner is not None:
            used[p.owner.id] = used.get(p.owner.id, 0) + p.consumes

    for agent_id, units in used.items():
        result = await conn.execute(
            update(Agent)
            .where(Agent.id == agent_id, Agent.used_units + units <= Agent.capacity)
            .values(used_units=Agent.used_units + units)
        )
        if result.rowcount != 1:
            raise Refused(
                f"agent {agent_id}'s capacity changed while seeding; this chunk was not written"
            )
    await conn.exec_driver_sql(_insert_sql(conn, "sessions", SESSION_COLUMNS), sessions)
    if messages:
        async with indexing_in_bulk(conn, "messages"):
            await conn.exec_driver_sql(_insert_sql(conn, "messages", MESSAGE_COLUMNS), messages)
    if ends:
        await conn.exec_driver_sql(_insert_sql(conn, "end_records", END_COLUMNS), ends)
    if csat:
        await conn.exec_driver_sql(_insert_sql(conn, "csat_requests", CSAT_COLUMNS), csat)
    await q.record_changes(conn, now, "seed", [(None, None)])
    return len(messages)


async def count_rows(ctx: Ctx) -> dict[str, int]:
    """Row counts of the tables a seed fills (for reports and benchmarks)."""
    out: dict[str, int] = {}
    async with ctx.db.read() as conn:
        for table in (Agent, Customer, Session, Message, EndRecord, CsatRequest):
            out[table.__tablename__] = int(
                await conn.scalar(select(func.count()).select_from(table)) or 0
            )
    return out


__all__ = ["SeedReport", "count_rows", "seed"]
