"""A floor of N agents on one PostgreSQL: the consoles' own refresh code under traffic.

    .venv/bin/python bench/floor.py [--consoles 1000] [--messages-per-second 100]
                                    [--seconds 60] [--poll 0.25] [--processes 2]
                                    [--pulse-every 0.2] [--pulse-wakeups 2000]
                                    [--url URL] [--out F]

Starts a throw-away PostgreSQL (``scripts/pg_throwaway.py``, ``max_connections`` raised to
fit) unless ``--url`` is given and adds N agents (Online, capacity 5), in mid-shift: a
customer per agent has written, and routing has given each agent one of those sessions (so
each console opens on a conversation, as one open for a while would be). Then, in
``--processes`` processes, N simulated consoles: each is the console's own backend
(``tui/backend.py`` ``ConsoleBackend``: its own engine and pool, its change feed) running the
console screen's refresh loop without Textual -- poll the feed every ``--poll`` seconds for
what concerns it (its agent, its open session) and, when something does, take a snapshot.
One more process is the traffic: customers starting sessions and writing in them, routing,
agents answering and ending, through the services, at ``--messages-per-second``; and a
supervisor's board (``services/floor.py``, as the board screen reads it) once a second.
The traffic process also runs the pulse sender, as the gateway does (``--pulse-every``
seconds between pulses at least, longer when a pulse would wake more than ``--pulse-wakeups``
listening backends a second; ``--pulse-every 0``: no sender, and every console's poll reads
the feed). ``pulse_pace_s`` is the sender's pace when the window closed.

It says on stderr what it is doing (``floor: HH:MM:SS ...``; the window opens a warm-up after
"traffic on") and prints one JSON object:
- ``commit_to_console_s``: from a customer's line being written to the first snapshot of the
  owning console that shows it (p50/p99/max). Each console looks at the newest customer line
  of each of its sessions (``needs.last_customer_at``, written by the traffic's clock, the
  same wall clock); a line overtaken by a newer one before a refresh is not counted.
- ``refresh_transactions_per_message``: the consoles' reading transactions for refreshes
  (not polls) per message written: only the concerned consoles should refresh.
- polls/s, PostgreSQL transactions/s and the most backends seen, messages/s achieved,
  double assignments (a session routing gave out twice), ``check`` violations after.
- ``consoles_opened_on_a_conversation``: how many consoles showed a session when the
  traffic started (the seed means all of them).
- ``feed_reads_per_s``: the consoles' polls that read the change feed in the database (the
  others were answered by the pulses heard), and ``pulses_heard_per_s`` by all consoles.

Before issue 14 the console had no targeted feed: on such a checkout (``ConsoleBackend``
without ``poll_changes``) the consoles run the old loop -- any commit anywhere: refresh --
to measure the "before" figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import itertools
import json
import multiprocessing as mp
import random
import sys
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from agent_console.domain.vocab import Presence, Surface  # noqa: E402
from agent_console.services import agents, conversations, ending, presence, routing  # noqa: E402
from agent_console.services.check import check  # noqa: E402
from agent_console.services.context import Ctx  # noqa: E402
from agent_console.services.runtime import open_ctx  # noqa: E402
from agent_console.tui.backend import ConsoleBackend  # noqa: E402

PERMS = ("messaging_agent", "end_messaging_session")
CHANNEL = "standard_sms"
BOARD_AGENTS = "SELECT presence, count(*), sum(used_units) FROM agents GROUP BY presence"
BOARD_SESSIONS = "SELECT status, count(*) FROM sessions GROUP BY status"
PG_XACTS = (
    "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
)
PG_BACKENDS = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
OWNED = (
    "SELECT s.id, c.name, a.name FROM sessions s JOIN customers c ON c.id = s.customer_id"
    " JOIN agents a ON a.id = s.owner_id WHERE s.status = 'Active'"
)
TARGETED = hasattr(ConsoleBackend, "poll_changes")
SUPERVISOR = "supervisor"
try:
    from agent_console.services import floor as BOARD
except ImportError:  # a checkout from before the supervisor board
    BOARD = None  # type: ignore[assignment]
try:
    from agent_console.services.pulse_sender import PulseSender
except ImportError:  # a checkout from before the pulses
    PulseSender = None  # type: ignore[assignment,misc]


@dataclass
class Part:
    """What one process counted, between ``go`` and ``stop`` (wall-clock times)."""

    latencies: list[tuple[float, float]] = field(default_factory=list)  # (seen at, latency)
    refresh_tx: int = 0
    polls: int = 0
    refreshes: int = 0
    feed_reads: int = 0  # polls that read the change feed in the database
    pulses_heard: int = 0
    pulses_sent: int = 0
    pulse_pace: float = 0.0  # the sender's seconds between pulses when the window closed
    messages: list[float] = field(default_factory=list)  # when each was written
    assigned: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    poll_s: list[float] = field(default_factory=list)  # how long each poll took (wall)
    refresh_s: list[float] = field(default_factory=list)  # how long each refresh took
    board_s: list[float] = field(default_factory=list)  # how long each board read took
    gc_s: float = 0.0  # time the cyclic garbage collector stopped the process
    gc_by_generation: dict[str, list[float]] = field(default_factory=dict)  # [count, seconds]

    def error(self, name: str, exc: BaseException | None = None) -> None:
        """Count an error by ``name``; the first of each name goes to stderr with its stack."""
        self.errors[name] = self.errors.get(name, 0) + 1
        if exc is not None and self.errors[name] == 1:
            traceback.print_exception(exc, file=sys.stderr)


# ---------------------------------------------------------------------------- the consoles


class SimConsole:
    """One agent's console: its backend and the console screen's refresh loop."""

    def __init__(self, backend: ConsoleBackend, part: Part, poll: float) -> None:
        self.backend = backend
        self.part = part
        self.poll = poll
        self.refreshing = False
        self.selected: int | None = None
        self.detail: Any = None  # the open session's detail as last shown
        self.seen: dict[int, datetime] = {}  # session -> newest customer line shown
        event.listen(backend.ctx.db.engine.sync_engine, "begin", self._on_begin)

    def _on_begin(self, _conn: Any) -> None:
        if self.refreshing:
            self.part.refresh_tx += 1

    async def first_look(self) -> None:
        """The console's first snapshot, as it opens (before the measured run)."""
        await self._refresh(record=False)

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.sleep(random.random() * self.poll)  # the consoles do not poll in step
        while not stop.is_set():
            started = time.monotonic()
            try:
                concerned, detail = await self._concerned()
                self.part.poll_s.append(time.monotonic() - started)
                if concerned:
                    refresh_start = time.monotonic()
                    await self._refresh(detail=detail)
                    self.part.refresh_s.append(time.monotonic() - refresh_start)
                self.part.polls += 1
            except Exception as exc:  # a bench reports, it does not stop
                self.part.error(type(exc).__name__, exc)
            await asyncio.sleep(max(0.0, self.poll - (time.monotonic() - started)))

    async def _concerned(self) -> tuple[bool, bool]:
        """Whether to refresh, and whether the open session's detail too (as the console
        screen decides: ``ConsoleScreen.on_database_changed``)."""
        if not TARGETED:
            return bool(await self.backend.changed()), True  # type: ignore[attr-defined]
        from agent_console.domain.feed import Interest

        shown = frozenset({self.selected}) if self.selected else frozenset()
        interest = Interest(agent_id=self.backend.agent_id, sessions=shown)
        news = await self.backend.poll_changes(interest)
        if not news.concerns(interest):
            return False, False
        detail = news.resync or any(
            t.session_id is None or t.session_id == self.selected for t in news.touches
        )
        return True, detail

    async def _refresh(self, *, record: bool = True, detail: bool = True) -> None:
        self.refreshing = True
        try:
            if detail or self.detail is None:
                snap = await self.backend.snapshot(self.selected, neighbour=0)
            else:  # (a checkout from before the targeted feed never gets here)
                snap = await self.backend.snapshot(self.selected, neighbour=0, keep=self.detail)
        finally:
            self.refreshing = False
        self.part.refreshes += 1
        self.detail = snap.detail
        self.selected = snap.detail.session.id if snap.detail is not None else None
        now = time.time()
        for sid, needs in snap.needs.items():
            at = needs.last_customer_at
            if at is None or self.seen.get(sid) == at:
                continue
            if record and sid in self.seen:
                self.part.latencies.append((now, now - at.timestamp()))
            self.seen[sid] = at


