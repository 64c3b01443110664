"""``sessions.customer_waiting_since`` (migration 0009, the supervisor board's longest wait):
the time of the customer's first line after the newest agent line, None when there is none
and once the session has ended. Every write keeps it: customer lines (one by one and the
gateway's batches) start it, an agent's reply clears it, system lines (transfer, requeue,
inactive) leave it, an end clears it; the demo seed writes it; ``check`` reports a wrong one;
the migration fills it from the messages of an older database.

Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from old_schema import migrate, old_agent, old_session
from sqlalchemy import select, text, update
from svc_support import ALL, STANDARD, STANDARD_FB, add, admin, assigned, consistent, setting

from agent_console.demo.seed import seed
from agent_console.domain.vocab import Presence, SessionStatus, Surface
from agent_console.services import bulk, channels, check, conversations, ending, presence, routing
from agent_console.services.channels import ChannelMessage
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_for_upgrade, upgrade_db
from agent_console.services.transfer import transfer
from agent_console.services.views import EndOutcome
from agent_console.store.models import Session
from agent_console.store.revision import HEAD_REVISION
from conftest import T0, FakeClock

WAIT_RULE = "a live session's customer wait starts at its oldest unanswered customer line"
ENDED_RULE = "an Ended session keeps no customer waiting"


async def waiting(ctx: Ctx, *sids: int) -> list[datetime | None]:
    """The sessions' ``customer_waiting_since``, in the order asked."""
    async with ctx.db.read() as conn:
        rows = dict(
            (
                await conn.execute(
                    select(Session.id, Session.customer_waiting_since).where(Session.id.in_(sids))
                )
            ).all()
        )
    return [rows[s] for s in sids]


async def test_a_customer_line_starts_the_wait_and_a_second_keeps_its_time(
    ctx: Ctx, clock: FakeClock
) -> None:
    first = await conversations.inbound(ctx, "cara", STANDARD, "hello?")
    assert await waiting(ctx, first.session_id) == [T0]
    clock.advance(minutes=3)
    again = await conversations.inbound(ctx, "cara", STANDARD, "anyone there?")
    assert again.session_id == first.session_id
    assert await waiting(ctx, first.session_id) == [T0]  # the oldest unanswered line counts
    await consistent(ctx)


async def test_an_agent_reply_clears_the_wait_and_the_next_customer_line_starts_anew(
    ctx: Ctx, clock: FakeClock
) -> None:
    await add(ctx, "dana")
    sid = await assigned(ctx, "dana", STANDARD)
    assert await waiting(ctx, sid) == [T0]  # routing writes no line: the customer still waits
    clock.advance(minutes=1)
    await conversations.send(ctx, "dana", sid, "Hi, how can I help?")
    assert await waiting(ctx, sid) == [None]
    await consistent(ctx)
    later = clock.advance(minutes=2)
    await conversations.inbound(ctx, "cara", STANDARD, "my order is late")
    clock.advance(minutes=2)
    await conversations.inbound(ctx, "cara", STANDARD, "order 1234")
    assert await waiting(ctx, sid) == [later]
    await consistent(ctx)


async def test_an_agent_initiated_session_keeps_nobody_waiting_until_the_customer_answers(
    ctx: Ctx, clock: FakeClock
) -> None:
    await add(ctx, "dana")
    started = await conversations.outbound(ctx, "dana", "cara", STANDARD, "Your parcel is here")
    assert await waiting(ctx, started.session_id) == [None]
    answer = clock.advance(minutes=5)
    await conversations.inbound(ctx, "cara", STANDARD, "thanks!")
    assert await waiting(ctx, started.session_id) == [answer]
    await consistent(ctx)


