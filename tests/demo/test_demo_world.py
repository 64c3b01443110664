"""The living demo's world: deterministic for a seed and a clock, lively at a readable pace,
and always inside the rules (invariants hold, nobody is over capacity, R7 timers fire)."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from agent_console.demo.seed import seed
from agent_console.demo.world import DemoWorld, Pace
from agent_console.services import agents, check, listing
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from conftest import FakeClock, drop_pg_database, new_pg_database

TICK = 3  # seconds between ticks, as in the console
TABLES = ("agents", "customers", "sessions", "messages", "end_records", "csat_requests", "changes")


async def _dump(ctx: Ctx) -> dict[str, list[tuple[Any, ...]]]:
    async with ctx.db.read() as conn:
        return {
            table: [tuple(r) for r in (await conn.execute(text(f"SELECT * FROM {table}"))).all()]
            for table in TABLES
        }


async def _sorted_dump(ctx: Ctx) -> dict[str, list[str]]:
    return {t: sorted(map(repr, rows)) for t, rows in (await _dump(ctx)).items()}


async def _live(ctx: Ctx, clock: FakeClock, ticks: int, world_seed: int) -> list[list[str]]:
    """Seed a small deployment and let the world run ``ticks`` ticks; its transcript."""
    await seed(ctx, agents=6, sessions=60, seed=world_seed)
    world = DemoWorld(ctx, world_seed)
    transcript = []
    for _ in range(ticks):
        clock.advance(seconds=TICK)
        transcript.append(await world.tick(clock()))
    return transcript


@pytest.fixture
async def other_ctx(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[Ctx, FakeClock]]:
    """A second, empty database on the same backend as ``ctx``, with its own fake clock."""
    clock = FakeClock()
    name = None
    if db_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    else:
        url, name = await asyncio.to_thread(new_pg_database)
    c = await open_ctx(url, clock=clock)
    try:
        yield c, clock
    finally:
        await c.db.dispose()
        if name is not None:
            await asyncio.to_thread(drop_pg_database, name)


async def test_same_seed_and_clock_give_the_same_calls_and_the_same_database(
    ctx: Ctx, clock: FakeClock, other_ctx: tuple[Ctx, FakeClock]
) -> None:
    first = await _live(ctx, clock, 40, world_seed=3)
    ctx_b, clock_b = other_ctx
    second = await _live(ctx_b, clock_b, 40, world_seed=3)
    assert first == second
    assert sum(len(lines) for lines in first) > 20  # it did live
    assert await _sorted_dump(ctx) == await _sorted_dump(ctx_b)


async def test_another_seed_lives_differently(
    ctx: Ctx, clock: FakeClock, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("one backend is enough to see two seeds differ")
    first = await _live(ctx, clock, 20, world_seed=3)
    other_clock = FakeClock()
    c = await open_ctx(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", clock=other_clock)
    try:
        await seed(c, agents=6, sessions=60, seed=3)  # same data, another world
        world = DemoWorld(c, 4)
        second = []
        for _ in range(20):
            other_clock.advance(seconds=TICK)
            second.append(await world.tick(other_clock()))
    finally:
        await c.db.dispose()
    assert first != second


async def test_many_ticks_keep_the_invariants_and_nobody_is_over_capacity(
    ctx: Ctx, clock: FakeClock
) -> None:
    await seed(ctx, agents=8, sessions=120, seed=5)
    world = DemoWorld(ctx, 5)
    everything: list[str] = []
    for n in range(1, 161):  # eight minutes of demo
        clock.advance(seconds=TICK)
        everything += await world.tick(clock())
        if n % 20 == 0:
            assert await check.check(ctx) == []
            for agent in await agents.list_agents(ctx):
                assert agent.used <= agent.capacity, agent
    joined = "\n".join(everything)
    # It lived: customers wrote, work was routed to the demo agent, a colleague finished a
    # chat, a quiet customer's session went Inactive, and an R7 timer fired.
    assert re.search(r"wrote in S-\d+: ", joined)
    assert re.search(r"routed to dana", joined)
    assert re.search(r"ended S-\d+", joined)
    assert "went quiet: Inactive" in joined
    assert "ended by its R7 timer" in joined


async def test_a_readable_pace_at_most_one_customer_line_per_tick_into_the_agents_sessions(
    ctx: Ctx, clock: FakeClock
) -> None:
    await seed(ctx, agents=6, sessions=60, seed=2)
    world = DemoWorld(ctx, 2)
    me = await agents.get_agent(ctx, "dana")
    for _ in range(60):
        clock.advance(seconds=TICK)
        lines = await world.tick(clock())
        writes = [line for line in lines if re.search(r" wrote in S-\d+", line)]
        assert len(writes) <= 1, lines
    # What dana sees arrive at one moment: a line in a session of hers, plus at most the
    # opening line of a session routed to her in the same tick.
    async with ctx.db.read() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT m.created_at FROM messages m JOIN sessions s ON s.id = m.session_id "
                    "WHERE s.owner_id = :dana AND m.author_kind = 'customer' "
                    "AND m.created_at > :start"
                ),
                {"dana": me.id, "start": FakeClock().now.replace(tzinfo=None)},
            )
        ).all()
    per_moment = Counter(str(r[0]) for r in rows)
    assert per_moment and max(per_moment.values()) <= 2


async def test_r7_a_planted_follow_up_counts_down_and_the_timer_ends_it(
    ctx: Ctx, clock: FakeClock
) -> None:
    await seed(ctx, agents=4, sessions=20, seed=1)
    world = DemoWorld(ctx, 1, pace=Pace(timer_due_in=(60, 60)))
    clock.advance(seconds=TICK)
    lines = await world.tick(clock())
    [planted] = [line for line in lines if "R7 timer runs out in 60 s" in line]
    session_id = int(re.match(r"S-(\d+):", planted).group(1))  # type: ignore[union-attr]
    detail = await listing.show_session(ctx, session_id)
    assert (detail.session.status, detail.session.owner) == ("Active", "dana")
    assert detail.session.initiated_by == "agent"
    assert detail.session.auto_end_at == clock() + timedelta(seconds=60)

    clock.advance(seconds=57)
    assert not any("ended by its R7" in line for line in await world.tick(clock()))
    clock.advance(seconds=TICK)
    assert f"S-{session_id} ended by its R7 timer: the customer never replied" in (
        await world.tick(clock())
    )
    detail = await listing.show_session(ctx, session_id)
    assert detail.end is not None and (detail.end.actor_kind, detail.end.surface) == (
        "timer",
        "timer",
    )
    assert detail.messages[-1].text.startswith("Session ended by ")
    assert await check.check(ctx) == []


async def test_a_quiet_customer_goes_inactive_only_after_the_quiet_spell(
    ctx: Ctx, clock: FakeClock
) -> None:
    """Status-based capacity: quiet sessions free their units, but not the moment they arrive."""
    await seed(ctx, agents=4, sessions=40, seed=1)
    quiet = Pace(
        goes_quiet=1.0,
        customer_writes=0.0,
        new_customer=0.0,
        follow_up=0.0,
        follow_up_at_start=False,
    )
    world = DemoWorld(ctx, 1, pace=quiet)
    clock.advance(seconds=TICK)
    first = await world.tick(clock())
    assert not any("went quiet" in line for line in first)
    went: list[str] = []
    for _ in range(30):
        clock.advance(seconds=TICK)
        went += [line for line in await world.tick(clock()) if "went quiet" in line]
    assert went, "a status-based session of dana's should have gone Inactive"
    session_id = int(re.match(r"S-(\d+) ", went[0]).group(1))  # type: ignore[union-attr]
    detail = await listing.show_session(ctx, session_id)
    assert (detail.session.status, detail.session.units_held) == ("Inactive", 0)
    assert await check.check(ctx) == []


async def test_a_customer_writing_through_a_channel_is_never_spoken_for(
    ctx: Ctx, clock: FakeClock
) -> None:
    """demo --gateway: a person plays a customer in the browser; the world never writes their
    lines, never marks their chat Inactive, and colleagues never end it."""
    from agent_console.services import channels, routing, settings

    await seed(ctx, agents=6, sessions=60, seed=3)
    await agents.set_agent(ctx, "dana", capacity=40)
    await channels.connect(ctx, "enhanced_web_chat_v2", "http://127.0.0.1:9/x", admin="dana")
    await settings.set_setting(ctx, "channel.enhanced_web_chat_v2.priority", "1", admin="dana")
    real = await channels.receive(ctx, "enhanced_web_chat_v2", "m1", "wc_1", "Webby", "hello")
    await routing.route(ctx)
    assert (await listing.show_session(ctx, real.session_id)).session.owner == "dana"
    world = DemoWorld(ctx, 3, pace=Pace(customer_writes=1.0, goes_quiet=0.0))
    for _ in range(60):
        clock.advance(seconds=TICK)
        await world.tick(clock())
    detail = await listing.show_session(ctx, real.session_id)
    assert [m.text for m in detail.messages] == ["hello"]
    assert detail.session.status == "Active"