async def consoles_main(
    url: str, names: list[str], poll: float, go: Any, stop: Any, out: Any
) -> Part:
    part = Part()
    sem = asyncio.Semaphore(16)

    async def one(name: str) -> SimConsole:
        async with sem:
            return SimConsole(await ConsoleBackend.open(url, name), part, poll)

    sims = list(await asyncio.gather(*(one(n) for n in names)))
    await asyncio.gather(*(s.first_look() for s in sims))
    # As each console does once its sessions are on screen (tui/app.py): what start-up made
    # is kept out of the collector's scans. Here one process holds hundreds of consoles, so
    # without it every full collection would scan all of their engines at once.
    gc.freeze()
    watch_gc(part)
    out.put({"ready": len(sims), "on_a_conversation": sum(s.selected is not None for s in sims)})
    await asyncio.to_thread(go.wait)
    stopping = asyncio.Event()
    tasks = [asyncio.create_task(s.run(stopping)) for s in sims]
    await asyncio.to_thread(stop.wait)
    stopping.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    for s in sims:
        feed = getattr(s.backend, "feed", None)  # a checkout from before the pulses: none
        part.feed_reads += getattr(feed, "reads", 0)
        part.pulses_heard += getattr(feed, "heard", 0)
        await s.backend.close()
    return part


