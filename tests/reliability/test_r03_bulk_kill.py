"""Row 3 -- a bulk end killed with SIGKILL at 10 random moments, resumed each time.

Invariant: after every kill each selected session is either untouched (Active, no end record,
no end line, its bulk row pending) or fully ended by this operation (Ended, one end record
naming the operation, one end line, its bulk row ``ended``) -- never half-ended; the operation
shows ``interrupted`` once its heartbeat is stale and is listed as unfinished; resuming ends
the rest and nothing ends twice.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from agent_console.domain.vocab import Permission
from agent_console.services import agents, bulk
from agent_console.services.context import Ctx

from .support import (
    SEED,
    Zygote,
    end_record_counts,
    finish_with_check,
    invariants_hold,
    seed_active,
)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

N = 1500
KILLS = 10
CHUNK = 20
#: Chunks a run may end before the one it is killed in: 10 kills end at most 1,000 of 1,500.
MAX_CHUNKS_BEFORE = 4
P = Permission

ROW_STATES = text(
    """
    SELECT s.status,
           (SELECT COUNT(*) FROM end_records e WHERE e.session_id = s.id) AS records,
           (SELECT COUNT(*) FROM end_records e WHERE e.session_id = s.id AND e.bulk_id = :b)
               AS by_bulk,
           (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id
               AND m.author_kind = 'system' AND m.text LIKE 'Session ended by %') AS lines,
           b.result
    FROM bulk_items b JOIN sessions s ON s.id = b.session_id
    WHERE b.bulk_id = :b"""
)
UNTOUCHED = ("Active", 0, 0, 0, None)
ENDED = ("Ended", 1, 1, 1, "ended")


async def row_states(ctx: Ctx, bulk_id: int) -> Counter[tuple[object, ...]]:
    async with ctx.db.read() as conn:
        rows = (await conn.execute(ROW_STATES, {"b": bulk_id})).all()
    return Counter(tuple(r) for r in rows)


def later(ctx: Ctx) -> Ctx:
    """The same database seen 31 s from now: past the bulk heartbeat's staleness limit."""
    return Ctx(db=ctx.db, clock=lambda: datetime.now(UTC) + bulk.STALE_AFTER * 1.05)


async def run_and_kill(
    zygote: Zygote,
    db_url: str,
    bulk_id: int,
    fifos: Path,
    chunks: int,
    rng: random.Random,
    per_chunk: float,
) -> float:
    """Run the bulk end through a gate: ``chunks`` chunks, then one more during which it is
    killed at a random moment (mid-transaction, or once it waits at the gate again). Returns
    how long a chunk took (``per_chunk`` when it ran only one).

    A run killed at a random wall-clock moment ended what a loaded machine let it: on CI,
    beside a busy core, all 1,500 rows before the tenth kill."""
    os.mkdir(fifos)
    for name in ("allowed", "committed"):
        os.mkfifo(fifos / name)
    # Both ends of each: opening one waits for no other process.
    allow = os.open(fifos / "allowed", os.O_RDWR)
    told = os.open(fifos / "committed", os.O_RDWR)
    pid: int | None = None
    gone: int | None = None  # the run's pidfd: readable once it has ended
    try:
        os.write(allow, b"c" * chunks)
        pid = zygote.spawn(
            "run-bulk", db_url, "--bulk-id", str(bulk_id), "--chunk", str(CHUNK),
            "--gate", str(fifos),
        )  # fmt: skip
        gone = os.pidfd_open(pid)
        try:
            seen = await asyncio.wait_for(commits(told, chunks), 60)
        except TimeoutError:
            raise AssertionError(
                f"the resumed bulk end made no progress: {zygote.stderr()}"
            ) from None
        if chunks > 1:  # how long a chunk takes here, now
            per_chunk = (seen[-1] - seen[0]) / (chunks - 1)
        os.write(allow, b"c")
        await asyncio.sleep(rng.uniform(0, 2 * per_chunk))  # the random moment
        os.kill(pid, signal.SIGKILL)
        await asyncio.wait_for(readable(gone), 30)
        pid = None
    finally:  # a failed assertion above leaves no run waiting at its gate either
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        for fd in (allow, told, gone):
            if fd is not None:
                os.close(fd)
    return per_chunk


async def commits(told: int, count: int) -> list[float]:
    """When each of the run's next ``count`` chunk commits was told (a byte each)."""
    seen: list[float] = []
    while len(seen) < count:
        await readable(told)
        os.read(told, 1)
        seen.append(time.monotonic())
    return seen


async def readable(fd: int) -> None:
    """Until ``fd`` is readable (a FIFO with a byte in it; a pidfd once its process ended)."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(fd)


async def test_bulk_end_killed_ten_times_resumes_nothing_twice(
    live: Ctx, db_url: str, tmp_path: Path
) -> None:
    """Invariant: untouched or fully ended after each kill; interrupted; resumed exactly once."""
    rng = random.Random(SEED)
    owners = [
        await agents.add_agent(live, f"rep{i}", capacity=1000, permissions=[P.MESSAGING_AGENT])
        for i in range(3)
    ]
    await agents.add_agent(live, "sup", permissions=[P.END_MESSAGING_SESSION])
    ids = await seed_active(live, N, owners)
    bulk_id = await bulk.start_bulk(live, "sup", ids=ids)

    kills: list[int] = []
    cut = 0  # kills before the run's last chunk committed
    per_chunk = 0.04  # seconds, until measured
    zygote = Zygote(tmp_path)
    started = time.perf_counter()
    for attempt in range(KILLS):
        before = (await bulk.bulk_report(live, bulk_id, with_results=False)).ended
        chunks = rng.randint(1, MAX_CHUNKS_BEFORE)
        per_chunk = await run_and_kill(
            zygote, db_url, bulk_id, tmp_path / f"gate-{attempt}", chunks, rng, per_chunk
        )

        states = await row_states(live, bulk_id)
        assert set(states) <= {UNTOUCHED, ENDED}, states
        report = await bulk.bulk_report(live, bulk_id, with_results=False)
        assert report.ended == states[ENDED] and report.pending == states[UNTOUCHED]
        assert report.status == "running"  # its heartbeat is still fresh...
        stale = await bulk.bulk_report(later(live), bulk_id, with_results=False)
        assert stale.status == "interrupted"  # ...and stale a little later: nobody runs it
        assert [b.bulk_id for b in await bulk.unfinished_bulks(later(live))] == [bulk_id]
        assert report.pending > 0, "the bulk end finished before it was killed"
        await invariants_hold(live)
        kills.append(report.ended)
        cut += report.ended == before + chunks * CHUNK  # its last chunk had not committed

    zygote.close()
    assert "Traceback" not in zygote.stderr(), zygote.stderr()
    final = await bulk.run_bulk(live, bulk_id, chunk=CHUNK)
    elapsed = time.perf_counter() - started
    assert final.status == "completed" and final.pending == 0
    assert final.ended == final.total == N and final.skipped == 0
    assert Counter(r.session_id for r in final.results) == Counter(ids)
    assert await row_states(live, bulk_id) == Counter({ENDED: N})
    assert await end_record_counts(live) == dict.fromkeys(ids, 1)
    assert await bulk.unfinished_bulks(later(live)) == []
    await finish_with_check(live, db_url)
    print(
        f"\nkilled {KILLS} times at {kills} of {N} ended ({cut} before the chunk in flight "
        f"committed); {elapsed:.1f} s"
    )
