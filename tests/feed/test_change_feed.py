"""A console's poll of the change feed (services/change_feed.py): only what concerns it, in
one statement, never missing a change that committed late."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_console.domain.feed import ChangeKind, Interest
from agent_console.domain.vocab import Presence, Surface
from agent_console.services import agents, conversations, ending, routing
from agent_console.services.change_feed import ChangeFeed, changes_after, pg_changes_after
from agent_console.services.context import Ctx
from agent_console.services.presence import set_presence
from agent_console.store.change_log import flush_changes, record_changes
from agent_console.store.queries import agent_row

PERMS = ["messaging_agent", "end_messaging_session"]


async def agent_id(ctx: Ctx, name: str) -> int:
    async with ctx.db.read() as conn:
        return (await agent_row(conn, name)).id


async def test_a_change_to_one_agents_session_reaches_only_that_agents_feed(ctx: Ctx) -> None:
    for name in ("ann", "bob"):
        await agents.add_agent(ctx, name, permissions=PERMS)
    ann, bob = await agent_id(ctx, "ann"), await agent_id(ctx, "bob")
    feeds = {name: ChangeFeed(ctx) for name in ("ann", "bob")}
    interests = {"ann": Interest(agent_id=ann), "bob": Interest(agent_id=bob)}
    try:
        for name, feed in feeds.items():
            assert (await feed.poll(interests[name])).resync  # the first poll: everything
        await set_presence(ctx, "ann", Presence.ONLINE)
        r = await conversations.inbound(ctx, "cara", "standard_sms", "hi")
        await routing.route(ctx)  # to ann, the only one Online
        await conversations.inbound(ctx, "cara", "standard_sms", "still there?")
        got = await feeds["ann"].poll(interests["ann"])
        assert [(t.kind, t.session_id) for t in got.touches] == [
            (ChangeKind.PRESENCE, None),
            (ChangeKind.ASSIGNED, r.session_id),
            (ChangeKind.MESSAGE, r.session_id),
        ]  # not the inbound: a queued session is nobody's yet
        assert not got.resync
        assert not await feeds["bob"].poll(interests["bob"])
        await ending.end_session(ctx, "ann", r.session_id, Surface.CONVERSATION)
        assert [t.kind for t in (await feeds["ann"].poll(interests["ann"])).touches] == [
            ChangeKind.ENDED
        ]
        assert not await feeds["bob"].poll(interests["bob"])
        # A list open on bob's console: its count may change with any session.
        listing = Interest(agent_id=bob, any_session=True)
        await conversations.inbound(ctx, "dora", "standard_sms", "hello")
        assert [t.kind for t in (await feeds["bob"].poll(listing)).touches] == [ChangeKind.INBOUND]
    finally:
        for feed in feeds.values():
            await feed.close()


async def test_a_feed_that_lost_its_database_resyncs_when_it_is_back(ctx: Ctx) -> None:
    feed = ChangeFeed(ctx)
    try:
        await feed.poll(Interest())
        feed._lost = True  # what a StoreError from the poll leaves behind
        await agents.add_agent(ctx, "ann", permissions=PERMS)
        news = await feed.poll(Interest())
        assert news.resync
        assert not await feed.poll(Interest())
    finally:
        await feed.close()


rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(1, 5)),
        st.one_of(st.none(), st.integers(1, 4)),
        st.sampled_from(sorted(ChangeKind)),
    ),
    max_size=25,
)
interests = st.builds(
    Interest,
    agent_id=st.one_of(st.none(), st.integers(1, 4)),
    sessions=st.frozensets(st.integers(1, 5), max_size=3),
    any_session=st.booleans(),
    any_agent=st.booleans(),
)


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows, interest=interests)
async def test_the_database_asks_for_exactly_what_the_interest_concerns(
    ctx: Ctx, rows: list[tuple[int | None, int | None, ChangeKind]], interest: Interest
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    async with ctx.db.read() as conn:
        start, _, _ = await changes_after(conn, 0, Interest())
    async with ctx.db.write() as conn:
        for session, agent, kind in rows:
            await record_changes(conn, at, kind, [(session, agent)])
    async with ctx.db.read() as conn:
        newest, got, flooded = await changes_after(conn, start, interest)
        _, every, _ = await changes_after(conn, start, Interest(any_session=True, any_agent=True))
    assert newest == start + len(rows) if rows else newest == start
    assert not flooded
    assert [(t.session_id, t.agent_id, t.kind) for t in every] == rows
    assert got == interest.concerned(every)
    if not ctx.db.is_sqlite:  # the console's own poll there: the same rows
        async with ctx.db.bare() as conn:
            assert await pg_changes_after(conn, start, interest) == (newest, got, False)


async def test_a_flood_of_changes_asks_for_a_resync(ctx: Ctx) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    async with ctx.db.write() as conn:
        await record_changes(conn, at, ChangeKind.MESSAGE, [(1, 1)] * 3)
    async with ctx.db.read() as conn:
        newest, got, flooded = await changes_after(conn, 0, Interest(agent_id=1), limit=2)
    assert flooded and len(got) == 2 and newest >= 3


async def test_a_rolled_back_transaction_leaves_no_change(ctx: Ctx) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        async with ctx.db.write() as conn:
            await record_changes(conn, at, ChangeKind.MESSAGE, [(1, 1)])
            raise RuntimeError("rolled back")
    async with ctx.db.write() as conn:
        await record_changes(conn, at, ChangeKind.SETTINGS, [(None, None)])
    async with ctx.db.read() as conn:
        _, got, _ = await changes_after(conn, 0, Interest(any_session=True, any_agent=True))
    assert [t.kind for t in got] == [ChangeKind.SETTINGS]


async def test_a_change_that_commits_late_is_not_skipped(ctx: Ctx, db_url: str) -> None:
    """Writer 1 appends and has not committed yet; writer 2 appends and commits meanwhile.
    A poll in between must not move its cursor past writer 1's change (PostgreSQL: the
    append lock makes writer 2 wait; SQLite: writers take turns anyway)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's writers cannot overlap")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    everything = Interest(any_session=True, any_agent=True)
    async with ctx.db.read() as conn:
        cursor, _, _ = await changes_after(conn, 0, everything)
    async with ctx.db.engine.connect() as first, first.begin():
        await record_changes(first, at, ChangeKind.MESSAGE, [(1, 1)])
        await flush_changes(first)  # appended, not committed

        async def second() -> None:
            async with ctx.db.write() as conn:
                await record_changes(conn, at, ChangeKind.MESSAGE, [(2, 2)])

        task = asyncio.create_task(second())
        await _until_waiting_on_the_append_lock(ctx)
        async with ctx.db.read() as conn:
            seen, got, _ = await changes_after(conn, cursor, everything)
        assert got == [] and seen == cursor
    await task
    async with ctx.db.read() as conn:
        _, got, _ = await changes_after(conn, cursor, everything)
    assert [t.session_id for t in got] == [1, 2]
    assert [t.seq for t in got] == sorted(t.seq for t in got)


async def _until_waiting_on_the_append_lock(ctx: Ctx) -> None:
    from sqlalchemy import text

    for _ in range(500):
        async with ctx.db.read() as conn:
            waiting = await conn.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second writer never waited on the append lock")