# ---------------------------------------------------------------------------- the traffic


class Traffic:
    """Customers, routing and agents writing through the services at ``rate`` messages/s."""

    def __init__(self, ctx: Ctx, part: Part, rate: float) -> None:
        self.ctx = ctx
        self.part = part
        self.rate = rate
        self.owned: dict[int, tuple[str, str]] = {}  # session -> (customer, owner)
        self.customers: dict[int, str] = {}  # session -> its customer
        self.unnamed: dict[int, str] = {}  # session -> owner, routed before its customer known
        self.counter = itertools.count()
        self.random = random.Random(14)

    async def run(self, stop: asyncio.Event, workers: int = 16) -> None:
        loops = [self._worker(w, workers, stop) for w in range(workers)]
        await asyncio.gather(self._route_loop(stop), self._board_loop(stop), *loops)

    async def _route_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                for a in await routing.route(self.ctx):
                    count = self.part.assigned.get(a.session_id, 0)
                    self.part.assigned[a.session_id] = count + 1
                    customer = self.customers.get(a.session_id)
                    if customer is None:  # routed before its first line's call returned
                        self.unnamed[a.session_id] = a.agent
                    else:
                        self.owned[a.session_id] = (customer, a.agent)
            except Exception as exc:
                self.part.error(f"route:{type(exc).__name__}", exc)
            await asyncio.sleep(0.2)

    async def _board_loop(self, stop: asyncio.Event) -> None:
        """A supervisor's board open: the floor read once a second (the board screen reads it
        when the feed says anything changed, at most once per poll)."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                if BOARD is not None:
                    await BOARD.floor(self.ctx, SUPERVISOR)
                else:  # a checkout from before the board: its aggregates by hand
                    async with self.ctx.db.read() as conn:
                        await conn.execute(text(BOARD_AGENTS))
                        await conn.execute(text(BOARD_SESSIONS))
                self.part.board_s.append(time.monotonic() - started)
            except Exception as exc:
                self.part.error(f"board:{type(exc).__name__}", exc)
            await asyncio.sleep(1.0)

    async def _worker(self, index: int, workers: int, stop: asyncio.Event) -> None:
        interval = workers / self.rate
        next_at = time.monotonic() + index * interval / workers
        while not stop.is_set():
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at + interval, time.monotonic() - interval)
            try:
                await self._one()
                self.part.messages.append(time.time())
            except Exception as exc:
                self.part.error(f"traffic:{type(exc).__name__}", exc)

    async def _one(self) -> None:
        """One message: a new customer's first line, a customer's line in a session an
        agent has, an agent's answer, or an agent ending a session (its end line)."""
        roll = self.random.random()
        n = next(self.counter)
        if roll < 0.08 or not self.owned:
            customer = f"cust{n}"
            r = await conversations.inbound(self.ctx, customer, CHANNEL, f"hello {n}")
            self.customers[r.session_id] = customer
            owner = self.unnamed.pop(r.session_id, None)
            if owner is not None:
                self.owned[r.session_id] = (customer, owner)
        elif roll < 0.68:
            _sid, (customer, _owner) = self.random.choice(list(self.owned.items()))
            await conversations.inbound(self.ctx, customer, CHANNEL, f"line {n}")
        elif roll < 0.93:
            sid, (_customer, owner) = self.random.choice(list(self.owned.items()))
            await conversations.send(self.ctx, owner, sid, f"answer {n}")
        else:
            sid, (_customer, owner) = self.random.choice(list(self.owned.items()))
            del self.owned[sid]
            await ending.end_session(self.ctx, owner, sid, Surface.CONVERSATION)


