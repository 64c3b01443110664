"""Pulses on PostgreSQL: a console reads the change feed only when a pulse concerns it
(services/pulse_sender.py, services/change_feed.py). Each test waits on pulses heard, never
on a clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import text

from agent_console.domain.feed import ChangeKind, Interest
from agent_console.domain.presence import Presence
from agent_console.services import agents, conversations, presence, routing
from agent_console.services.changes import current_cursor
from agent_console.services.context import Ctx
from agent_console.services.pulse_sender import PULSE_CHANNEL, SENDER_LOCK, PulseSender
from agent_console.tui.backend import ConsoleBackend
from shared.pulses import heard_through, pulses

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

PERMS = ["messaging_agent", "end_messaging_session"]
WAIT = 20.0  # a bound for a hang to fail on; the pulses come every 0.1 s


@pytest.fixture
async def sender(ctx: Ctx) -> AsyncIterator[PulseSender]:
    async with pulses(ctx) as running:  # the gateway's sender, quick: a pulse every 0.05 s
        assert running is not None
        yield running


Open = Callable[[str], Awaitable[ConsoleBackend]]


@pytest.fixture
async def console(db_url: str) -> AsyncIterator[Open]:
    opened: list[ConsoleBackend] = []

    async def open_(agent: str) -> ConsoleBackend:
        backend = await ConsoleBackend.open(db_url, agent)  # its feed's cursor is read
        opened.append(backend)
        return backend

    yield open_
    for backend in opened:
        await backend.close()


async def test_a_message_in_ann_session_reads_the_feed_on_ann_console_only(
    ctx: Ctx, sender: PulseSender, console: Open
) -> None:
    for name in ("ann", "bob"):
        await agents.add_agent(ctx, name, permissions=PERMS)
    await presence.set_presence(ctx, "ann", Presence.ONLINE)
    await conversations.inbound(ctx, "cara", "standard_sms", "hello")
    await routing.route(ctx)
    ann, bob = await console("ann"), await console("bob")
    mine = {name: Interest(agent_id=b.agent_id) for name, b in (("ann", ann), ("bob", bob))}
    for backend in (ann, bob):
        await heard_through(backend.feed, await current_cursor(ctx))
        assert not await backend.poll_changes(mine["ann" if backend is ann else "bob"])
    reads = ann.feed.reads, bob.feed.reads

    await conversations.inbound(ctx, "cara", "standard_sms", "are you there?")
    seq = await current_cursor(ctx)
    for backend in (ann, bob):
        await heard_through(backend.feed, seq)
    for _ in range(3):  # bob's console polls on: the database is not asked
        assert not await bob.poll_changes(mine["bob"])
    assert bob.feed.reads == reads[1]
    assert bob.feed.cursor == seq  # past what the pulses summed up
    news = await ann.poll_changes(mine["ann"])
    assert [t.kind for t in news.touches] == [ChangeKind.MESSAGE]
    assert ann.feed.reads == reads[0] + 1
    assert not await ann.poll_changes(mine["ann"])  # and quiet again, without a read
    assert ann.feed.reads == reads[0] + 1
    # Bob opens the Messaging Sessions list: every session's change concerns it now.
    await conversations.inbound(ctx, "cara", "standard_sms", "hello?")
    await heard_through(bob.feed, await current_cursor(ctx))
    assert await bob.poll_changes(Interest(agent_id=bob.agent_id, any_session=True))
    assert bob.feed.reads == reads[1] + 1


async def test_a_poll_the_pulses_answer_is_no_unit_of_work(
    ctx: Ctx, sender: PulseSender, console: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four polls a second on every console: the ones that ask the database nothing start no
    task of their own (``ConsoleBackend._unit``); the ones that read still do."""
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    ann = await console("ann")
    mine = Interest(agent_id=ann.agent_id)
    units: list[object] = []
    unit = ann._unit

    def counted(work: Awaitable[object]) -> Awaitable[object]:
        units.append(work)
        return unit(work)  # type: ignore[arg-type]

    await heard_through(ann.feed, await current_cursor(ctx))
    await ann.poll_changes(mine)  # what the pulses summed up before it opened: maybe a read
    monkeypatch.setattr(ann, "_unit", counted)
    for _ in range(3):
        assert not await ann.poll_changes(mine)
    assert units == []
    await presence.set_presence(ctx, "ann", Presence.ONLINE)  # ann's own row: a read
    await heard_through(ann.feed, await current_cursor(ctx))
    reads = ann.feed.reads
    await ann.poll_changes(mine)
    assert ann.feed.reads == reads + 1 and len(units) == 1


async def test_without_pulses_every_poll_reads_the_feed(ctx: Ctx, console: Open) -> None:
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    ann = await console("ann")
    interest = Interest(agent_id=ann.agent_id)
    before = ann.feed.reads
    for _ in range(3):  # no sender runs: the console polls as it did before pulses
        assert not await ann.poll_changes(interest)
    assert ann.feed.reads == before + 3
    assert not ann.feed.pulsed


async def test_when_the_pulses_stop_the_console_polls_the_feed_again(
    ctx: Ctx, sender: PulseSender, console: Open
) -> None:
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    ann = await console("ann")
    now = [0.0]
    ann.feed.clock = lambda: now[0]
    await heard_through(ann.feed, await current_cursor(ctx))
    await asyncio.wait_for(ann.feed.wait_heard(ann.feed.heard + 1), WAIT)  # heard at 0.0
    interest = Interest(agent_id=ann.agent_id)
    assert not await ann.poll_changes(interest)
    reads = ann.feed.reads
    sender.stop()
    now[0] = ann.feed.silence + 0.5  # no pulse for longer than the silence
    assert not ann.feed.pulsed
    assert not await ann.poll_changes(interest)
    assert ann.feed.reads == reads + 1


