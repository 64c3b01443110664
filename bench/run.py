"""agent-console benchmarks: one run prints every number, its target, and PASS/FAIL.

    .venv/bin/python bench/run.py [--sessions 100000] [--runs 20] [--bulk 10000] [--profile]

Measured on SQLite in a temporary directory (WAL, synchronous=FULL, as the console runs):

* seeding ``--sessions`` sessions with ``demo.seed.seed`` (target <= 10 s for 100,000);
* a 200-row filtered keyset page (``listing.list_sessions``) of those sessions: page 1 and a
  deep page via ``after=``, median of ``--runs`` runs (target <= 20 ms);
* ``bulk.bulk_end`` of ``--bulk`` Waiting sessions, against a lower bound measured in the same
  run on a copy of the same database: the same rows written with plain stdlib ``sqlite3``
  ``executemany``, 500 per transaction, same pragmas (target: <= 2x the bound).

On PostgreSQL, only when ``AGENT_CONSOLE_TEST_PG_URL`` is set: 4 router processes assign
4,000 Waiting sessions to 200 Online agents of capacity 20 (target >= 500 assignments/s and
zero double assignments, checked with ``check.check`` and the routers' own outputs).

Results also go to ``bench/results/latest.json``. ``--profile`` adds a cProfile summary of
the seed and of the bulk end (where the time goes).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from agent_console.demo.seed import count_rows, seed
from agent_console.domain.channels import CHANNELS
from agent_console.domain.ending import Actor, end_line
from agent_console.domain.ending import Agent as AgentFacts
from agent_console.domain.vocab import Permission
from agent_console.services.bulk import bulk_end
from agent_console.services.check import check
from agent_console.services.context import Ctx
from agent_console.services.listing import SessionFilter, list_sessions
from agent_console.services.runtime import open_ctx
from agent_console.store.models import Agent, Customer, Session
from agent_console.store.url import DatabaseURL

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PAGE = 200
BOUND_CHUNK = 500


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: str
    passed: bool
    detail: dict[str, Any] = field(default_factory=dict)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def sa_time(at: datetime) -> str:
    """The text SQLAlchemy stores for a UTC datetime on SQLite."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def profile_text(prof: cProfile.Profile, limit: int = 25) -> str:
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


async def profiled(
    enabled: bool, label: str, notes: list[str], fn: Callable[[], Awaitable[Any]]
) -> Any:
    if not enabled:
        return await fn()
    prof = cProfile.Profile()
    prof.enable()
    try:
        return await fn()
    finally:
        prof.disable()
        notes.append(f"--- cProfile: {label} (top by cumulative time) ---\n{profile_text(prof)}")


# -- SQLite ------------------------------------------------------------------------------------


async def bench_seed(
    work: Path, sessions: int, repeat: int, prof: bool, notes: list[str]
) -> tuple[Result, Path]:
    """Seed ``repeat`` fresh databases; the best time counts, every time is shown."""
    times: list[float] = []
    last = work / "seeded-0.db"
    for i in range(repeat):
        path = work / f"seeded-{i}.db"
        ctx = await open_ctx(f"sqlite+aiosqlite:///{path}", clock=FixedClock(T0))
        try:
            started = time.perf_counter()
            report = await profiled(
                prof and i == 0, "seed", notes, lambda c=ctx: seed(c, sessions=sessions)
            )
            times.append(time.perf_counter() - started)
            if i == repeat - 1:
                counts = await count_rows(ctx)
                violations = await check(ctx)
        finally:
            await ctx.db.dispose()
        if i < repeat - 1:
            path.unlink()
        last = path
    target = 10.0 * sessions / 100_000
    best = min(times)
    return (
        Result(
            f"seed {sessions:,} sessions (SQLite, best of {repeat})",
            best,
            "s",
            f"<= {target:g} s" + ("" if sessions == 100_000 else " (scaled)"),
            best <= target and not violations,
            {
                "runs_s": [round(t, 2) for t in times],
                "rows": counts,
                "check_violations": len(violations),
                "report": asdict(report),
            },
        ),
        last,
    )


