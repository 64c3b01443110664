"""Real processes against one database: racing ends, racing routers, a bulk end killed mid-way.

Each test starts ``worker.py`` processes with :class:`subprocess.Popen`; racing workers open the
database, say they are ready, and all start when the test creates the "go" file. Every worker
must exit 0 (but the one killed on purpose) and never report "database is locked".
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from agent_console.domain.vocab import Permission, Presence
from agent_console.services import agents, bulk, check, conversations, presence
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.store.models import Agent, EndRecord, Message, Session
from shared import processes
from shared.sessions import seed_active

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("worker.py")
P = Permission


class Worker(processes.Worker):
    """A worker of this folder: done within 2 minutes, never "database is locked"."""

    def finish(self, timeout: float = 120) -> list[Any]:
        return super().finish(timeout)

    def stderr(self) -> str:
        err = super().stderr()
        assert "database is locked" not in err, f"{self.name}: {err}"
        return err


def start(
    tmp: Path, name: str, command: str, url: str, *args: str, go: Path | None = None
) -> processes.Worker:
    return processes.start_worker(WORKER, tmp, name, command, url, *args, go=go, kind=Worker)


def release(workers: Sequence[processes.Worker], go: Path, timeout: float = 60) -> None:
    """Wait until every worker has its database open, then let them all go at once."""
    processes.release(workers, go, timeout)


@pytest.fixture
async def live(db_url: str) -> AsyncIterator[Ctx]:
    """The test's own view of the database, on the real clock (the workers use it too)."""
    ctx = await open_ctx(db_url)
    try:
        yield ctx
    finally:
        await ctx.db.dispose()


async def end_counts(ctx: Ctx) -> dict[int, int]:
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            select(EndRecord.session_id, func.count()).group_by(EndRecord.session_id)
        )
        return dict(rows.all())


# -- a) two processes end the same 200 sessions -------------------------------------------


async def test_two_processes_end_the_same_sessions_exactly_once(
    live: Ctx, db_url: str, tmp_path: Path
) -> None:
    t0 = time.perf_counter()
    await agents.add_agent(live, "ann", capacity=1000, permissions=[P.MESSAGING_AGENT])
    await agents.add_agent(live, "sup", permissions=[P.END_MESSAGING_SESSION])
    for i in range(200):
        await conversations.inbound(live, f"cust{i:03}", "standard_sms", "hello")
    routed = await presence.set_presence(live, "ann", Presence.ONLINE)
    ids = sorted(a.session_id for a in routed.rerouted)
    assert len(ids) == 200
    ids_file = tmp_path / "ids.json"
    ids_file.write_text(json.dumps(ids))

    print(f"\nsetup {time.perf_counter() - t0:.2f}s")
    go = tmp_path / "go"
    # sup ends them from the list (no ownership needed); ann, their owner, by End Chat,
    # one transaction each, from the other end -- they meet in the middle.
    by_list = start(
        tmp_path, "bulk", "bulk-end", db_url, "--agent", "sup", "--ids-file", str(ids_file),
        "--chunk", "10", go=go,
    )  # fmt: skip
    by_hand = start(
        tmp_path, "each", "end-each", db_url, "--agent", "ann", "--ids-file", str(ids_file),
        "--reverse", go=go,
    )  # fmt: skip
    release([by_list, by_hand], go)
    list_out = by_list.finish()
    hand_out = by_hand.finish()

    report = list_out[-1]["result"]
    assert report["status"] == "completed" and report["pending"] == 0
    assert report["total"] == 200 == report["ended"] + report["skipped"]
    outcomes: dict[int, list[tuple[str, str, str]]] = {sid: [] for sid in ids}
    for r in report["results"]:
        outcomes[r["session_id"]].append(("sup", r["result"], r["reason"]))
    for r in hand_out[-1]["result"]:
        outcomes[r["session_id"]].append(("ann", r["result"], r["reason"]))

    ended_by: dict[int, str] = {}
    for sid, got in outcomes.items():
        assert len(got) == 2, (sid, got)
        ended = [who for who, result, _ in got if result == "ended"]
        skipped = [(who, why) for who, result, why in got if result == "skipped"]
        assert len(ended) == 1 and len(skipped) == 1, (sid, got)
        assert skipped[0][1].startswith(f"already ended by {ended[0]} "), (sid, got)
        ended_by[sid] = ended[0]

    assert await end_counts(live) == dict.fromkeys(ids, 1)
    async with live.db.read() as conn:
        records = (await conn.execute(select(EndRecord))).all()
    for rec in records:
        assert rec.actor == ended_by[rec.session_id]
        assert rec.surface == ("list" if rec.actor == "sup" else "conversation")
    assert await check.check(live) == []
    split = Counter(ended_by.values())
    print(
        f"\nended by bulk: {split['sup']}, by End Chat: {split['ann']};"
        f" worker seconds {list_out[-1]['seconds']} / {hand_out[-1]['seconds']}"
    )


# -- b) four routers at once ----------------------------------------------------------------
# Far more work than room: the routers race for the last free units. Batches of several
# sessions make each transaction reserve capacity on several agents, in the order each
# router's own view of free capacity suggests.
CAPACITIES = (1, 2, 3, 4, 5, 6) * 2
WAITING, BATCH = 150, 10