async def test_transfer_and_requeue_lines_keep_the_wait(ctx: Ctx, clock: FakeClock) -> None:
    """A transfer and a requeue write system lines: the customer still waits for the same
    line."""
    await add(ctx, "dana")
    sid = await assigned(ctx, "dana", STANDARD)
    await add(ctx, "erin")
    clock.advance(minutes=1)
    await transfer(ctx, "dana", sid, "erin")
    assert await waiting(ctx, sid) == [T0]
    clock.advance(minutes=1)
    await transfer(ctx, "erin", sid, None)  # back to the queue
    assert await waiting(ctx, sid) == [T0]
    await consistent(ctx)


async def test_marked_inactive_keeps_the_wait(ctx: Ctx, clock: FakeClock) -> None:
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await add(ctx, "sam")
    sid = await assigned(ctx, "sam", STANDARD_FB)
    clock.advance(minutes=1)
    await conversations.mark_inactive(ctx, "sam", sid)
    assert await waiting(ctx, sid) == [T0]
    await consistent(ctx)


async def test_requeue_by_going_offline_keeps_the_wait(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana")
    sid = await assigned(ctx, "dana", STANDARD)
    clock.advance(minutes=1)
    result = await presence.set_presence(ctx, "dana", Presence.OFFLINE)
    assert [e.session_id for e in result.effects] == [sid]
    assert await waiting(ctx, sid) == [T0]
    await consistent(ctx)


async def test_an_end_clears_the_wait_one_or_many_at_once(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana")
    one = await assigned(ctx, "dana", STANDARD, customer="ann")
    two = await assigned(ctx, "dana", STANDARD, customer="ben")
    three = await assigned(ctx, "dana", STANDARD, customer="cy")
    four = await assigned(ctx, "dana", STANDARD, customer="di")
    assert await waiting(ctx, one, two, three, four) == [T0] * 4
    clock.advance(minutes=1)
    await ending.end_session(ctx, "dana", one, Surface.CONVERSATION)
    assert await waiting(ctx, one, two) == [None, T0]
    clock.advance(minutes=1)
    ended = await ending.end_sessions(ctx, "dana", [two, three], Surface.LIST)
    assert [r.result for r in ended] == [EndOutcome.ENDED, EndOutcome.ENDED]
    report = await bulk.bulk_end(ctx, "dana", ids=[four])
    assert report.ended == 1
    assert await waiting(ctx, one, two, three, four) == [None] * 4
    await consistent(ctx)


async def test_an_inbound_gateway_batch_starts_and_keeps_waits(ctx: Ctx, clock: FakeClock) -> None:
    """One batch: a new session (two lines), a session whose customer waits already, and one
    the agent answered last."""
    await admin(ctx)
    await add(ctx, "dana")
    await channels.connect(ctx, STANDARD, "http://127.0.0.1:9/x", admin="root")
    waits = await channels.receive(ctx, STANDARD, "w1", "+1", "Wes", "still there?")
    answered = await channels.receive(ctx, STANDARD, "a1", "+2", "Ann", "hello")
    await routing.route(ctx)
    clock.advance(minutes=1)
    await conversations.send(ctx, "dana", answered.session_id, "Hi Ann")
    batch_at = clock.advance(minutes=1)
    out = await channels.receive_many(
        ctx,
        [
            ChannelMessage(STANDARD, "n1", "+3", "Nia", "first"),
            ChannelMessage(STANDARD, "w2", "+1", "Wes", "hello??"),
            ChannelMessage(STANDARD, "n2", "+3", "Nia", "second"),
            ChannelMessage(STANDARD, "a2", "+2", "Ann", "my order"),
        ],
    )
    new, wes, nia_again, ann = out
    assert not isinstance(new, Exception) and new.new_session
    assert not isinstance(nia_again, Exception) and nia_again.session_id == new.session_id
    assert not isinstance(wes, Exception) and wes.session_id == waits.session_id
    assert not isinstance(ann, Exception) and ann.session_id == answered.session_id
    assert await waiting(ctx, new.session_id, waits.session_id, answered.session_id) == [
        batch_at,
        T0,
        batch_at,
    ]
    await consistent(ctx)


async def test_the_demo_seed_writes_the_waits_its_transcripts_say(ctx: Ctx) -> None:
    await seed(ctx, sessions=400)
    assert await check.check(ctx) == []  # the check recomputes every wait from the messages
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(Session.status, Session.customer_waiting_since))).all()
    live = [since for status, since in rows if status != SessionStatus.ENDED.value]
    assert any(since is not None for since in live)  # customers wait on a seeded floor
    assert any(since is None for since in live)  # and some were just answered
    assert all(since is None for status, since in rows if status == SessionStatus.ENDED.value)