async def traffic_main(
    url: str, rate: float, pulse: tuple[float, int | None], go: Any, stop: Any, out: Any
) -> Part:
    part = Part()
    # Four connections (a "before" checkout's open_ctx has no max_overflow: it may open more),
    # and no ping per checkout, as the gateway and the consoles it stands for open theirs.
    params = inspect.signature(open_ctx).parameters
    extra: dict[str, Any] = {"max_overflow": 0} if "max_overflow" in params else {}
    if "pre_ping" in params:
        extra["pre_ping"] = False
    ctx = await open_ctx(url, pool_size=4, **extra)
    traffic = Traffic(ctx, part, rate)
    traffic.owned = await owned_sessions(ctx)
    traffic.customers = {sid: customer for sid, (customer, _owner) in traffic.owned.items()}
    # The pulse sender, as the gateway runs it: its own connection, as in the gateway's pool.
    sender = None
    pulse_every, wakeups = pulse
    if pulse_every > 0 and PulseSender is not None:
        sender_ctx = await open_ctx(url, pool_size=1, max_overflow=0)
        # The sender's own bound on wake-ups unless told (a checkout from before it has none).
        paced = {"wakeups": wakeups} if wakeups is not None else {}
        sender = PulseSender(sender_ctx, every=pulse_every, **paced)
        sending = asyncio.create_task(sender.run())
        await sender.went.wait()
    out.put({"ready": 0})
    await asyncio.to_thread(go.wait)
    stopping = asyncio.Event()
    task = asyncio.create_task(traffic.run(stopping))
    await asyncio.to_thread(stop.wait)
    stopping.set()
    await asyncio.gather(task, return_exceptions=True)
    if sender is not None:
        sender.stop()
        await sending
        part.pulses_sent = sender.sent
        part.pulse_pace = getattr(sender, "pace", pulse_every)
        await sender_ctx.db.dispose()
    await ctx.db.dispose()
    return part


def watch_gc(part: Part) -> None:
    """Count the time the cyclic collector stops this process (``gc_s`` in the JSON)."""
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            took = time.perf_counter() - started.pop()
            part.gc_s += took
            seen = part.gc_by_generation.setdefault(str(info.get("generation")), [0, 0.0])
            seen[0] += 1
            seen[1] += took

    gc.callbacks.append(on_gc)


def _child(kind: str, args: tuple[Any, ...], out: Any) -> None:
    try:
        if kind == "consoles":
            part = asyncio.run(consoles_main(*args))
        else:
            part = asyncio.run(traffic_main(*args))
        out.put(asdict(part))
    except BaseException as exc:  # the parent reports it
        out.put({"failed": f"{kind}: {type(exc).__name__}: {exc}"})
        raise


# ---------------------------------------------------------------------------- the run


async def seed_agents(url: str, count: int) -> list[str]:
    """N agents, Online, capacity 5 (and the supervisor); their names."""
    ctx = await open_ctx(url, pool_size=8)
    names = [f"agent{i:04d}" for i in range(count)]
    sem = asyncio.Semaphore(8)

    async def one(name: str) -> None:
        async with sem:
            await agents.add_agent(ctx, name, capacity=5, permissions=PERMS)
            await presence.set_presence(ctx, name, Presence.ONLINE)

    await asyncio.gather(*(one(n) for n in names))
    await agents.add_agent(ctx, SUPERVISOR, capacity=1, permissions=PERMS, is_admin=True)
    await ctx.db.dispose()
    return names


async def seed_floor(url: str, count: int) -> list[str]:
    """:func:`seed_agents`, and the floor in mid-shift: a customer per agent has written and
    routing has given the sessions out, so each console opens on a conversation (its first
    look reads and compiles every statement a refresh uses, as a console open for a while
    has) and a customer's next line in it is a latency measured from the first second."""
    names = await seed_agents(url, count)
    ctx = await open_ctx(url, pool_size=8)
    sem = asyncio.Semaphore(8)

    async def customer(n: int) -> None:
        async with sem:
            await conversations.inbound(ctx, f"early{n}", CHANNEL, f"hello {n}")

    await asyncio.gather(*(customer(n) for n in range(count)))
    # One at a time: each goes to the agent with the most room, so each agent gets one (a
    # batch fills the few agents it locks first).
    await routing.route(ctx, batch=1)
    await ctx.db.dispose()
    return names