async def test_four_routers_never_over_assign(live: Ctx, db_url: str, tmp_path: Path) -> None:
    names = [f"rep{i}" for i in range(len(CAPACITIES))]
    for name, capacity in zip(names, CAPACITIES, strict=True):
        await agents.add_agent(live, name, capacity=capacity, permissions=[P.MESSAGING_AGENT])
        await presence.set_presence(live, name, Presence.ONLINE)  # nothing to route yet
    for i in range(WAITING):
        await conversations.inbound(live, f"cust{i:03}", "standard_sms", "hello")

    go = tmp_path / "go"
    batch = ["--batch", str(BATCH)]
    routers = [start(tmp_path, f"router{i}", "route", db_url, *batch, go=go) for i in range(4)]
    release(routers, go)
    outputs = [r.finish() for r in routers]

    assigned: list[tuple[int, str]] = [
        (a["session_id"], a["agent"]) for out in outputs for a in out[-1]["result"]
    ]
    per_session = Counter(sid for sid, _ in assigned)
    assert all(n == 1 for n in per_session.values()), per_session.most_common(3)
    assert len(assigned) == sum(CAPACITIES)

    views = {a.name: a for a in await agents.list_agents(live)}
    for name in names:
        assert views[name].used == views[name].capacity, views[name]
    async with live.db.read() as conn:
        owned = (
            await conn.execute(
                select(Session.id, Agent.name)
                .join(Agent, Agent.id == Session.owner_id)
                .where(Session.status == "Active")
            )
        ).all()
    assert sorted(owned) == sorted(assigned)
    assert await check.check(live) == []
    print("\nassigned per router:", [len(out[-1]["result"]) for out in outputs])


# -- c) a bulk end killed with SIGKILL, then resumed ----------------------------------------


async def row_states(ctx: Ctx, bulk_id: int) -> Counter[tuple[str, int, int, bool]]:
    """Per session: (status, end records, "Session ended by" lines, ended by this bulk)."""
    async with ctx.db.read() as conn:
        ends = dict((await conn.execute(select(EndRecord.session_id, EndRecord.bulk_id))).all())
        lines = dict(
            (
                await conn.execute(
                    select(Message.session_id, func.count())
                    .where(Message.author_kind == "system", Message.text.like("Session ended by %"))
                    .group_by(Message.session_id)
                )
            ).all()
        )
        statuses = (await conn.execute(select(Session.id, Session.status))).all()
    return Counter(
        (status, int(sid in ends), lines.get(sid, 0), ends.get(sid) == bulk_id)
        for sid, status in statuses
    )


async def test_bulk_end_killed_mid_way_resumes_to_completion(
    live: Ctx, db_url: str, tmp_path: Path
) -> None:
    owners = [
        await agents.add_agent(live, f"rep{i}", capacity=1000, permissions=[P.MESSAGING_AGENT])
        for i in range(4)
    ]
    await agents.add_agent(live, "sup", permissions=[P.END_MESSAGING_SESSION])
    ids = await seed_active(live, 3000, owners, prefix="bulk")
    assert len(ids) == 3000 and await check.check(live) == []
    ids_file = tmp_path / "ids.json"
    ids_file.write_text(json.dumps(ids))

    victim = start(
        tmp_path, "victim", "bulk-end", db_url, "--agent", "sup", "--ids-file", str(ids_file),
        "--chunk", "100",
    )  # fmt: skip
    assert victim.proc.stdout is not None
    first = victim.proc.stdout.readline()
    assert first, f"the bulk end printed nothing: {victim.stderr()}"
    bulk_id = json.loads(first)["bulk_id"]
    deadline = time.monotonic() + 60
    while True:
        seen = await bulk.bulk_report(live, bulk_id, with_results=False)
        if seen.ended > 0 and seen.pending > 0:
            os.kill(victim.proc.pid, signal.SIGKILL)
            break
        assert seen.pending > 0, "the bulk end finished before it could be killed"
        assert time.monotonic() < deadline and victim.proc.poll() is None, victim.stderr()
        await asyncio.sleep(0.002)
    assert victim.proc.wait(timeout=30) == -signal.SIGKILL
    victim.proc.communicate()
    victim.stderr()  # never "database is locked"

    # Every row is untouched or fully ended -- by this operation -- never half-ended.
    states = await row_states(live, bulk_id)
    assert set(states) <= {("Active", 0, 0, False), ("Ended", 1, 1, True)}, states
    ended_so_far = states[("Ended", 1, 1, True)]
    assert 0 < ended_so_far < 3000
    report = await bulk.bulk_report(live, bulk_id)
    assert report.status == "running"  # the heartbeat is fresh
    assert report.ended == ended_so_far == sum(r.result == "ended" for r in report.results)
    assert report.skipped == 0 and report.pending == 3000 - ended_so_far
    later = Ctx(db=live.db, clock=lambda: datetime.now(UTC) + timedelta(seconds=31))
    stale = await bulk.bulk_report(later, bulk_id, with_results=False)
    assert stale.status == "interrupted"
    assert [b.bulk_id for b in await bulk.unfinished_bulks(later)] == [bulk_id]
    assert await check.check(live) == []

    resumer = start(
        tmp_path, "resume", "run-bulk", db_url, "--bulk-id", str(bulk_id), "--chunk", "100"
    )
    final = resumer.finish()[-1]["result"]
    assert final["status"] == "completed" and final["pending"] == 0
    assert final["ended"] + final["skipped"] == final["total"] == 3000
    assert final["ended"] == 3000  # every row was endable; none ended twice
    assert Counter(r["session_id"] for r in final["results"]) == Counter(ids)
    assert await end_counts(live) == dict.fromkeys(ids, 1)
    assert await row_states(live, bulk_id) == Counter({("Ended", 1, 1, True): 3000})
    assert await bulk.unfinished_bulks(live) == []
    assert await check.check(live) == []
    print(f"\nkilled after {ended_so_far} of 3000 ended")
