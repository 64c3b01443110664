"""Gateways as real processes (``agent-console gateway``): kill -9 during delivery loses
nothing and, to a receiver that dedupes by ``event_id``, delivers nothing twice; two gateways
on one PostgreSQL deliver each of 2,000 events exactly once, in order per session."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from agent_console.services import agents, channels, conversations, listing, routing
from agent_console.services.context import Ctx
from agent_console.services.listing import SessionFilter
from agent_console.store.models import OutboxEvent

from .conftest import ADMIN, SMS, Receiver, team, until

pytestmark = pytest.mark.slow
ADDRESS = re.compile(r"gateway on (http://127\.0\.0\.1:\d+)")


@dataclass
class GatewayProcess:
    proc: asyncio.subprocess.Process
    base_url: str
    log: list[str] = field(default_factory=list)
    drain: asyncio.Task[None] | None = None


@contextlib.asynccontextmanager
async def gateway_process(url: str, home: Path, *extra: str) -> AsyncIterator[GatewayProcess]:
    """``agent-console gateway`` on a free port, ready (answers /healthz) when yielded."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agent_console.cli.main", "--db", url, "gateway",
        "--host", "127.0.0.1", "--port", "0", "--log-level", "warning", *extra,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "AGENT_CONSOLE_HOME": str(home)},
    )  # fmt: skip
    assert proc.stderr is not None
    log: list[str] = []
    base_url = ""
    try:
        async with asyncio.timeout(30):
            while not base_url:
                line = (await proc.stderr.readline()).decode(errors="replace")
                if not line:
                    raise AssertionError(f"the gateway exited: {''.join(log)}")
                log.append(line)
                if found := ADDRESS.search(line):
                    base_url = found.group(1)

        async def drain() -> None:
            assert proc.stderr is not None
            async for raw in proc.stderr:
                log.append(raw.decode(errors="replace"))

        running = GatewayProcess(proc, base_url, log, asyncio.create_task(drain()))
        async with httpx.AsyncClient(base_url=base_url) as http:

            async def healthy() -> bool:
                try:
                    return (await http.get("/healthz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await until(healthy, within=30, what="the gateway to answer /healthz")
        yield running
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def seed_events(ctx: Ctx, receiver: Receiver, sessions: int, per_session: int) -> int:
    """``sessions`` SMS sessions owned by dana, each with ``per_session`` replies (events)."""
    await team(ctx)
    await agents.set_agent(ctx, ADMIN, capacity=sessions + 5)
    receiver.secret = (await channels.connect(ctx, SMS, receiver.url, admin=ADMIN)).secret
    for s in range(sessions):
        await conversations.inbound(ctx, f"customer {s}", SMS, "hello")
    await routing.route(ctx)
    sids = sorted(await _owned(ctx))
    assert len(sids) == sessions
    for i in range(per_session):
        for sid in sids:
            await conversations.send(ctx, ADMIN, sid, f"reply {i}")
    return sessions * per_session


async def _owned(ctx: Ctx) -> list[int]:
    page = await listing.list_sessions(ctx, SessionFilter(owner=ADMIN), limit=10_000)
    return [r.id for r in page.rows]


async def delivered(ctx: Ctx) -> int:
    async with ctx.db.read() as conn:
        return int(
            await conn.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.state == "delivered")
            )
            or 0
        )


def check_order(receiver: Receiver) -> None:
    """Each session's events arrived (first arrivals) in the order they were written."""
    first_seen: dict[str, int] = {}
    per_session: dict[int, list[int]] = defaultdict(list)
    for got in receiver.got:
        event_id = got.event["event_id"]
        if event_id in first_seen:
            continue
        first_seen[event_id] = len(first_seen)
        per_session[got.event["session_id"]].append(int(event_id.removeprefix("evt_")))
    for session_id, ids in per_session.items():
        assert ids == sorted(ids), f"session {session_id} out of order: {ids}"


async def test_kill_9_during_delivery_loses_nothing_and_the_retry_is_deduped(
    ctx: Ctx, db_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    total = await seed_events(ctx, receiver, sessions=30, per_session=10)
    receiver.delay = 0.03  # deliveries are under way when the process dies
    lease = ("--lease", "3", "--timeout", "1", "--no-route")
    async with gateway_process(db_url, tmp_path, *lease) as first:
        await receiver.wait_for(60, within=60)
        first.proc.send_signal(signal.SIGKILL)
        await first.proc.wait()
    killed_at = len(receiver.got)
    assert killed_at < total, "everything was delivered before the kill: nothing was tested"
    receiver.delay = 0.0
    async with gateway_process(db_url, tmp_path, *lease):

        async def all_delivered() -> bool:
            return await delivered(ctx) == total

        await until(all_delivered, within=90, what=f"all {total} events delivered")

    ids = [r.event["event_id"] for r in receiver.got]
    assert len(set(ids)) == total  # nothing lost
    duplicates = len(ids) - total
    print(f"killed after {killed_at} POSTs; {duplicates} delivered again after the restart")
    # Only events in flight at the kill can come twice (their POST arrived, their record did
    # not): at most one claimed batch.
    assert 0 <= duplicates <= 200, duplicates
    assert all(r.signature_ok for r in receiver.got)
    check_order(receiver)


@pytest.mark.pg
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_gateways_on_postgresql_deliver_2000_events_exactly_once_in_order(
    ctx: Ctx, db_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    total = await seed_events(ctx, receiver, sessions=200, per_session=10)
    assert total == 2000
    async with (
        gateway_process(db_url, tmp_path, "--no-route") as one,
        gateway_process(db_url, tmp_path, "--no-route") as two,
    ):

        async def all_delivered() -> bool:
            return await delivered(ctx) == total

        started = asyncio.get_running_loop().time()
        await until(all_delivered, within=120, what="2,000 events delivered")
        took = asyncio.get_running_loop().time() - started
        assert one.proc.returncode is None and two.proc.returncode is None
    ids = [r.event["event_id"] for r in receiver.got]
    assert len(ids) == total and len(set(ids)) == total  # exactly once
    assert all(r.signature_ok and r.status == 200 for r in receiver.got)
    check_order(receiver)
    print(f"2,000 events by two gateways in {took:.1f} s")
