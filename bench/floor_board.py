"""The supervisor board's reads at 1,000 agents and 100,000 sessions (issue 14).

    .venv/bin/python bench/floor_board.py [--agents 1000] [--sessions 100000] [--runs 20]
                                          [--only sqlite|postgresql] [--pg-url URL]
                                          [--seed 1] [--out F]

Seeds each backend in bulk (SQLAlchemy Core executemany, 10,000 rows a statement, one
transaction): the agents (one admin, the viewer; 55% Online, 20% Busy -- half of them with an
away reason --, 10% Offline, 15% logged out; capacities 3-10; a few with a supervisor's note),
a customer per three sessions, and the sessions: 3% Active (each holding a unit of its
owner's capacity, so ``used_units`` matches), 0.6% Inactive, 100 New and 400 Waiting spread
over the channels, the rest Ended; ``customer_waiting_since`` set on 40% of the live owned
sessions and 60% of the queued ones. No messages: the board reads none. The capacity
invariants of ``check`` are run on the result (they must find nothing).

SQLite: a temporary file, as the product opens it (no ANALYZE: the product runs none).
PostgreSQL: a database of its own on ``--pg-url`` (default: ``AGENT_CONSOLE_TEST_PG_URL``,
else a throw-away server from ``scripts/pg_throwaway.py``), dropped afterwards; VACUUM
ANALYZE after the load, as autovacuum would soon do (the plans from before it are printed
too: ``plan_before_analyze``).

Then, warm (after ``--warmup`` calls), ``--runs`` times each: the board's three statements
(``services/floor.py`` AGENTS, OWNED, QUEUE), each in its own reading transaction, from
execute to the last row fetched; and the whole ``floor()`` call (the admin check, the three
reads, the rows built, sorted). Prints one JSON object: median, min and max in ms per
measure, the rows each statement returned, its plan (SQLite ``EXPLAIN QUERY PLAN``,
PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS)``), and PASS/FAIL against the target (the median and
the slowest run within 50 ms), the garbage collector's full collections during the
measures (the objects alive before them are frozen first, as the console freezes its
start-up's: ``--no-freeze`` leaves them, and a full collection, ~60 ms here, can land in a
timed call), the load average and ``bench/run.py``'s calibration loop before
and after (the machine is shared). The exit status is 0 only when every measure passed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Executable, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from run import calibrate  # noqa: E402

from agent_console.domain.channels import CHANNELS  # noqa: E402
from agent_console.domain.presence import DEFAULT_AWAY_REASONS  # noqa: E402
from agent_console.domain.vocab import Permission  # noqa: E402
from agent_console.services.check import INVARIANTS  # noqa: E402
from agent_console.services.context import Ctx  # noqa: E402
from agent_console.services.floor import AGENTS, OWNED, QUEUE, floor  # noqa: E402
from agent_console.services.runtime import open_ctx  # noqa: E402
from agent_console.store.models import Agent, Customer, Session, table_of  # noqa: E402
from agent_console.store.url import DatabaseURL  # noqa: E402

TARGET_MS = 50.0
VIEWER = "floor-admin"
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
CHUNK = 10_000
STATEMENTS: dict[str, Executable] = {"AGENTS": AGENTS, "OWNED": OWNED, "QUEUE": QUEUE}
#: The invariants the seed must keep (it writes no end records nor messages for the others).
SEED_INVARIANTS = (
    "one owner per live session",
    "used capacity equals the sum of consuming sessions",
    "a session holds units exactly when its capacity model says so",
)
#: Channels weighted as a floor might see them: SMS and WhatsApp busiest.
CHANNEL_WEIGHTS = {
    "standard_sms": 20,
    "enhanced_sms": 8,
    "enhanced_whatsapp": 20,
    "enhanced_web_chat_v2": 12,
    "enhanced_web_chat_v1": 3,
    "enhanced_in_app_chat": 8,
    "standard_facebook_messenger": 8,
    "enhanced_facebook_messenger": 6,
    "enhanced_apple_messages_for_business": 6,
    "enhanced_line": 4,
    "byoc": 5,
}
PERMS = " ".join(sorted(p.value for p in Permission))


# ------------------------------------------------------------------------------------ seed


def agent_rows(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """The agents; the first is the viewer (an admin, Online)."""
    rows = []
    for i in range(count):
        roll = rng.random()
        logged_in, presence, reason = True, "Online", None
        if i == 0 or roll < 0.55:
            pass
        elif roll < 0.75:
            presence = "Busy"
            reason = rng.choice(DEFAULT_AWAY_REASONS) if rng.random() < 0.5 else None
        elif roll < 0.85:
            presence = "Offline"
        else:
            logged_in, presence = False, "Offline"
        noted = rng.random() < 0.02
        rows.append(
            {
                "name": VIEWER if i == 0 else f"agent{i:04d}",
                "capacity": rng.choice((3, 5, 5, 5, 8, 10)),
                "used_units": 0,
                "permissions": PERMS,
                "is_admin": i == 0,
                "presence": presence,
                "logged_in": logged_in,
                "created_at": NOW - timedelta(days=90),
                "away_reason": reason,
                "presence_since": (
                    None if rng.random() < 0.05 else NOW - timedelta(minutes=rng.uniform(0, 600))
                ),
                "presence_by": "supervisor" if noted else None,
                "presence_note": "coaching session" if noted else None,
            }
        )
    return rows


def session_rows(
    sessions: int,
    agents: list[dict[str, Any]],
    agent_ids: list[int],
    customer_ids: list[int],
    rng: random.Random,
) -> list[dict[str, Any]]:
    """The sessions (in creation order), with ``used_units`` set on ``agents`` to match."""
    channels = list(CHANNEL_WEIGHTS)
    weights = list(CHANNEL_WEIGHTS.values())
    assert set(channels) == {c.id for c in CHANNELS}
    active, inactive = sessions * 3 // 100, sessions * 6 // 1000
    new, waiting = min(100, sessions // 100), min(400, sessions // 25)
    ended = sessions - active - inactive - new - waiting
    # Active sessions take a unit each from a logged-in agent, never past their capacity.
    slots = [i for i, a in enumerate(agents) if a["logged_in"] for _ in range(a["capacity"])]
    rng.shuffle(slots)
    assert len(slots) >= active, "not enough capacity on the floor for the Active sessions"
    working = sorted({i for i, a in enumerate(agents) if a["logged_in"]})
    live_customers = rng.sample(customer_ids, active + inactive + new + waiting)
    rows: list[dict[str, Any]] = []

    def row(status: str, owner: int | None, created: datetime, cws: datetime | None,
            model: str = "tab-based", held: int = 0, ended_at: datetime | None = None,
            customer: int | None = None) -> None:  # fmt: skip
        rows.append(
            {
                "customer_id": customer if customer is not None else rng.choice(customer_ids),
                "channel": rng.choices(channels, weights)[0],
                "status": status,
                "owner_id": agent_ids[owner] if owner is not None else None,
                "initiated_by": "customer",
                "capacity_model": model,
                "units": 1,
                "units_held": held,
                "tab_open": held > 0,
                "created_at": created,
                "assigned_at": created + timedelta(seconds=20) if owner is not None else None,
                "last_message_at": cws or created,
                "customer_replied": True,
                "ended_at": ended_at,
                "version": 1,
                "customer_waiting_since": cws,
            }
        )

    def recent(minutes: float) -> datetime:
        return NOW - timedelta(seconds=rng.uniform(0, minutes * 60))

    for _ in range(ended):
        created = NOW - timedelta(days=1) - timedelta(seconds=rng.uniform(0, 60 * 86400))
        owner = rng.randrange(len(agents)) if rng.random() < 0.9 else None
        row("Ended", owner, created, None, ended_at=created + timedelta(minutes=rng.uniform(1, 90)))
    for k in range(active):
        owner = slots[k]
        agents[owner]["used_units"] += 1
        created = recent(480)
        cws = max(created, recent(20)) if rng.random() < 0.4 else None
        row("Active", owner, created, cws, held=1, customer=live_customers.pop())
    for _ in range(inactive):
        created = recent(480)
        cws = max(created, recent(20)) if rng.random() < 0.4 else None
        row("Inactive", rng.choice(working), created, cws, model="status-based",
            customer=live_customers.pop())  # fmt: skip
    for status, count in (("New", new), ("Waiting", waiting)):
        for _ in range(count):
            created = recent(30)
            cws = max(created, recent(30)) if rng.random() < 0.6 else None
            row(status, None, created, cws, customer=live_customers.pop())
    rows.sort(key=lambda r: r["created_at"])
    return rows


async def insert_chunks(conn: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(insert(table), rows[start : start + CHUNK])


async def seed(ctx: Ctx, agents: int, sessions: int, rng: random.Random) -> dict[str, Any]:
    """The floor, in one writing transaction; what it holds."""
    t0 = time.perf_counter()
    agent_list = agent_rows(agents, rng)
    async with ctx.db.write() as conn:
        customers = [
            {"name": f"Customer {i:06d}", "created_at": NOW - timedelta(days=90)}
            for i in range(max(1, sessions // 3))
        ]
        await insert_chunks(conn, table_of(Customer), customers)
        customer_ids = list((await conn.scalars(select(Customer.id).order_by(Customer.id))).all())
        # Agents first without their units (the sessions say how many), then their units.
        await insert_chunks(conn, table_of(Agent), agent_list)
        agent_ids = list((await conn.scalars(select(Agent.id).order_by(Agent.id))).all())
        rows = session_rows(sessions, agent_list, agent_ids, customer_ids, rng)
        await insert_chunks(conn, table_of(Session), rows)
        for used in sorted({a["used_units"] for a in agent_list} - {0}):
            ids = [agent_ids[i] for i, a in enumerate(agent_list) if a["used_units"] == used]
            await conn.execute(
                table_of(Agent).update().where(Agent.id.in_(ids)).values(used_units=used)
            )
    seeded = time.perf_counter() - t0
    async with ctx.db.read() as conn:
        broken = {n: len((await conn.execute(text(INVARIANTS[n]))).all()) for n in SEED_INVARIANTS}
    return {
        "seconds": round(seeded, 1),
        "sessions_by_status": dict(sorted(Counter(r["status"] for r in rows).items())),
        "customer_waiting_since_set": sum(r["customer_waiting_since"] is not None for r in rows),
        "agents_by_state": dict(
            sorted(
                Counter(
                    a["presence"] if a["logged_in"] else "Logged out" for a in agent_list
                ).items()
            )
        ),
        "invariants_broken": broken,
    }


# ---------------------------------------------------------------------------------- timing


def summary(samples: list[tuple[float, float]]) -> dict[str, Any]:
    """Wall times (median, min, max) and the median CPU of this process, in ms."""
    ms = [wall * 1000 for wall, _ in samples]
    med, worst = statistics.median(ms), max(ms)
    return {
        "median_ms": round(med, 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(worst, 2),
        "cpu_median_ms": round(statistics.median(cpu * 1000 for _, cpu in samples), 2),
        "pass": med <= TARGET_MS and worst <= TARGET_MS,
    }


class Clock:
    """Wall and process CPU time (the client's; on SQLite the database engine's too)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


