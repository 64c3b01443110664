"""A floor of N agents on one PostgreSQL: the consoles' own refresh code under traffic.

    .venv/bin/python bench/floor.py [--consoles 1000] [--messages-per-second 100]
                                    [--seconds 60] [--poll 0.25] [--url URL] [--out F]

Starts a throw-away PostgreSQL (``scripts/pg_throwaway.py``, ``max_connections`` raised to
fit) unless ``--url`` is given, adds N agents (Online, capacity 5), then opens N simulated
consoles in this process. Each is the console's own backend (``tui/backend.py``
``ConsoleBackend``: its own engine and connection pool, its change feed) running the console
screen's refresh loop without Textual: poll the feed every ``--poll`` seconds for what
concerns it (its agent, its open session), and when something does, take a snapshot (the
console's one reading transaction). A traffic generator meanwhile writes through the
services: customers starting sessions and writing in them, routing, agents replying and
ending; a supervisor's board-like aggregate read once a second.

It prints one JSON object: consoles, messages/s offered and achieved, p50/p99 seconds from a
customer's message committing to the owning console holding a snapshot that shows it (and
how many were never seen), refresh transactions per change (only the concerned consoles
should refresh), polls/s, PostgreSQL transactions/s and the most backends seen, double
assignments (a session routing gave out twice) and the violations ``check`` finds after.

Before issue 14 the console had no targeted feed: with ``hasattr(backend, "changed")`` the
bench runs the old loop (any commit anywhere: refresh), to measure the "before" figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
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
PG_XACTS = (
    "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
)
CHANNEL = "standard_sms"


@dataclass
class Expected:
    """A customer line committed at ``at``, to be seen by the owner's console."""

    text: str
    at: float


@dataclass
class Floor:
    """What every console and the generator share (one process, one event loop)."""

    #: (agent id, session id) -> the newest customer line the owner's console should show.
    expected: dict[tuple[int, int], Expected] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    refresh_tx: int = 0
    poll_tx: int = 0
    polls: int = 0
    refreshes: int = 0
    writes: int = 0
    messages: int = 0
    assigned: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class SimConsole:
    """One agent's console: its backend and the console screen's refresh loop."""

    def __init__(self, backend: ConsoleBackend, floor: Floor, poll: float) -> None:
        self.backend = backend
        self.floor = floor
        self.poll = poll
        self.refreshing = False
        self.selected: int | None = None
        event.listen(backend.ctx.db.engine.sync_engine, "begin", self._on_begin)

    def _on_begin(self, _conn: Any) -> None:
        if self.refreshing:
            self.floor.refresh_tx += 1
        else:
            self.floor.poll_tx += 1

    async def run(self) -> None:
        floor = self.floor
        await asyncio.sleep(random.random() * self.poll)  # the consoles do not poll in step
        await self._refresh()
        targeted = hasattr(self.backend, "poll_changes")
        while not floor.stop.is_set():
            started = time.monotonic()
            try:
                if targeted:
                    from agent_console.domain.feed import Interest

                    shown = frozenset({self.selected}) if self.selected else frozenset()
                    interest = Interest(agent_id=self.backend.agent_id, sessions=shown)
                    news = await self.backend.poll_changes(interest)
                    concerned = news.concerns(interest)
                else:
                    concerned = await self.backend.changed()  # type: ignore[attr-defined]
                floor.polls += 1
                if concerned:
                    await self._refresh()
            except Exception as exc:  # a bench reports, it does not stop
                floor.errors[type(exc).__name__] += 1
            await asyncio.sleep(max(0.0, self.poll - (time.monotonic() - started)))

    async def _refresh(self) -> None:
        self.refreshing = True
        try:
            snap = await self.backend.snapshot(self.selected, neighbour=0)
        finally:
            self.refreshing = False
        self.floor.refreshes += 1
        self.selected = snap.detail.session.id if snap.detail is not None else None
        now = time.monotonic()
        me = self._agent_id(snap)
        for sid, needs in snap.needs.items():
            want = self.floor.expected.get((me, sid))
            if want is not None and needs.last_customer_text == want.text:
                self.floor.latencies.append(now - want.at)
                del self.floor.expected[(me, sid)]

    def _agent_id(self, snap: Any) -> int:
        return int(snap.agent.id)