async def owned_sessions(ctx: Ctx) -> dict[int, tuple[str, str]]:
    """The live sessions agents hold: session -> (customer, owner)."""
    async with ctx.db.read() as conn:
        rows = await conn.execute(text(OWNED))
    return {int(sid): (str(customer), str(owner)) for sid, customer, owner in rows}


async def pg_sample(ctx: Ctx) -> tuple[int, int]:
    async with ctx.db.read() as conn:
        xacts = await conn.scalar(text(PG_XACTS))
        backends = await conn.scalar(text(PG_BACKENDS))
    return int(xacts or 0), int(backends or 0)


async def watch(url: str, seconds: float, warmup: float) -> dict[str, Any]:
    """PostgreSQL's side over the measured window (the children run meanwhile)."""
    ctx = await open_ctx(url, pool_size=1)
    await asyncio.sleep(warmup)
    t0 = time.time()
    xacts0, _ = await pg_sample(ctx)
    most = 0
    while time.time() - t0 < seconds:
        await asyncio.sleep(1.0)
        most = max(most, (await pg_sample(ctx))[1])
    xacts1, _ = await pg_sample(ctx)
    t1 = time.time()
    violations = [f"{v.invariant}: {v.detail}" for v in await check(ctx)]
    await ctx.db.dispose()
    return {"t0": t0, "t1": t1, "xacts": xacts1 - xacts0, "backends": most, "check": violations}


def warmup(args: argparse.Namespace) -> float:
    """Seconds of traffic before the measured window."""
    return min(5.0, args.seconds / 4)