async def bench_listing(path: Path, runs: int) -> list[Result]:
    ctx = await open_ctx(f"sqlite+aiosqlite:///{path}", clock=FixedClock(T0))
    out: list[Result] = []
    try:
        flt = SessionFilter(statuses=("Ended",), channels=("enhanced_whatsapp",))
        async with ctx.db.read() as conn:
            matching = int(
                await conn.scalar(
                    select(func.count())
                    .select_from(Session)
                    .where(Session.status == "Ended", Session.channel == "enhanced_whatsapp")
                )
                or 0
            )
            # A page deep in the list: newest first, after ~80% of the matching rows.
            deep_after = await conn.scalar(
                select(Session.id)
                .where(Session.status == "Ended", Session.channel == "enhanced_whatsapp")
                .order_by(Session.id.desc())
                .offset(max(0, min(int(matching * 0.8), matching - PAGE - 1)))
                .limit(1)
            )
        for label, after in (("page 1", None), ("deep page", deep_after)):
            times = []
            rows = 0
            for i in range(runs + 2):
                started = time.perf_counter()
                page = await list_sessions(ctx, flt, limit=PAGE, after=after)
                elapsed = (time.perf_counter() - started) * 1000
                rows = len(page.rows)
                if i >= 2:  # two warm-up runs
                    times.append(elapsed)
            median = statistics.median(times)
            out.append(
                Result(
                    f"list_sessions 200-row {label}, status+channel filter",
                    median,
                    "ms",
                    "<= 20 ms",
                    median <= 20.0 and rows == PAGE,
                    {
                        "filter": "status=Ended channel=enhanced_whatsapp",
                        "matching_rows": matching,
                        "after": after,
                        "rows": rows,
                        "runs": runs,
                        "min_ms": min(times),
                        "max_ms": max(times),
                    },
                )
            )
    finally:
        await ctx.db.dispose()
    return out


