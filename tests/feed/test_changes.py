"""The change feed other consoles refresh from: a cursor, and a cheap probe."""

from __future__ import annotations

from agent_console.domain.vocab import Presence, Surface
from agent_console.services import agents, conversations, ending, routing
from agent_console.services.changes import ChangeProbe, changes_since, current_cursor
from agent_console.services.context import Ctx
from agent_console.services.presence import set_presence
from agent_console.services.runtime import open_ctx
from shared.pulses import probe_says, pulses

PERMS = ["messaging_agent", "end_messaging_session"]


async def test_changes_since_cursor_lists_every_write_in_order(ctx: Ctx) -> None:
    start = await current_cursor(ctx)
    await agents.add_agent(ctx, "dana", permissions=PERMS)
    await set_presence(ctx, "dana", Presence.ONLINE)
    r = await conversations.inbound(ctx, "cara", "standard_sms", "hi")
    await routing.route(ctx)
    await ending.end_session(ctx, "dana", r.session_id, Surface.CONVERSATION)
    cursor, changes = await changes_since(ctx, start)
    kinds = [c.kind for c in changes]
    assert kinds == ["agent", "presence", "inbound", "assigned", "ended"]
    assert [c.seq for c in changes] == sorted(c.seq for c in changes)
    assert changes[-1].session_id == r.session_id
    assert await changes_since(ctx, cursor) == (cursor, [])


async def test_probe_sees_another_connections_commit(ctx: Ctx, db_url: str) -> None:
    async with pulses(ctx):  # PostgreSQL: the probe hears the pulses the gateway sends
        probe = ChangeProbe(ctx)
        await probe.open()
        try:
            await probe_says(probe, False, "quiet after opening")
            other = await open_ctx(db_url, clock=ctx.clock)
            try:
                await conversations.inbound(other, "cara", "standard_sms", "hello")
            finally:
                await other.db.dispose()
            await probe_says(probe, True, "change seen")
            assert await probe.changed() is False
        finally:
            await probe.close()


async def test_without_pulses_the_postgresql_probe_cannot_tell_and_says_changed(
    ctx: Ctx,
) -> None:
    if ctx.db.is_sqlite:
        return  # SQLite always can (PRAGMA data_version)
    probe = ChangeProbe(ctx)
    await probe.open()
    try:  # no sender runs: its caller must look for itself, every time
        assert [await probe.changed() for _ in range(3)] == [True, True, True]
    finally:
        await probe.close()
