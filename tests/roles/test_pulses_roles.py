"""Pulses on a deployment with roles (issues 14 and 15): the gateway's login sends them (it
reads the change feed, holds the sender's lock, NOTIFYs), an agent's console hears them and
reads the feed only when they concern it, and an agent's login cannot pass for the sender."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg  # type: ignore[import-untyped]
import pytest
from roles_support import SMS, Floor, make_floor, open_as

from agent_console.domain.feed import Interest
from agent_console.services import conversations
from agent_console.services.changes import current_cursor
from agent_console.services.pulse_sender import PULSE_CHANNEL, PulseSender
from agent_console.tui.backend import ConsoleBackend

WAIT_S = 20.0


@pytest.fixture
def floor() -> Iterator[Floor]:
    yield from make_floor()


async def test_the_gateways_login_sends_and_an_agents_console_follows(floor: Floor) -> None:
    gateway = await open_as(floor, "gateway")
    sender = PulseSender(gateway, every=0.05, beat=0.1)
    sending = asyncio.create_task(sender.run())
    bob = await ConsoleBackend.open(floor.login_url("bob"), "bob")
    try:
        await asyncio.wait_for(sender.went.wait(), WAIT_S)
        assert sender.sending
        mine = Interest(agent_id=bob.agent_id)
        assert not await bob.poll_changes(mine)
        # carol's customer writes: bob's console hears it and does not read the feed
        await conversations.inbound(gateway, "amir", SMS, "for carol")
        seq = await current_cursor(gateway)

        async def heard(upto: int) -> None:
            while bob.feed.heard_through < upto:
                await bob.feed.wait_heard(bob.feed.heard + 1)

        await asyncio.wait_for(heard(seq), WAIT_S)
        reads = bob.feed.reads
        assert not await bob.poll_changes(mine)
        assert bob.feed.reads == reads
        # bob's own customer writes: his console reads the feed and finds it
        await conversations.inbound(gateway, "alice", SMS, "for bob")
        await asyncio.wait_for(heard(await current_cursor(gateway)), WAIT_S)
        news = await bob.poll_changes(mine)
        assert {t.session_id for t in news.touches} == {floor.sessions["bob"]}
        assert bob.feed.reads == reads + 1
        # an agent's login NOTIFYs a pulse "nothing up to seq 10^9": bob's console looks
        carol = await asyncpg.connect(floor.dsn("carol"))
        try:
            cursor = bob.feed.cursor
            heard_before = bob.feed.heard
            await carol.execute(f"NOTIFY {PULSE_CHANNEL}, 'p1 {cursor} 1000000000 - - -'")
            await asyncio.wait_for(bob.feed.wait_heard(heard_before + 1), WAIT_S)
        finally:
            await carol.close()
        reads = bob.feed.reads
        assert not await bob.poll_changes(mine)
        assert bob.feed.reads == reads + 1
        assert bob.feed.cursor is not None and bob.feed.cursor < 1_000_000_000
    finally:
        sender.stop()
        await sending
        await bob.close()
        await gateway.db.dispose()