async def test_the_check_reports_a_wrong_wait(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana")
    waits = await assigned(ctx, "dana", STANDARD, customer="ann")
    answered = await assigned(ctx, "dana", STANDARD, customer="ben")
    ended = await assigned(ctx, "dana", STANDARD, customer="cy")
    clock.advance(minutes=1)
    await conversations.send(ctx, "dana", answered, "Hi Ben")
    await ending.end_session(ctx, "dana", ended, Surface.CONVERSATION)
    await consistent(ctx)

    wrong = T0 + timedelta(minutes=7)
    async with ctx.db.write() as conn:  # what a writer that forgot the column would leave
        await conn.execute(
            update(Session).where(Session.id == waits).values(customer_waiting_since=wrong)
        )
        await conn.execute(
            update(Session).where(Session.id == answered).values(customer_waiting_since=T0)
        )
        await conn.execute(
            update(Session).where(Session.id == ended).values(customer_waiting_since=T0)
        )
    found = await check.check(ctx)
    assert sorted(v.invariant for v in found) == sorted([WAIT_RULE, WAIT_RULE, ENDED_RULE])
    flagged = {int(v.detail.split(",")[0]) for v in found}
    assert flagged == {waits, answered, ended}

    async with ctx.db.write() as conn:  # a live wait lost: NULL where the customer waits
        await conn.execute(text("UPDATE sessions SET customer_waiting_since = NULL"))
    assert [(v.invariant, int(v.detail.split(",")[0])) for v in await check.check(ctx)] == [
        (WAIT_RULE, waits)
    ]


async def test_migration_0009_fills_the_wait_from_the_messages(empty_db_url: str) -> None:
    clock = FakeClock(T0)

    def at(minutes: int) -> datetime:
        return T0 + timedelta(minutes=minutes)

    old = await open_for_upgrade(empty_db_url, clock=clock)
    try:
        await migrate(old, "0008")
        dana = (await old_agent(old, "dana", ALL, used=2, at=T0), "dana")
        queued = await old_session(
            old, "Ann", STANDARD, [("customer", "hi", at(0)), ("customer", "hello?", at(2))]
        )
        asked_again = await old_session(
            old,
            "Ben",
            STANDARD,
            [
                ("customer", "hi", at(0)),
                ("agent", "Hi Ben", at(1)),
                ("customer", "my order", at(3)),
                ("system", "Case transferred to Tier 2 by dana", at(4)),
                ("customer", "order 1234", at(5)),
            ],
            status="Active",
            owner=dana,
        )
        answered = await old_session(
            old,
            "Cy",
            STANDARD,
            [("customer", "hi", at(0)), ("agent", "Hi Cy", at(1))],
            status="Active",
            owner=dana,
        )
        ended = await old_session(
            old,
            "Di",
            STANDARD,
            [("customer", "bye?", at(0)), ("system", "Session ended by dana", at(6))],
            status="Ended",
            owner=dana,
        )
    finally:
        await old.db.dispose()

    ctx = await open_for_upgrade(empty_db_url, clock=clock)
    try:
        assert await upgrade_db(ctx) == HEAD_REVISION
        assert await waiting(ctx, queued, asked_again, answered, ended) == [
            at(0),
            at(3),
            None,
            None,
        ]
        assert await check.check(ctx) == []
    finally:
        await ctx.db.dispose()