async def test_a_pulse_missed_or_unreadable_means_a_read(ctx: Ctx, console: Open) -> None:
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    async with ctx.db.bare() as own:  # this connection is the sender: it holds the lock
        raw = own.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        assert await raw.fetchval("SELECT pg_try_advisory_lock($1)", SENDER_LOCK)
        ann = await console("ann")
        interest = Interest(agent_id=ann.agent_id)
        cursor = ann.feed.cursor
        assert cursor is not None
        for payload, read in (
            (f"p1 {cursor} {cursor} - - -", False),  # a heartbeat right after the cursor
            (f"p1 {cursor + 5} {cursor + 9} - - -", True),  # the stretch before went to nobody
            ("p9 what is this", True),  # a sender of another version
        ):
            reads, heard = ann.feed.reads, ann.feed.heard
            await raw.execute(f"NOTIFY {PULSE_CHANNEL}, '{payload}'")
            await asyncio.wait_for(ann.feed.wait_heard(heard + 1), WAIT)
            assert not await ann.poll_changes(interest)  # nothing for ann; it may have to look
            assert ann.feed.reads == reads + read, payload
        await raw.execute("SELECT pg_advisory_unlock_all()")


async def test_a_pulse_from_anyone_but_the_sender_is_not_trusted(
    ctx: Ctx, sender: PulseSender, console: Open
) -> None:
    """Any login may NOTIFY: a forged pulse saying "nothing for you up to seq 10^9" must not
    move a console's cursor past changes it never read."""
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    await presence.set_presence(ctx, "ann", Presence.ONLINE)
    ann = await console("ann")
    interest = Interest(agent_id=ann.agent_id)
    await heard_through(ann.feed, await current_cursor(ctx))
    assert not await ann.poll_changes(interest)
    cursor = ann.feed.cursor
    assert cursor is not None
    reads, heard = ann.feed.reads, ann.feed.heard
    forged = f"p1 {cursor} 1000000000 - - -"
    async with ctx.db.read() as conn:
        await conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": PULSE_CHANNEL, "p": forged})
    await asyncio.wait_for(ann.feed.wait_heard(heard + 1), WAIT)
    assert not await ann.poll_changes(interest)
    assert ann.feed.reads == reads + 1  # it looked instead
    assert ann.feed.cursor == cursor  # and did not skip ahead
    assert ann.feed.heard_through < 1_000_000_000
    await conversations.inbound(ctx, "cara", "standard_sms", "hello")
    await routing.route(ctx)  # to ann: a change her console must see
    await heard_through(ann.feed, await current_cursor(ctx))
    news = await ann.poll_changes(interest)
    assert ChangeKind.ASSIGNED in {t.kind for t in news.touches}


async def test_a_replaced_connection_listens_again(
    ctx: Ctx, sender: PulseSender, console: Open
) -> None:
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    ann = await console("ann")
    interest = Interest(agent_id=ann.agent_id)
    await heard_through(ann.feed, await current_cursor(ctx))
    assert ann.feed.pulsed
    async with ann.ctx.db.bare() as conn:
        await conn.invalidate()  # the pool opens a new connection next time
    assert not ann.feed.pulsed  # nothing can be heard on a closed connection
    reads = ann.feed.reads
    assert not await ann.poll_changes(interest)
    assert ann.feed.reads == reads + 1  # it read, and LISTENs on the new connection
    await asyncio.wait_for(ann.feed.wait_heard(ann.feed.heard + 1), WAIT)
    assert ann.feed.pulsed
    assert not await ann.poll_changes(interest)
    assert ann.feed.reads == reads + 1


async def test_one_sender_per_database_and_another_takes_over(
    ctx: Ctx, sender: PulseSender
) -> None:
    second = PulseSender(ctx, every=0.02, beat=0.1)
    task = asyncio.create_task(second.run())
    try:
        await asyncio.wait_for(second.stood_by.wait(), WAIT)
        assert sender.sending and not second.sending
        sender.stop()
        await asyncio.wait_for(second.went.wait(), WAIT)
        assert second.sending
    finally:
        second.stop()
        await task


async def test_on_a_big_floor_the_sender_paces_its_pulses_to_the_listeners(
    ctx: Ctx, console: Open
) -> None:
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    for _ in range(3):  # three consoles listening, each on its one connection
        await console("ann")
    # A bound of 100 wake-ups a second: a pulse every 0.01 s would wake each backend of the
    # database 100 times a second, so the sender waits backends/100 seconds instead.
    sender = PulseSender(ctx, every=0.01, beat=0.1, wakeups=100)
    task = asyncio.create_task(sender.run())
    try:
        await asyncio.wait_for(sender.went.wait(), WAIT)
        async with ctx.db.engine.connect() as conn:
            backends = (
                await conn.execute(
                    text(
                        "SELECT numbackends FROM pg_stat_database"
                        " WHERE datname = current_database()"
                    )
                )
            ).scalar_one()
        assert sender.backends >= 4  # the three consoles and the sender at least
        assert abs(sender.backends - backends) <= 1  # this test's own connection may be new
        assert sender.pace == pytest.approx(sender.backends / 100)
    finally:
        sender.stop()
        await task
    # Unbounded (0), or with few listeners, the pulses keep their least interval.
    quick = PulseSender(ctx, every=0.01, beat=0.1, wakeups=0)
    task = asyncio.create_task(quick.run())
    try:
        await asyncio.wait_for(quick.went.wait(), WAIT)
        assert quick.backends >= 4 and quick.pace == 0.01
    finally:
        quick.stop()
        await task
