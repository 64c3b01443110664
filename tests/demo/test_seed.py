"""The seed: realistic, consistent (check() is clean), deterministic, and safe to run twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from agent_console.demo.seed import SeedReport, count_rows, seed
from agent_console.demo.texts import HOSTILE
from agent_console.domain.channels import CHANNELS, channel
from agent_console.domain.vocab import ActorKind, Permission, SessionStatus, Surface
from agent_console.services.agents import add_agent, get_agent, list_agents
from agent_console.services.bulk import bulk_end
from agent_console.services.check import check
from agent_console.services.context import Ctx
from agent_console.services.conversations import inbound
from agent_console.services.listing import SessionFilter, count_sessions, list_sessions
from agent_console.services.routing import route
from agent_console.services.runtime import open_ctx
from agent_console.services.timers import sweep
from agent_console.services.views import to_json
from agent_console.store.models import Customer, EndRecord, Message, Session
from conftest import FakeClock, drop_pg_database, new_pg_database

EVERYTHING = SessionFilter()


async def _all(c: Ctx, flt: SessionFilter = EVERYTHING) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        page = await list_sessions(c, flt, limit=1000, after=after, order="oldest")
        rows.extend(to_json(r) for r in page.rows)
        if page.next_after is None:
            return rows
        after = page.next_after


async def _rows(c: Ctx, sql: str) -> list[Any]:
    async with c.db.read() as conn:
        return list((await conn.execute(text(sql))).all())


@pytest.fixture
async def twin(ctx: Ctx, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Ctx]:
    """A second, empty database on the same backend as ``ctx``, on the same clock."""
    if ctx.db.is_sqlite:
        other = await open_ctx(f"sqlite+aiosqlite:///{tmp_path / 'twin.db'}", clock=clock)
        try:
            yield other
        finally:
            await other.db.dispose()
        return
    url, name = await asyncio.to_thread(new_pg_database)
    other = await open_ctx(url, clock=clock)
    try:
        yield other
    finally:
        await other.db.dispose()
        await asyncio.to_thread(drop_pg_database, name)


async def test_small_seed_is_consistent_and_covers_everything(ctx: Ctx) -> None:
    report = await seed(ctx, sessions=300)
    assert isinstance(report, SeedReport)
    assert (report.agents, report.sessions) == (8, 300)
    assert await check(ctx) == []

    counts = await count_rows(ctx)
    assert counts["sessions"] == 300
    assert counts["messages"] == report.messages
    assert counts["agents"] == 8

    rows = await _all(ctx)
    assert len(rows) == 300
    assert {r["status"] for r in rows} == {s.value for s in SessionStatus}
    assert {r["channel"] for r in rows} == {c.id for c in CHANNELS}
    assert {r["capacity_model"] for r in rows} == {"tab-based", "status-based"}
    assert {r["initiated_by"] for r in rows} == {"customer", "agent"}
    # Inactive exists only under status-based capacity.
    assert {r["capacity_model"] for r in rows if r["status"] == "Inactive"} == {"status-based"}
    # Live sessions of both models, owned and queued.
    for status in ("Active", "Waiting"):
        assert {r["capacity_model"] for r in rows if r["status"] == status} == {
            "tab-based",
            "status-based",
        }
    # R2: some ended sessions still hold their units because their tab is open.
    assert any(r["status"] == "Ended" and r["tab_open"] and r["units_held"] for r in rows)
    # R7: agent-initiated sessions nobody answered, with their timer still pending.
    now = ctx.now().isoformat()
    pending = [r for r in rows if r["auto_end_at"] is not None]
    assert pending
    assert all(r["initiated_by"] == "agent" and r["status"] != "Ended" for r in pending)
    assert all(r["auto_end_at"] > now for r in pending)
    # Every row is in the past; ids follow creation time.
    assert all(r["created_at"] <= now for r in rows)
    assert [r["created_at"] for r in rows] == sorted(r["created_at"] for r in rows)


async def test_ends_of_every_kind_with_transcript_line_and_csat(ctx: Ctx) -> None:
    await seed(ctx, sessions=300)
    kinds = {(r.actor_kind, r.surface) for r in await _rows(ctx, "SELECT * FROM end_records")}
    assert kinds == {
        (ActorKind.AGENT.value, Surface.CONVERSATION.value),
        (ActorKind.AGENT.value, Surface.LIST.value),
        (ActorKind.AGENT.value, Surface.ROW.value),
        (ActorKind.LOGOUT.value, Surface.LOGOUT.value),
        (ActorKind.TIMER.value, Surface.TIMER.value),
        (ActorKind.MACRO.value, Surface.MACRO.value),
        (ActorKind.TRIGGER.value, Surface.TRIGGER.value),
    }
    # R3: the row menu ends standard channels only.
    rows = await _rows(
        ctx,
        "SELECT s.channel FROM end_records e JOIN sessions s ON s.id = e.session_id "
        "WHERE e.surface = 'row'",
    )
    assert all(channel(r.channel).is_standard for r in rows)
    # R12: the transcript line names who ended it, at the end time (HH:MM).
    lines = await _rows(
        ctx,
        "SELECT m.text, e.actor_kind, e.actor, e.at FROM messages m "
        "JOIN end_records e ON e.session_id = m.session_id "
        "WHERE m.author_kind = 'system' AND m.text LIKE 'Session ended by %'",
    )
    assert len(lines) == 240
    for line in lines:
        at = line.at if isinstance(line.at, str) else line.at.isoformat(" ")
        assert line.text.endswith(f" at {at[11:16]} UTC")
        if line.actor_kind == "logout":
            assert f"by {line.actor} (logout) at" in line.text
        if line.actor_kind == "timer":
            assert "no reply from the customer" in line.text
    # R9: CSAT requests only for sessions an agent ended, once each.
    csat = await _rows(
        ctx,
        "SELECT c.session_id, e.actor_kind, e.agent_id FROM csat_requests c "
        "JOIN end_records e ON e.session_id = c.session_id",
    )
    assert csat
    assert all(c.actor_kind in ("agent", "logout", "macro") and c.agent_id for c in csat)
    # R10: escalated sessions say where they went.
    escalated = await _rows(ctx, "SELECT id FROM sessions WHERE escalated_to = 'Tier 2'")
    assert escalated


async def test_messages_are_realistic_and_hostile_text_is_stored_as_is(ctx: Ctx) -> None:
    await seed(ctx, sessions=300)
    per_session = await _rows(
        ctx,
        "SELECT session_id, COUNT(*) AS n FROM messages WHERE author_kind <> 'system' "
        "GROUP BY session_id",
    )
    assert len(per_session) == 300
    assert {r.n for r in per_session} <= set(range(1, 7))
    texts = [r.text for r in await _rows(ctx, "SELECT text FROM messages")]
    hostile = [t for t in texts if t in HOSTILE]
    assert hostile, "no hostile message was seeded"
    assert any("\x1b" in t for t in texts)
    assert any("[/" in t for t in texts)
    assert any("\n" in t for t in texts)
    # Nothing that looks hostile was altered on the way in.
    assert all(t in HOSTILE for t in texts if "\x1b" in t or "[@click" in t)
    # Customer messages are written by the customer, agent messages by an agent.
    authors = await _rows(
        ctx,
        "SELECT m.author_kind, m.author, c.name AS customer FROM messages m "
        "JOIN sessions s ON s.id = m.session_id JOIN customers c ON c.id = s.customer_id "
        "WHERE m.author_kind = 'customer'",
    )
    assert all(a.author == a.customer for a in authors)


async def test_dana_is_an_online_admin_with_every_permission(ctx: Ctx) -> None:
    await seed(ctx, sessions=50)
    dana = await get_agent(ctx, "dana")
    assert dana.is_admin
    assert set(dana.permissions) == {p.value for p in Permission}
    assert (dana.capacity, dana.presence, dana.logged_in) == (5, "Online", True)
    agents = await list_agents(ctx)
    assert len(agents) == 8
    assert all(3 <= a.capacity <= 8 for a in agents)
    assert all(a.used <= a.capacity for a in agents)
    assert len({tuple(a.permissions) for a in agents}) >= 4
    assert {(a.presence, a.logged_in) for a in agents} >= {
        ("Online", True),
        ("Busy", True),
        ("Offline", False),
    }
    # Logged-out agents own nothing live (R6); offline ones keep only status-based work (R5).
    for a in agents:
        live = await _all(ctx, SessionFilter(owner=a.name, statuses=("Active", "Inactive")))
        if not a.logged_in:
            assert live == []
        elif a.presence == "Offline":
            assert {r["capacity_model"] for r in live} <= {"status-based"}


async def test_same_seed_gives_the_same_sessions(ctx: Ctx, twin: Ctx) -> None:
    await seed(ctx, sessions=200, seed=7)
    await seed(twin, sessions=200, seed=7)
    first, second = await _all(ctx), await _all(twin)
    assert first == second
    assert (await count_rows(ctx)) == (await count_rows(twin))
    texts = "SELECT session_id, author_kind, author, text, created_at FROM messages ORDER BY id"
    assert await _rows(ctx, texts) == await _rows(twin, texts)


async def test_another_seed_gives_other_sessions(ctx: Ctx, twin: Ctx) -> None:
    await seed(ctx, sessions=100, seed=1)
    await seed(twin, sessions=100, seed=2)
    assert await _all(ctx) != await _all(twin)


async def test_seeding_twice_stays_consistent(ctx: Ctx) -> None:
    first = await seed(ctx, sessions=200)
    second = await seed(ctx, sessions=200, seed=1)
    assert await check(ctx) == []
    counts = await count_rows(ctx)
    assert counts["sessions"] == 400
    assert counts["messages"] == first.messages + second.messages
    assert counts["agents"] == 8  # reused by name
    async with ctx.db.read() as conn:
        names = (await conn.scalars(select(Customer.name))).all()
        ids = (await conn.scalars(select(Session.id).order_by(Session.id))).all()
    assert len(names) == len(set(names)) == counts["customers"]
    assert list(ids) == list(range(1, 401))
    # One live session per customer and channel, as inbound() expects.
    dupes = await _rows(
        ctx,
        "SELECT customer_id, channel FROM sessions WHERE status <> 'Ended' "
        "GROUP BY customer_id, channel HAVING COUNT(*) > 1",
    )
    assert dupes == []
    for a in await list_agents(ctx):
        assert a.used <= a.capacity


async def test_seed_on_a_database_that_already_has_rows(ctx: Ctx) -> None:
    await add_agent(ctx, "amir", capacity=2, permissions=["messaging_agent"])
    before = await inbound(ctx, "Ana Silva", "standard_sms", "hello from before the seed")
    report = await seed(ctx, sessions=150)
    assert await check(ctx) == []
    amir = await get_agent(ctx, "amir")
    assert (amir.capacity, amir.permissions) == (2, ["messaging_agent"])  # reused as it was
    assert amir.used <= amir.capacity
    async with ctx.db.read() as conn:
        ids = (await conn.scalars(select(Session.id).order_by(Session.id))).all()
    assert ids[0] == before.session_id
    assert len(ids) == report.sessions + 1
    # The sequences moved past the seeded ids: the next session gets a fresh id.
    after = await inbound(ctx, "Somebody New", "enhanced_sms", "hi after the seed")
    assert after.new_session and after.session_id > max(ids)
    assert await check(ctx) == []


async def test_seeded_data_works_with_the_services(ctx: Ctx, clock: FakeClock) -> None:
    await seed(ctx, sessions=300, live=0.4)
    waiting = await count_sessions(ctx, SessionFilter(statuses=("Waiting",)))
    assert waiting > 20
    # Bulk End Sessions from the list (R3, R11) by an agent allowed to.
    report = await bulk_end(ctx, "dana", flt=SessionFilter(statuses=("Waiting",)))
    assert report.ended == waiting
    assert await check(ctx) == []
    # Routing only what fits, then the R7 sweep ends the unanswered agent-initiated ones.
    await route(ctx)
    assert await check(ctx) == []
    pending = await count_sessions(ctx, SessionFilter(statuses=("Active",)))
    clock.advance(hours=60)
    ended = await sweep(ctx)
    assert ended and all(e.result == "ended" for e in ended)
    assert await count_sessions(ctx, SessionFilter(statuses=("Active",))) == pending - len(ended)
    assert await check(ctx) == []


async def test_live_share_and_progress(ctx: Ctx) -> None:
    seen: list[tuple[int, int]] = []
    report = await seed(
        ctx, sessions=1000, live=0.9, chunk=300, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(300, 1000), (600, 1000), (900, 1000), (1000, 1000)]
    assert report.sessions == 1000
    queued = await count_sessions(ctx, SessionFilter(statuses=("New", "Waiting")))
    assert queued >= 800
    assert await check(ctx) == []
    async with ctx.db.read() as conn:
        ends = await conn.scalar(select(func.count()).select_from(EndRecord))
        msgs = await conn.scalar(select(func.count()).select_from(Message))
    assert ends == await count_sessions(ctx, SessionFilter(statuses=("Ended",)))
    assert msgs == report.messages


async def test_empty_seed_and_bad_arguments(ctx: Ctx) -> None:
    report = await seed(ctx, sessions=0, agents=3)
    assert (report.agents, report.sessions, report.messages) == (3, 0, 0)
    assert [a.name for a in await list_agents(ctx)] == ["amir", "bea", "dana"]
    assert await check(ctx) == []
    with pytest.raises(ValueError, match="at least one agent"):
        await seed(ctx, agents=0)
    with pytest.raises(ValueError, match="sessions"):
        await seed(ctx, sessions=-1)
    with pytest.raises(ValueError, match="live"):
        await seed(ctx, live=1.5)


async def test_times_round_trip_like_the_services_write_them(ctx: Ctx, clock: FakeClock) -> None:
    clock.now = clock.now.replace(microsecond=123456)
    await seed(ctx, sessions=40)
    page = await list_sessions(ctx, limit=1000)
    assert page.rows
    for r in page.rows:
        assert r.created_at.tzinfo is not None
        assert r.created_at.microsecond == 123456
        assert r.created_at <= clock.now
        assert r.ended_at is None or r.created_at <= r.ended_at <= clock.now
    # Filters that compare a bound datetime with seeded ones agree with Python.
    recent = [r for r in page.rows if r.created_at >= clock.now - timedelta(hours=1)]
    assert await count_sessions(ctx, SessionFilter(max_age=timedelta(hours=1))) == len(recent)