def copy_db(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


def waiting_ids(path: Path, count: int) -> list[int]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT id FROM sessions WHERE status = 'Waiting' ORDER BY id LIMIT ?", (count,)
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def lower_bound(path: Path, ids: list[int], agent: str) -> float:
    """The same rows bulk_end writes, with stdlib sqlite3 executemany, 500 per transaction."""
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
        con.execute(f"PRAGMA {pragma}")
    agent_id, perms, is_admin = con.execute(
        "SELECT id, permissions, is_admin FROM agents WHERE name = ?", (agent,)
    ).fetchone()
    facts = AgentFacts(agent_id, agent, frozenset(Permission(p) for p in perms.split()), is_admin)
    now = T0
    at = sa_time(now)
    line = end_line(Actor.of_agent(facts), now)
    started = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    cur = con.execute(
        "INSERT INTO bulk_operations (agent_id, surface, selection, status, total, ended, "
        "skipped, created_at, heartbeat_at) VALUES (?, 'list', ?, 'running', ?, 0, 0, ?, ?)",
        (agent_id, json.dumps({"ids": ids}), len(ids), at, at),
    )
    bulk_id = cur.lastrowid
    con.executemany(
        "INSERT INTO bulk_items (bulk_id, seq, session_id) VALUES (?, ?, ?)",
        [(bulk_id, i, sid) for i, sid in enumerate(ids)],
    )
    con.execute("COMMIT")
    for start in range(0, len(ids), BOUND_CHUNK):
        part = ids[start : start + BOUND_CHUNK]
        con.execute("BEGIN IMMEDIATE")
        con.executemany(
            "UPDATE sessions SET status = 'Ended', ended_at = ? WHERE id = ?",
            [(at, sid) for sid in part],
        )
        con.executemany(
            "INSERT INTO end_records (session_id, actor_kind, actor, agent_id, surface, reason, "
            "at, bulk_id) VALUES (?, 'agent', ?, ?, 'list', '', ?, ?)",
            [(sid, agent, agent_id, at, bulk_id) for sid in part],
        )
        con.executemany(
            "INSERT INTO messages (session_id, author_kind, author, text, created_at, "
            "visible_to_customer) VALUES (?, 'system', 'system', ?, ?, 1)",
            [(sid, line, at) for sid in part],
        )
        con.executemany(
            "UPDATE bulk_items SET result = 'ended', reason = 'ended' "
            "WHERE bulk_id = ? AND seq = ?",
            [(bulk_id, start + i) for i in range(len(part))],
        )
        con.execute("COMMIT")
    seconds = time.perf_counter() - started
    con.close()
    return seconds


async def bench_bulk(
    seeded: Path, workdir: Path, count: int, repeat: int, prof: bool, notes: list[str]
) -> list[Result]:
    """Bound and bulk_end alternately on fresh copies, ``repeat`` times; best against best."""
    ids = waiting_ids(seeded, count)
    if len(ids) < count:
        raise SystemExit(f"the seeded database has only {len(ids)} Waiting sessions")
    bounds: list[float] = []
    runs: list[float] = []
    for i in range(repeat):
        bulk_db, bound_db = workdir / f"bulk-{i}.db", workdir / f"bound-{i}.db"
        copy_db(seeded, bound_db)
        bounds.append(lower_bound(bound_db, ids, "dana"))
        bound_db.unlink()
        copy_db(seeded, bulk_db)
        ctx = await open_ctx(f"sqlite+aiosqlite:///{bulk_db}", clock=FixedClock(T0))
        try:
            started = time.perf_counter()
            report = await profiled(
                prof and i == 0, "bulk_end", notes, lambda c=ctx: bulk_end(c, "dana", ids=ids)
            )
            runs.append(time.perf_counter() - started)
            if report.ended != count:
                raise SystemExit(f"bulk_end ended {report.ended} of {count}: {report.status}")
            if i == repeat - 1:
                violations = await check(ctx)
        finally:
            await ctx.db.dispose()
        bulk_db.unlink()
    seconds, bound = min(runs), min(bounds)
    ratio = seconds / bound if bound else float("inf")
    return [
        Result(
            f"bulk_end {count:,} of the seeded sessions (SQLite, best of {repeat})",
            seconds,
            "s",
            "<= 2x bound",
            ratio <= 2.0 and not violations,
            {
                "runs_s": [round(t, 2) for t in runs],
                "ended": report.ended,
                "skipped": report.skipped,
                "check_violations": len(violations),
                "per_session_ms": round(seconds * 1000 / count, 3),
            },
        ),
        Result(
            "  lower bound: stdlib sqlite3 executemany, same rows",
            bound,
            "s",
            "(reference)",
            True,
            {
                "runs_s": [round(t, 2) for t in bounds],
                "writes": "INSERT bulk_operations + bulk_items; per 500: UPDATE sessions "
                "status/ended_at, INSERT end_records, INSERT messages, UPDATE bulk_items",
            },
        ),
        Result(
            "  ratio bulk_end / bound",
            ratio,
            "x",
            "<= 2x",
            ratio <= 2.0,
            {"per_run": [round(r / b, 2) for r, b in zip(runs, bounds, strict=True)]},
        ),
    ]


# -- PostgreSQL routing ------------------------------------------------------------------------


async def _pg_exec(url: str, *statements: str) -> None:
    import asyncpg

    dsn = DatabaseURL(url).asyncpg_dsn()
    conn = await asyncpg.connect(dsn)
    try:
        for stmt in statements:
            await conn.execute(stmt)
    finally:
        await conn.close()


async def _routing_setup(ctx: Ctx, agents: int, capacity: int, sessions: int) -> None:
    now = T0
    perms = " ".join(sorted(p.value for p in Permission))
    async with ctx.db.write() as conn:
        await conn.execute(
            insert(Agent),
            [
                {
                    "name": f"router-agent-{i:03d}",
                    "capacity": capacity,
                    "used_units": 0,
                    "permissions": perms,
                    "is_admin": False,
                    "presence": "Online",
                    "logged_in": True,
                    "created_at": now,
                }
                for i in range(agents)
            ],
        )
        await conn.execute(
            insert(Customer),
            [{"name": f"Router Customer {i}", "created_at": now} for i in range(sessions)],
        )
        customer_ids = (await conn.scalars(select(Customer.id).order_by(Customer.id))).all()
        await conn.execute(
            insert(Session),
            [
                {
                    "customer_id": cid,
                    "channel": CHANNELS[i % len(CHANNELS)].id,
                    "status": "Waiting",
                    "owner_id": None,
                    "initiated_by": "customer",
                    "capacity_model": "tab-based",
                    "units": 1,
                    "units_held": 0,
                    "tab_open": False,
                    "created_at": now - timedelta(seconds=sessions - i),
                    "last_message_at": now - timedelta(seconds=sessions - i),
                    "customer_replied": True,
                    "version": 1,
                }
                for i, cid in enumerate(customer_ids)
            ],
        )


def last_error(stderr: str) -> str:
    """The exception lines of a traceback, shortened (parameter dumps can be huge)."""
    lines = [ln for ln in stderr.splitlines() if "Error" in ln or "Exception" in ln]
    return " | ".join(ln[:300] for ln in lines[-3:]) or stderr[-500:]


def run_routers(url: str, routers: int) -> tuple[list[dict[str, Any]], float]:
    """Start the router processes, wait until each is connected, start them together."""
    worker = HERE / "router_worker.py"
    procs = [
        subprocess.Popen(
            [sys.executable, str(worker), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(routers)
    ]
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline().strip()
        if line != "ready":
            err = p.stderr.read() if p.stderr else ""
            raise SystemExit(f"router did not start: {line!r} {last_error(err)}")
    go = time.time()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        if p.returncode != 0:
            raise SystemExit(f"router failed ({p.returncode}): {last_error(err)}")
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    return outputs, go


async def bench_routing(pg_url: str, routers: int = 4) -> list[Result]:
    agents, capacity, sessions = 200, 20, 4000
    name = "bench_" + uuid.uuid4().hex[:10]
    await _pg_exec(pg_url, f"CREATE DATABASE {name}")
    url = str(DatabaseURL(pg_url).replace(database=name))
    try:
        ctx = await open_ctx(url, clock=FixedClock(T0))
        try:
            await _routing_setup(ctx, agents, capacity, sessions)
        finally:
            await ctx.db.dispose()

        outputs, go = await asyncio.to_thread(run_routers, url, routers)
        finished = max(o["finished"] for o in outputs)
        elapsed = finished - go

        ctx = await open_ctx(url, clock=FixedClock(T0))
        try:
            violations = await check(ctx)
            async with ctx.db.read() as conn:
                active = int(
                    await conn.scalar(
                        select(func.count()).select_from(Session).where(Session.status == "Active")
                    )
                    or 0
                )
                over = int(
                    await conn.scalar(
                        select(func.count())
                        .select_from(Agent)
                        .where(Agent.used_units > Agent.capacity)
                    )
                    or 0
                )
        finally:
            await ctx.db.dispose()
    finally:
        await _pg_exec(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    ids = [sid for o in outputs for sid in o["ids"]]
    doubles = len(ids) - len(set(ids))
    rate = len(set(ids)) / elapsed if elapsed > 0 else 0.0
    errors = [e for o in outputs for e in o["errors"]]
    detail = {
        "routers": routers,
        "agents": agents,
        "capacity": capacity,
        "sessions": sessions,
        "assigned_by_routers": len(ids),
        "per_router": [len(o["ids"]) for o in outputs],
        "active_after": active,
        "agents_over_capacity": over,
        "check_violations": [asdict(v) for v in violations[:10]],
        "router_errors": errors[:10],
        "router_error_count": len(errors),
        "seconds": elapsed,
    }
    ok = not violations and active == sessions and len(set(ids)) == sessions and over == 0
    return [
        Result(
            f"routing {sessions:,} sessions, {routers} routers (PostgreSQL)",
            rate,
            "assign/s",
            ">= 500/s",
            ok and rate >= 500,
            detail,
        ),
        Result(
            "  double assignments",
            float(doubles),
            "",
            "== 0",
            doubles == 0 and not violations,
        ),
    ]


# -- the run -----------------------------------------------------------------------------------


def calibrate() -> float:
    """Seconds for a fixed pure-Python loop: how fast this (shared) machine is right now."""

    def work() -> int:
        d: dict[int, int] = {}
        total = 0
        for i in range(1_000_000):
            total += i * 3 % 7
            d[i & 1023] = total
        return total

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def fmt(v: float, unit: str) -> str:
    if unit == "ms":
        return f"{v:.2f} ms"
    if unit == "s":
        return f"{v:.2f} s"
    if unit == "x":
        return f"{v:.2f}x"
    if unit == "assign/s":
        return f"{v:,.0f}/s"
    return f"{v:g}"


def print_table(results: list[Result]) -> None:
    width = max(len(r.name) for r in results) + 2
    print(f"\n{'benchmark':{width}} {'measured':>14}  {'target':<14} result")
    print("-" * (width + 40))
    for r in results:
        verdict = "" if r.target == "(reference)" else ("PASS" if r.passed else "FAIL")
        print(f"{r.name:{width}} {fmt(r.value, r.unit):>14}  {r.target:<14} {verdict}")


async def run_sqlite(args: argparse.Namespace, notes: list[str]) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="agent-console-bench-") as tmp:
        work = Path(tmp)
        print(f"seeding {args.sessions:,} sessions x{args.repeat} ...", flush=True)
        result, seeded = await bench_seed(work, args.sessions, args.repeat, args.profile, notes)
        results.append(result)
        print(f"  {result.detail['runs_s']} s", flush=True)
        print("listing ...", flush=True)
        results.extend(await bench_listing(seeded, args.runs))
        print(f"bulk end of {args.bulk:,} sessions ...", flush=True)
        results.extend(await bench_bulk(seeded, work, args.bulk, args.repeat, args.profile, notes))
    return results


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20, help="runs for each listing median")
    ap.add_argument("--bulk", type=int, default=10_000, help="sessions to bulk-end")
    ap.add_argument(
        "--repeat", type=int, default=3, help="seed and bulk-end runs (the best counts)"
    )
    ap.add_argument("--profile", action="store_true", help="cProfile the seed and the bulk end")
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL even if configured")
    ap.add_argument("--no-sqlite", action="store_true", help="only the PostgreSQL routing run")
    ap.add_argument("--routers", type=int, default=4, help="router processes on PostgreSQL")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    notes: list[str] = []
    results: list[Result] = []
    load_before = os.getloadavg()
    speed_before = calibrate()
    print(
        f"agent-console bench: Python {platform.python_version()} on {os.cpu_count()} CPUs, "
        f"load average {load_before[0]:.2f}, calibration loop {speed_before * 1000:.0f} ms "
        "(0.12 s on a quiet machine; other processes share it)"
    )
    if not args.no_sqlite:
        results.extend(await run_sqlite(args, notes))
    pg_url = os.environ.get("AGENT_CONSOLE_TEST_PG_URL")
    if pg_url and not args.no_pg:
        print(f"routing on PostgreSQL with {args.routers} routers ...", flush=True)
        results.extend(await bench_routing(pg_url, args.routers))
    else:
        print("routing on PostgreSQL: skipped (set AGENT_CONSOLE_TEST_PG_URL)")

    load_after = os.getloadavg()
    speed_after = calibrate()
    print_table(results)
    for r in results:
        if r.detail:
            print(f"\n{r.name.strip()}:")
            for k, v in r.detail.items():
                print(f"  {k}: {v}")
    for note in notes:
        print("\n" + note)
    print(
        f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f}; calibration "
        f"loop before {speed_before * 1000:.0f} ms, after {speed_after * 1000:.0f} ms"
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_average": {"before": load_before, "after": load_after},
                "calibration_s": {"before": speed_before, "after": speed_after},
                "args": {k: str(v) for k, v in vars(args).items()},
                "results": [asdict(r) for r in results],
                "all_passed": all(r.passed for r in results),
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    print(f"results written to {args.out}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