class FullCollections:
    """The garbage collector's full collections meanwhile: how many, how long each."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._start = 0.0
        gc.callbacks.append(self._seen)

    def _seen(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.times.append(time.perf_counter() - self._start)

    def stop(self) -> dict[str, Any]:
        gc.callbacks.remove(self._seen)
        return {"full_collections": len(self.times),
                "full_collection_ms": [round(t * 1000, 1) for t in self.times]}  # fmt: skip


async def timed(
    call: Callable[[], Awaitable[tuple[float, float]]], runs: int, warmup: int
) -> list[tuple[float, float]]:
    for _ in range(warmup):
        await call()
    return [await call() for _ in range(runs)]


async def plan(ctx: Ctx, stmt: Executable) -> list[str]:
    """The statement's plan, its parameters written in."""
    async with ctx.db.read() as conn:
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if ctx.db.is_sqlite:
            found = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()
            return [f"{'  ' * (r[1] > 0)}{r[3]}" for r in found]
        found = (await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")).all()
        return [str(r[0]) for r in found]


async def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    ctx = await open_ctx(url, clock=lambda: NOW)
    try:
        seeded = await seed(ctx, args.agents, args.sessions, random.Random(args.seed))
        fresh = {}
        if not ctx.db.is_sqlite:
            # The plans just after the load, before any statistics (autovacuum soon has them).
            fresh = {name: await plan(ctx, stmt) for name, stmt in STATEMENTS.items()}
            async with ctx.db.engine.connect() as conn:
                ac = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await ac.exec_driver_sql("VACUUM ANALYZE")
        out: dict[str, Any] = {"seed": seeded, "statements": {}}
        if not args.no_freeze:  # as the console does once it is up (tui/app.py)
            gc.collect()
            gc.freeze()
        full = FullCollections()
        t0 = time.perf_counter()
        first = await floor(ctx, VIEWER)
        out["floor_first_call_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        for name, stmt in STATEMENTS.items():
            rows: list[int] = []

            async def run(stmt: Executable = stmt, rows: list[int] = rows) -> tuple[float, float]:
                """The statement alone: execute to the last row fetched."""
                async with ctx.db.read() as conn:
                    clock = Clock()
                    found = (await conn.execute(stmt)).all()
                    lap = clock.lap()
                rows.append(len(found))
                return lap

            samples = await timed(run, args.runs, args.warmup)
            out["statements"][name] = {
                **summary(samples),
                "rows": rows[-1],
                "plan": await plan(ctx, stmt),
                **({"plan_before_analyze": fresh[name]} if fresh else {}),
            }

        async def board() -> tuple[float, float]:
            clock = Clock()
            await floor(ctx, VIEWER)
            return clock.lap()

        out["floor"] = summary(await timed(board, args.runs, args.warmup))
        out["gc"] = {"frozen": not args.no_freeze, **full.stop()}
        t = first.totals
        out["board"] = {
            "agents": t.agents,
            "by_state": {s.value: n for s, n in t.by_state.items()},
            "used/capacity": f"{t.used}/{t.capacity}",
            "active": t.active,
            "inactive": t.inactive,
            "customers_waiting": t.customers_waiting,
            "queued": t.waiting,
            "longest_wait_s": (NOW - t.longest_wait_since).total_seconds()
            if t.longest_wait_since
            else None,
        }
        return out
    finally:
        gc.unfreeze()
        await ctx.db.dispose()


# ------------------------------------------------------------------------------- backends


async def pg_exec(url: str, *statements: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(DatabaseURL(url).asyncpg_dsn())
    try:
        for stmt in statements:
            await conn.execute(stmt)
    finally:
        await conn.close()


def on_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="floor-board-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'floor.db'}"
        return asyncio.run(measure(url, args))


def on_postgresql(args: argparse.Namespace) -> dict[str, Any]:
    cluster = None
    server = args.pg_url or os.environ.get("AGENT_CONSOLE_TEST_PG_URL")
    if server is None:
        import pg_throwaway

        cluster = pg_throwaway.start(pg_throwaway.scratch_dir("floor-board-pg-"))
        server = cluster.url
    name = "floor_board_" + uuid.uuid4().hex[:10]
    try:
        asyncio.run(pg_exec(server, f"CREATE DATABASE {name}"))
        try:
            url = str(DatabaseURL(server).replace(database=name))
            result = asyncio.run(measure(url, args))
            result["server"] = "throw-away" if cluster is not None else "given"
            return result
        finally:
            asyncio.run(pg_exec(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        if cluster is not None:
            cluster.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", action="append", choices=("sqlite", "postgresql"))
    ap.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave the seed's and imports' objects to the garbage collector's full collections",
    )
    ap.add_argument("--pg-url", help="a PostgreSQL server (the bench makes its own database)")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    backends = args.only or ["sqlite", "postgresql"]
    result: dict[str, Any] = {
        "agents": args.agents,
        "sessions": args.sessions,
        "runs": args.runs,
        "target_ms": TARGET_MS,
        "load_before": os.getloadavg(),
        "calibration_s_before": round(calibrate(), 3),
    }
    for backend in backends:
        result[backend] = on_sqlite(args) if backend == "sqlite" else on_postgresql(args)
    result["load_after"] = os.getloadavg()
    result["calibration_s_after"] = round(calibrate(), 3)
    result["pass"] = all(
        m["pass"] for b in backends for m in [*result[b]["statements"].values(), result[b]["floor"]]
    )
    out = json.dumps(result, indent=2)
    print(out)
    if args.out:
        Path(args.out).write_text(out + "\n", encoding="utf-8")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