async def seed_agents(ctx: Ctx, count: int) -> list[str]:
    names = [f"agent{i:04d}" for i in range(count)]
    sem = asyncio.Semaphore(8)

    async def one(name: str) -> None:
        async with sem:
            await agents.add_agent(ctx, name, capacity=5, permissions=PERMS)
            await presence.set_presence(ctx, name, Presence.ONLINE)

    await asyncio.gather(*(one(n) for n in names))
    return names


async def open_consoles(url: str, names: list[str], floor: Floor, poll: float) -> list[SimConsole]:
    sem = asyncio.Semaphore(16)

    async def one(name: str) -> SimConsole:
        async with sem:
            return SimConsole(await ConsoleBackend.open(url, name), floor, poll)

    return list(await asyncio.gather(*(one(n) for n in names)))


class Traffic:
    """Customers, routing and agents writing through the services at ``rate`` lines/s."""

    def __init__(self, ctx: Ctx, floor: Floor, rate: float, ids: dict[str, int]) -> None:
        self.ctx = ctx
        self.floor = floor
        self.rate = rate
        self.ids = ids  # agent name -> id
        self.owned: dict[int, tuple[str, str]] = {}  # session -> (customer, owner)
        self.counter = itertools.count()
        self.random = random.Random(14)
        self._customers: dict[int, str] = {}  # session -> its customer

    async def run(self, workers: int = 16) -> None:
        await asyncio.gather(
            self._route_loop(), *(self._worker(w, workers) for w in range(workers))
        )

    async def _route_loop(self) -> None:
        while not self.floor.stop.is_set():
            try:
                for a in await routing.route(self.ctx):
                    self.floor.assigned[a.session_id] += 1
                    self.owned[a.session_id] = (self._customers.get(a.session_id, ""), a.agent)
            except Exception as exc:
                self.floor.errors[f"route:{type(exc).__name__}"] += 1
            await asyncio.sleep(0.2)

    async def _worker(self, index: int, workers: int) -> None:
        interval = workers / self.rate
        next_at = time.monotonic() + index * interval / workers
        while not self.floor.stop.is_set():
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            try:
                await self._one()
            except Exception as exc:
                self.floor.errors[f"traffic:{type(exc).__name__}"] += 1

    async def _one(self) -> None:
        roll = self.random.random()
        n = next(self.counter)
        if roll < 0.08 or not self.owned:  # a new customer
            customer = f"cust{n}"
            r = await conversations.inbound(self.ctx, customer, CHANNEL, f"hello {n}")
            self._customers[r.session_id] = customer
        elif roll < 0.68:  # a customer writes in a session an agent has
            sid, (customer, owner) = self.random.choice(list(self.owned.items()))
            line = f"line {n}"
            await conversations.inbound(self.ctx, customer, CHANNEL, line)
            self.floor.expected[(self.ids[owner], sid)] = Expected(line, time.monotonic())
            self.floor.messages += 1
        elif roll < 0.93:  # the agent answers
            sid, (_customer, owner) = self.random.choice(list(self.owned.items()))
            await conversations.send(self.ctx, owner, sid, f"answer {n}")
        else:  # the agent ends it
            sid, (_customer, owner) = self.random.choice(list(self.owned.items()))
            del self.owned[sid]
            self.floor.expected.pop((self.ids[owner], sid), None)
            await ending.end_session(self.ctx, owner, sid, Surface.CONVERSATION)
        self.floor.writes += 1  # one message each: a customer's line, an answer, an end line


async def board_loop(ctx: Ctx, floor: Floor) -> None:
    """A supervisor's board: the floor's aggregates once a second (presence, capacity,
    sessions by status), one statement each."""
    while not floor.stop.is_set():
        async with ctx.db.read() as conn:
            await conn.execute(
                text("SELECT presence, count(*), sum(used_units) FROM agents GROUP BY presence")
            )
            await conn.execute(text("SELECT status, count(*) FROM sessions GROUP BY status"))
        await asyncio.sleep(1.0)


