"""What row-level security costs on PostgreSQL (issue 15): the list page, End Chat and a
10,000-session bulk end, each by an agent's own login, with the deployment's policies and
guard triggers on and off, in one run.

    .venv/bin/python bench/rls_bench.py [--sessions 100000] [--bulk 10000] [--repeats 5]

A throw-away PostgreSQL (``scripts/pg_throwaway.py``) unless ``--url`` names a superuser's.
The demo seed (``--sessions``) with exactly ``--bulk`` sessions Waiting, roles set up
(``db roles``) and a login for every agent is made once, as a template; each run clones it
(``CREATE DATABASE ... TEMPLATE``), so every bulk end starts from the same rows. "off" is
row-level security disabled on the tables and the guard triggers off: the same logins, the
same privileges, no policies. Measured by agents' own logins (the ender is an agent with
``end_messaging_session``, not an admin, so the policies and triggers that apply to agents
are the ones on the path):

- the list page: the first page of 50 with the count, as the Messaging Sessions list opens;
  20 per clone, on and off alternating on the same clone (each after one untimed call: the
  plans are made again after each switch);
- End Chat: up to 200 live sessions per clone, each ended by its owner's login: half of each
  owner's in each mode on the same clone, the first of each half untimed (after a switch
  PostgreSQL plans every statement again; a console up a while does not);
- the bulk end: "status Waiting" from the list, by the ender, start to report; one per clone,
  the clones alternating on and off.

Prints a table and JSON (``--out``): medians per mode and the ratio on/off (target <= 1.10).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import asyncpg  # type: ignore[import-untyped]

from agent_console.demo.seed import seed
from agent_console.services import ending, listing, logins
from agent_console.services.bulk.operation import bulk_end
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.services.session_filter import SessionFilter
from agent_console.store.url import DatabaseURL

RLS_TABLES = ("sessions", "agents", "messages", "drafts", "read_markers", "agent_preferences")
GUARDED = ("sessions", "agents")
TARGET = 1.10


async def _exec(url: str, *statements: str, database: str | None = None) -> None:
    conn = await asyncpg.connect(DatabaseURL(url).asyncpg_dsn(database))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _fetch(url: str, query: str, database: str) -> list[Any]:
    conn = await asyncpg.connect(DatabaseURL(url).asyncpg_dsn(database))
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


async def make_template(
    url: str, name: str, sessions: int, bulk: int, prefix: str
) -> dict[str, str]:
    """The seeded database with its roles; the agents' login passwords by agent."""
    await _exec(url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    db_url = str(DatabaseURL(url).replace(database=name))
    ctx = await open_ctx(db_url)
    try:
        started = time.perf_counter()
        await seed(ctx, sessions=sessions)
        print(f"seeded {sessions} sessions in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        await ctx.db.dispose()
    await _exec(
        url,
        "UPDATE sessions SET status = 'New' WHERE status = 'Waiting' AND id NOT IN "
        f"(SELECT id FROM sessions WHERE status = 'Waiting' ORDER BY id LIMIT {bulk})",
        database=name,
    )
    waiting = (
        await _fetch(url, "SELECT count(*) AS n FROM sessions WHERE status = 'Waiting'", name)
    )[0]["n"]
    if waiting != bulk:
        raise SystemExit(f"only {waiting} Waiting sessions for a bulk end of {bulk}: seed more")
    ctx = await open_ctx(db_url)
    passwords: dict[str, str] = {}
    try:
        await logins.set_up_roles(ctx, prefix, prefix)
        for row in await _fetch(url, "SELECT name FROM agents ORDER BY id", name):
            _login, passwords[row["name"]] = await logins.add_login(ctx, row["name"])
    finally:
        await ctx.db.dispose()
    await _exec(url, "VACUUM ANALYZE", database=name)
    return passwords


async def _ender(url: str, database: str) -> str:
    rows = await _fetch(
        url,
        "SELECT name FROM agents WHERE NOT is_admin "
        "AND permissions LIKE '%end_messaging_session%' ORDER BY id LIMIT 1",
        database,
    )
    if not rows:
        raise SystemExit("the seed has no non-admin agent with end_messaging_session")
    return str(rows[0]["name"])


async def _set_policies(owner: Any, on: bool) -> None:
    """Row-level security and the guard triggers on or off (the owner's connection)."""
    rls, trigger = ("ENABLE", "ENABLE") if on else ("DISABLE", "DISABLE")
    for table in RLS_TABLES:
        await owner.execute(f"ALTER TABLE {table} {rls} ROW LEVEL SECURITY")
    for table in GUARDED:
        await owner.execute(f"ALTER TABLE {table} {trigger} TRIGGER ac_guard")


async def one_run(
    url: str, template: str, prefix: str, passwords: dict[str, str], bulk_policies: bool
) -> dict[str, dict[str, list[float]]]:
    """On one clone: list pages and End Chats alternating on and off (the same rows, the same
    caches), then the bulk end with ``bulk_policies``."""
    clone = "rls_" + uuid.uuid4().hex[:10]
    await _exec(url, f"CREATE DATABASE {clone} TEMPLATE {template}")
    out: dict[str, dict[str, list[float]]] = {
        "on": {"list_page_ms": [], "end_chat_ms": [], "bulk_end_s": []},
        "off": {"list_page_ms": [], "end_chat_ms": [], "bulk_end_s": []},
    }
    owner = await asyncpg.connect(DatabaseURL(url).asyncpg_dsn(clone))
    try:
        base = DatabaseURL(url).replace(database=clone)

        def login(agent: str) -> str:
            return str(base.replace(username=prefix + agent, password=passwords[agent]))

        ender = await _ender(url, clone)
        owned = await _fetch(
            url,
            "SELECT s.id, a.name FROM sessions s JOIN agents a ON a.id = s.owner_id "
            "WHERE s.status IN ('Active', 'Inactive') ORDER BY s.id LIMIT 200",
            clone,
        )
        ctxs: dict[str, Ctx] = {}
        try:
            for agent in {ender, *(r["name"] for r in owned)}:
                ctxs[agent] = await open_ctx(login(agent), create=False)
                await listing.count_sessions(ctxs[agent])  # connected before any timing
            me = ctxs[ender]
            for i in range(20):
                mode = "on" if i % 2 == 0 else "off"
                await _set_policies(owner, mode == "on")
                await listing.list_sessions(me, listing.EVERY_SESSION, with_total=True)
                t = time.perf_counter()
                await listing.list_sessions(me, listing.EVERY_SESSION, with_total=True)
                out[mode]["list_page_ms"].append((time.perf_counter() - t) * 1000)
            # End Chat, on and off on the same clone (the clone's mode first, then the other):
            # each owner's half of its live sessions in each mode, the first of each half
            # untimed -- the switch made PostgreSQL plan every statement again, and the first
            # End Chat after it pays for that, as no End Chat of a console up a while does.
            by_owner: dict[str, list[int]] = {}
            for row in owned:
                by_owner.setdefault(row["name"], []).append(row["id"])
            first = bulk_policies
            for phase, on in enumerate((first, not first)):
                mode = "on" if on else "off"
                await _set_policies(owner, on)
                for agent, ids in by_owner.items():
                    half = ids[phase::2]
                    for n, sid in enumerate(half):
                        t = time.perf_counter()
                        await ending.end_session(ctxs[agent], agent, sid)
                        if n:
                            out[mode]["end_chat_ms"].append((time.perf_counter() - t) * 1000)
            await _set_policies(owner, bulk_policies)
            t = time.perf_counter()
            report = await bulk_end(me, ender, flt=SessionFilter(statuses=("Waiting",)))
            out[mode]["bulk_end_s"].append(time.perf_counter() - t)
            if report.ended == 0:
                raise SystemExit(f"the bulk end ended nothing: {report}")
        finally:
            for ctx in ctxs.values():
                await ctx.db.dispose()
        return out
    finally:
        await owner.close()
        await _exec(url, f"DROP DATABASE IF EXISTS {clone} WITH (FORCE)")


async def bench(url: str, sessions: int, bulk: int, repeats: int) -> dict[str, Any]:
    prefix = "rb" + uuid.uuid4().hex[:6] + "_"
    template = "rls_template_" + uuid.uuid4().hex[:6]
    try:
        passwords = await make_template(url, template, sessions, bulk, prefix)
        runs: dict[str, dict[str, list[float]]] = {
            mode: {"list_page_ms": [], "end_chat_ms": [], "bulk_end_s": []}
            for mode in ("on", "off")
        }
        for i in range(repeats):
            order = (True, False) if i % 2 == 0 else (False, True)
            for bulk_policies in order:
                got = await one_run(url, template, prefix, passwords, bulk_policies)
                for mode in ("on", "off"):
                    for key, values in got[mode].items():
                        runs[mode][key].extend(values)
                print(f"run {i + 1}, bulk end {'on' if bulk_policies else 'off'}: done", flush=True)
    finally:
        await _exec(url, f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
        conn = await asyncpg.connect(DatabaseURL(url).asyncpg_dsn())
        try:
            for row in await conn.fetch(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE $1", prefix + "%"
            ):
                await conn.execute(f'DROP ROLE IF EXISTS "{row["rolname"]}"')
        finally:
            await conn.close()
    out: dict[str, Any] = {"sessions": sessions, "bulk": bulk, "repeats": repeats, "runs": runs}
    for key in ("list_page_ms", "end_chat_ms", "bulk_end_s"):
        on = statistics.median(runs["on"][key])
        off = statistics.median(runs["off"][key])
        out[key] = {"on": round(on, 3), "off": round(off, 3), "ratio": round(on / off, 3)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--bulk", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--url", help="a PostgreSQL superuser's URL (default: a throw-away cluster)")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    import pg_throwaway

    with pg_throwaway.given_or_started(args.url, prefix="rls-pg-") as url:
        result = asyncio.run(bench(url, args.sessions, args.bulk, args.repeats))
    print()
    print(f"{'measure':<14} {'policies on':>12} {'off':>10} {'ratio':>7}  target <= {TARGET}")
    for key, unit in (("list_page_ms", "ms"), ("end_chat_ms", "ms"), ("bulk_end_s", "s")):
        m = result[key]
        verdict = "PASS" if m["ratio"] <= TARGET else "FAIL"
        on, off = f"{m['on']:>9.2f} {unit:<2}", f"{m['off']:>7.2f} {unit:<2}"
        print(f"{key:<14} {on} {off} {m['ratio']:>6.2f}x  {verdict}")
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