def say(what: str) -> None:
    """Progress on stderr (the JSON goes to stdout)."""
    print(f"floor: {time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    say(f"seeding {args.consoles} agents in mid-shift")
    names = asyncio.run(seed_floor(url, args.consoles))
    say(f"opening the consoles in {args.processes} processes, and the traffic")
    spawn = mp.get_context("spawn")
    go, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
    slices = [names[i :: args.processes] for i in range(args.processes)]
    children = [
        spawn.Process(target=_child, args=("consoles", (url, s, args.poll, go, stop, out), out))
        for s in slices
    ]
    pulse = (args.pulse_every, args.pulse_wakeups)
    children.append(
        spawn.Process(
            target=_child,
            args=("traffic", (url, args.messages_per_second, pulse, go, stop, out), out),
        )
    )
    for child in children:
        child.start()
    # The children open their consoles (each takes its first snapshot) and say so; then the
    # traffic starts, and the measured window after a warm-up.
    opened_on = 0
    for _ in children:
        said = out.get(timeout=1800)
        if "failed" in said:
            stop.set()
            raise SystemExit(said["failed"])
        opened_on += said.get("on_a_conversation", 0)
    go.set()
    say(f"traffic on; the {args.seconds:g} s window opens after {warmup(args):g} s")
    pg = asyncio.run(watch(url, args.seconds, warmup=warmup(args)))
    stop.set()
    say("window closed; collecting")
    parts = [out.get(timeout=300) for _ in children]
    for child in children:
        child.join(timeout=60)
    failed = [p["failed"] for p in parts if "failed" in p]
    if failed:
        raise SystemExit("; ".join(failed))
    result = summarize(args, pg, [Part(**p) for p in parts])
    result["consoles_opened_on_a_conversation"] = opened_on
    return result


def summarize(args: argparse.Namespace, pg: dict[str, Any], parts: list[Part]) -> dict[str, Any]:
    t0, t1 = pg["t0"], pg["t1"]
    elapsed = t1 - t0

    def inside(at: float) -> bool:
        return t0 <= at <= t1

    lat = sorted(latency for p in parts for at, latency in p.latencies if inside(at))
    messages = sum(1 for p in parts for at in p.messages if inside(at))
    assigned: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    for p in parts:
        assigned.update(p.assigned)
        errors.update(p.errors)
    total = {
        "refresh_tx": sum(p.refresh_tx for p in parts),
        "polls": sum(p.polls for p in parts),
        "feed_reads": sum(p.feed_reads for p in parts),
        "pulses_heard": sum(p.pulses_heard for p in parts),
        "pulses_sent": sum(p.pulses_sent for p in parts),
        "refreshes": sum(p.refreshes for p in parts),
    }

    def q(p: float, values: list[float] = lat) -> float | None:
        return round(values[min(len(values) - 1, int(p * len(values)))], 3) if values else None

    polls = sorted(x for p in parts for x in p.poll_s)
    refreshes = sorted(x for p in parts for x in p.refresh_s)
    boards = sorted(x for p in parts for x in p.board_s)

    # Counters run for the whole run (warm-up included): rates use the whole run's length.
    run_s = elapsed + warmup(args)
    all_messages = sum(len(p.messages) for p in parts)
    return {
        "consoles": args.consoles,
        "feed": "targeted" if TARGETED else "any-commit",
        "processes": args.processes,
        "seconds": round(elapsed, 1),
        "poll_interval_s": args.poll,
        "messages_per_s_offered": args.messages_per_second,
        "messages_per_s": round(messages / elapsed, 1),
        "commit_to_console_s": {"p50": q(0.5), "p99": q(0.99), "max": q(1.0), "n": len(lat)},
        "refresh_transactions_per_message": round(total["refresh_tx"] / all_messages, 2)
        if all_messages
        else None,
        "polls_per_s": round(total["polls"] / run_s, 1),
        "pulse_every_s": args.pulse_every,
        "pulse_pace_s": round(max(p.pulse_pace for p in parts), 3),
        "feed_reads_per_s": round(total["feed_reads"] / run_s, 1),
        "pulses_sent_per_s": round(total["pulses_sent"] / run_s, 1),
        "pulses_heard_per_s": round(total["pulses_heard"] / run_s, 1),
        "poll_s": {"p50": q(0.5, polls), "p99": q(0.99, polls)},
        "refresh_s": {"p50": q(0.5, refreshes), "p99": q(0.99, refreshes)},
        "refreshes_per_s": round(total["refreshes"] / run_s, 1),
        "board_s": {"p50": q(0.5, boards), "max": q(1.0, boards), "n": len(boards)},
        "gc_s_per_process": [round(p.gc_s, 2) for p in parts],
        "gc_by_generation": [
            {g: [n, round(t, 2)] for g, (n, t) in sorted(p.gc_by_generation.items())} for p in parts
        ],
        "pg_transactions_per_s": round(pg["xacts"] / elapsed, 1),
        "pg_backends_max": pg["backends"],
        "sessions_assigned": len(assigned),
        "double_assignments": sum(1 for n in assigned.values() if n > 1),
        "check_violations": pg["check"],
        "errors": dict(errors),
    }


#: Simulated consoles to one process by default. Each real console is a process of its own,
#: on its agent's machine; here hundreds share an event loop, and at 500 to a loop the loop
#: itself was most of the latency (1,000 consoles, 2026-12-04: refresh wall time p50 1.5 s
#: with 2 processes, 0.07-0.09 s with 4 and 8; p99 4.93 s, 1.27 s, 0.84 s).
CONSOLES_PER_PROCESS = 125


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--consoles", type=int, default=100)
    ap.add_argument("--messages-per-second", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--poll", type=float, default=0.25, help="each console's poll interval")
    ap.add_argument(
        "--processes",
        type=int,
        help=f"processes running consoles (default: one per {CONSOLES_PER_PROCESS}, at least 2)",
    )
    ap.add_argument(
        "--pulse-every", type=float, default=0.2, help="the pulse sender's pace (0: no sender)"
    )
    ap.add_argument(
        "--pulse-wakeups",
        type=int,
        help="listening backends a second the pulses may wake at most "
        "(default: the gateway's, 2,000; 0: no bound)",
    )
    ap.add_argument("--url", help="an existing PostgreSQL (default: a throw-away one)")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    if args.processes is None:
        args.processes = max(2, -(-args.consoles // CONSOLES_PER_PROCESS))
    import pg_throwaway

    with pg_throwaway.given_or_started(
        args.url, prefix="floor-pg-", max_connections=2 * args.consoles + 60
    ) as url:
        result = run(args, url)
    out = json.dumps(result, indent=2)
    print(out)
    if args.out:
        Path(args.out).write_text(out + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