async def pg_stats(ctx: Ctx) -> tuple[int, int]:
    async with ctx.db.read() as conn:
        xacts = await conn.scalar(text(PG_XACTS))
        backends = await conn.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        )
    return int(xacts or 0), int(backends or 0)


async def measure(
    url: str, consoles: int, rate: float, seconds: float, poll: float
) -> dict[str, Any]:
    ctx = await open_ctx(url, pool_size=8)
    names = await seed_agents(ctx, consoles)
    async with ctx.db.read() as conn:
        rows = (await conn.execute(text("SELECT name, id FROM agents"))).all()
    ids = {name: int(i) for name, i in rows}
    floor = Floor()
    t_open = time.monotonic()
    sims = await open_consoles(url, names, floor, poll)
    opened = time.monotonic() - t_open
    traffic = Traffic(ctx, floor, rate, ids)
    tasks = [asyncio.create_task(s.run()) for s in sims]
    tasks.append(asyncio.create_task(traffic.run()))
    tasks.append(asyncio.create_task(board_loop(ctx, floor)))
    await asyncio.sleep(min(5.0, seconds / 4))  # warm-up: consoles loaded, traffic flowing
    floor.latencies.clear()
    base = (floor.refresh_tx, floor.poll_tx, floor.polls, floor.writes, floor.messages)
    xacts0, _ = await pg_stats(ctx)
    t0 = time.monotonic()
    most_backends = 0
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(1.0)
        most_backends = max(most_backends, (await pg_stats(ctx))[1])
    elapsed = time.monotonic() - t0
    xacts1, _ = await pg_stats(ctx)
    refresh_tx = floor.refresh_tx - base[0]
    poll_tx = floor.poll_tx - base[1]
    polls = floor.polls - base[2]
    writes = floor.writes - base[3]
    messages = floor.messages - base[4]
    lat = sorted(floor.latencies)
    unseen = sum(1 for e in floor.expected.values() if time.monotonic() - e.at > 2.0)
    floor.stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    violations = await check(ctx)
    for s in sims:
        await s.backend.close()
    await ctx.db.dispose()

    def q(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) if lat else None

    return {
        "consoles": consoles,
        "feed": "targeted" if hasattr(ConsoleBackend, "poll_changes") else "any-commit",
        "seconds": round(elapsed, 1),
        "poll_interval_s": poll,
        "messages_per_s_offered": rate,
        "messages_per_s": round(writes / elapsed, 1),
        "customer_lines_per_s": round(messages / elapsed, 1),
        "commit_to_console_s": {"p50": q(0.5), "p99": q(0.99), "max": q(1.0), "n": len(lat)},
        "lines_not_seen_after_2s": unseen,
        "refresh_transactions_per_message": round(refresh_tx / writes, 2) if writes else None,
        "refreshes": floor.refreshes,
        "polls_per_s": round(polls / elapsed, 1),
        "poll_transactions_per_s": round(poll_tx / elapsed, 1),
        "pg_transactions_per_s": round((xacts1 - xacts0) / elapsed, 1),
        "pg_backends_max": most_backends,
        "sessions_assigned": len(floor.assigned),
        "double_assignments": sum(1 for n in floor.assigned.values() if n > 1),
        "check_violations": [f"{v.invariant}: {v.detail}" for v in violations],
        "errors": dict(floor.errors),
        "consoles_opened_in_s": round(opened, 1),
        "mean_latency_s": round(statistics.fmean(lat), 3) if lat else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--consoles", type=int, default=100)
    ap.add_argument("--messages-per-second", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--poll", type=float, default=0.25, help="each console's poll interval")
    ap.add_argument("--url", help="an existing PostgreSQL (default: a throw-away one)")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    cluster = None
    url = args.url
    if url is None:
        import pg_throwaway

        cluster = pg_throwaway.start(
            tempfile.mkdtemp(prefix="floor-pg-"), max_connections=args.consoles + 60
        )
        url = cluster.url
    try:
        result = asyncio.run(
            measure(url, args.consoles, args.messages_per_second, args.seconds, args.poll)
        )
    finally:
        if cluster is not None:
            cluster.stop()
    out = json.dumps(result, indent=2)
    print(out)
    if args.out:
        Path(args.out).write_text(out + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
